// `config-init watch`: run::materialize once, then again whenever a layer changes (inotify,
// debounced) and on every resync, until SIGTERM or SIGINT. A thin caller of run: every run
// keeps all of materialize's guarantees.
#pragma once

#include "run/run.h"
#include "util/log.h"

#include <chrono>
#include <string>

namespace config_init::watch {

struct WatchSettings {
  std::chrono::milliseconds debounce{1000};
  std::chrono::milliseconds resync{60000}; // zero: no resync
  std::string http_bind;                   // empty: no HTTP endpoint
};

// The first run is materialize: when it fails, its error is thrown (the caller exits with
// its code). Later failures are logged like materialize logs them, recorded in
// DEST/.config-init/status.json (degraded) and never end the loop. Returns 0 when stopped by
// SIGTERM or SIGINT (after the run in progress, if any, has finished). With `http_bind`,
// /healthz and /metrics describe the same status (watch/http_endpoint.h) from before the
// first run on.
int watch(const run::Settings& settings, const WatchSettings& watch_settings, Log& log);

} // namespace config_init::watch

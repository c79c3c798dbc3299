// One run of config-init against a destination, below the CLI (the model: ninja's Builder).
// A run owns, in this order: the destination's lock, the previous state read once, the
// layers read and composed, the plan, the publication, and the new state. Nothing here
// calls back into the CLI; `materialize`, `plan` and `watch` are thin callers.
#pragma once

#include "layers/layer.h"
#include "plan/plan.h"
#include "plan/rules.h"
#include "schema/check.h"
#include "util/log.h"
#include "util/safe_dir.h"

#include <cstdint>
#include <string>
#include <vector>

namespace config_init::run {

// What a run reads and where it writes.
struct Settings {
  std::vector<layers::LayerSpec> layers; // lowest precedence first
  std::string dest;
  plan::Rules rules;
  plan::OnDrift on_drift = plan::OnDrift::overwrite;
};

// What a successful run did, counted by file.
struct Outcome {
  size_t files = 0; // managed after the run (created + updated + unchanged)
  size_t created = 0;
  size_t updated = 0; // content or mode
  size_t unchanged = 0;
  size_t removed = 0;
  uint64_t bytes_written = 0;
  size_t layers = 0;
  int64_t elapsed_ms = 0;
  bool changed() const { return created + updated + removed > 0; }
};

// Materializes the layers into the destination: validates every input before the first
// write, publishes atomically and verified, merges the app's edits three ways, and records
// the manifest. Logs each change and a summary line ("done: ..."); `trigger`, when not
// empty, says why this run started (watch) and is added to the summary.
// When the app replaces a structured file between the plan and its rename
// (publish::DestinationChanged), the whole run is done again, a few times at most.
// Throws InputError (exit 3) with the destination exactly as it was, IoError (exit 4)
// with every file either old or new, Interrupted when a stop is requested while it waits
// for the lock (util/stop_signal.h).
Outcome materialize(const Settings& settings, Log& log, const std::string& trigger = "");

// What materialize would do, without writing anything or taking the lock.
struct Preview {
  std::vector<layers::Layer> layers;
  bool dest_exists = false;
  SafeDir dest; // open when dest_exists
  plan::Plan plan;
  schema::Report schemas; // the --schema checks of the plan's results, not yet enforced
};
// Throws like materialize, before any write; schema violations are reported, not thrown.
Preview preview(const Settings& settings, Log& log);

} // namespace config_init::run

#include "watch/watch_loop.h"

#include "run/destination.h"
#include "util/error.h"
#include "util/stop_signal.h"
#include "util/text.h"
#include "watch/http_endpoint.h"
#include "watch/layer_watcher.h"
#include "watch/schedule.h"
#include "watch/status_file.h"

#include <cerrno>
#include <memory>
#include <poll.h>
#include <unistd.h>

namespace config_init::watch {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> roots_of(const run::Settings& settings) {
  std::vector<std::string> roots;
  for (const layers::LayerSpec& layer : settings.layers)
    roots.push_back(layer.root);
  return roots;
}

// Records one run in `status` and writes it to DEST (when DEST exists). A status that cannot
// be written is logged: the next run tries again.
void record(const run::Settings& settings, Status& status, HttpEndpoint* http, Log& log) {
  if (http) http->publish(status);
  try {
    SafeDir dest;
    if (run::open_destination(settings.dest, false, dest, nullptr)) write_status(dest, status);
  } catch (const Error& error) {
    log.warn(std::string("cannot write the status: ") + error.what());
  }
}

// One run; returns false when it was interrupted by a stop request.
bool run_once(const run::Settings& settings, const std::string& trigger, Status& status,
              HttpEndpoint* http, Log& log) {
  const auto start = Clock::now();
  status.last_trigger = trigger;
  ++status.runs;
  try {
    const run::Outcome outcome = run::materialize(settings, log, trigger);
    status.degraded = false;
    status.last_success_unix_ms = now_unix_ms();
    status.files = static_cast<int64_t>(outcome.files);
  } catch (const Interrupted&) {
    --status.runs;
    return false;
  } catch (const Error& error) {
    ++status.failures;
    status.degraded = true;
    status.last_error = error.what();
    status.last_error_exit_code = static_cast<int>(error.exit_code());
    status.last_error_unix_ms = now_unix_ms();
    status.last_duration_ms = elapsed_ms(start);
    log.error(error.what(), {{"event", "failure"},
                             log_number("exit_code", static_cast<int>(error.exit_code())),
                             {"trigger", trigger}});
    log.warn("degraded: " + settings.dest + " keeps the last good version; watching on",
             {{"event", "degraded"}});
    record(settings, status, http, log);
    return true;
  }
  status.last_duration_ms = elapsed_ms(start);
  record(settings, status, http, log);
  return true;
}

} // namespace

int watch(const run::Settings& settings, const WatchSettings& watch_settings, Log& log) {
  install_stop_handlers();
  LayerWatcher watcher(roots_of(settings), settings.dest);
  watcher.arm(log); // before the first run: what changes during it starts the next one

  Status status;
  status.pid = ::getpid();
  std::unique_ptr<HttpEndpoint> http;
  if (!watch_settings.http_bind.empty()) {
    http = std::make_unique<HttpEndpoint>(watch_settings.http_bind);
    http->publish(status);
    log.notice("serving /healthz and /metrics on " + watch_settings.http_bind,
               {{"event", "http"}, log_number("port", http->port())});
  }
  {
    const auto start = Clock::now();
    status.runs = 1;
    status.last_trigger = "first run";
    try {
      const run::Outcome outcome = run::materialize(settings, log, "first run");
      status.files = static_cast<int64_t>(outcome.files);
    } catch (const Interrupted&) {
      log.notice("stopped before the first run finished", {{"event", "stopped"}});
      return 0;
    }
    status.last_success_unix_ms = now_unix_ms();
    status.last_duration_ms = elapsed_ms(start);
    record(settings, status, http.get(), log);
  }
  log.notice("watching " + text::count_of(settings.layers.size(), "layer") + " (" +
                 std::to_string(watcher.watch_count()) + " inotify watches); resync every " +
                 std::to_string(watch_settings.resync.count()) + " ms",
             {{"event", "watching"}});
  log.flush();

  Schedule schedule(watch_settings.debounce, watch_settings.resync, Clock::now());
  while (!stop_requested()) {
    pollfd fds[2] = {{watcher.fd(), POLLIN, 0}, {stop_event_fd(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, schedule.timeout_ms(Clock::now()));
    if (ready < 0 && errno != EINTR) throw IoError(errno_message("poll failed", errno));
    if (stop_requested()) break;
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      for (const std::string& trigger : watcher.read_events(log))
        schedule.on_event(trigger, Clock::now());
    }
    const std::optional<std::string> trigger = schedule.due(Clock::now());
    if (!trigger) continue;
    watcher.arm(log); // new directories, a ..data that appeared, a root that came back
    if (!run_once(settings, *trigger, status, http.get(), log)) break;
    schedule.ran(Clock::now());
    log.flush();
  }
  log.notice("stopped by a signal after " + std::to_string(status.runs) + " runs",
             {{"event", "stopped"}, log_number("runs", status.runs)});
  return 0;
}

} // namespace config_init::watch

// When `watch` runs: a batch of events opens a debounce window, and one run starts when it
// closes (events inside the window join that run); a resync runs after `resync` without a
// run. Pure time arithmetic, no clock of its own: the loop passes `now`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace config_init::watch {

class Schedule {
public:
  using Clock = std::chrono::steady_clock;

  // `resync` zero: no resync.
  Schedule(std::chrono::milliseconds debounce, std::chrono::milliseconds resync,
           Clock::time_point now);

  // An event that should start a run, described by `trigger` ("..data swapped in layer 2").
  void on_event(const std::string& trigger, Clock::time_point now);

  // What the run due at `now` is for ("resync", or the events' triggers joined), if one is.
  std::optional<std::string> due(Clock::time_point now) const;

  // How long the loop may sleep before something is due; -1: forever (no resync, no events).
  int timeout_ms(Clock::time_point now) const;

  // A run ended at `now`: the events before it are done, the resync restarts.
  void ran(Clock::time_point now);

private:
  std::chrono::milliseconds debounce_;
  std::chrono::milliseconds resync_;
  Clock::time_point last_run_;
  std::optional<Clock::time_point> window_end_; // set while events wait for a run
  std::vector<std::string> triggers_;           // distinct, in order of arrival
  size_t more_ = 0;                             // triggers beyond those kept
};

} // namespace config_init::watch

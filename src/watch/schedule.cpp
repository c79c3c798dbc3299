#include "watch/schedule.h"

#include <algorithm>

namespace config_init::watch {

namespace {
constexpr size_t triggers_kept = 3; // in the log line; the rest are counted
}

Schedule::Schedule(std::chrono::milliseconds debounce, std::chrono::milliseconds resync,
                   Clock::time_point now)
    : debounce_(debounce), resync_(resync), last_run_(now) {}

void Schedule::on_event(const std::string& trigger, Clock::time_point now) {
  if (!window_end_) window_end_ = now + debounce_;
  if (std::find(triggers_.begin(), triggers_.end(), trigger) != triggers_.end()) return;
  if (triggers_.size() < triggers_kept) {
    triggers_.push_back(trigger);
  } else {
    ++more_;
  }
}

std::optional<std::string> Schedule::due(Clock::time_point now) const {
  if (window_end_ && now >= *window_end_) {
    std::string joined;
    for (const std::string& trigger : triggers_)
      joined += (joined.empty() ? "" : "; ") + trigger;
    if (more_ > 0) joined += " and " + std::to_string(more_) + " more";
    return joined;
  }
  if (resync_.count() > 0 && now >= last_run_ + resync_) return std::string("resync");
  return std::nullopt;
}

int Schedule::timeout_ms(Clock::time_point now) const {
  std::optional<Clock::time_point> next = window_end_;
  if (resync_.count() > 0 && (!next || last_run_ + resync_ < *next)) next = last_run_ + resync_;
  if (!next) return -1;
  if (*next <= now) return 0;
  // Rounded up, so that the loop never wakes just before the deadline and spins.
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return static_cast<int>(std::min<int64_t>(wait, 24 * 3600 * 1000));
}

void Schedule::ran(Clock::time_point now) {
  last_run_ = now;
  window_end_.reset();
  triggers_.clear();
  more_ = 0;
}

} // namespace config_init::watch

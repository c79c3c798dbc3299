// Durations on the command line: an integer with a unit, `ms`, `s` or `m` (500ms, 60s, 2m).
#pragma once

#include <chrono>
#include <string>

namespace config_init::watch {

// Parses `text`; throws UsageError naming `flag` when it is not such a duration.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& flag);

} // namespace config_init::watch

#include "watch/duration.h"

#include "util/error.h"

namespace config_init::watch {

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& flag) {
  const size_t digits = text.find_first_not_of("0123456789");
  const std::string number = text.substr(0, digits);
  const std::string unit = digits == std::string::npos ? "" : text.substr(digits);
  int64_t factor = 0;
  if (unit == "ms") factor = 1;
  if (unit == "s") factor = 1000;
  if (unit == "m") factor = 60 * 1000;
  if (number.empty() || number.size() > 9 || factor == 0) {
    throw UsageError("--" + flag + " " + text + ": expected a duration such as 500ms, 60s or 2m");
  }
  return std::chrono::milliseconds(std::stoll(number) * factor);
}

} // namespace config_init::watch

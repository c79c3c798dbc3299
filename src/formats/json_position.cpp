#include "formats/json_position.h"

#include <algorithm>

namespace config_init::formats::json_position {

std::string position_of(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const size_t line = static_cast<size_t>(std::count(before.begin(), before.end(), '\n')) + 1;
  const size_t line_start = before.rfind('\n');
  const size_t column = line_start == std::string_view::npos ? offset + 1 : offset - line_start;
  return std::to_string(line) + ":" + std::to_string(column);
}

std::string parse_error_cause(std::string what) {
  if (const size_t end = what.find("] ");
      !what.empty() && what[0] == '[' && end != std::string::npos)
    what.erase(0, end + 2);
  if (what.rfind("parse error", 0) == 0) {
    if (const size_t colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
  }
  return what;
}

} // namespace config_init::formats::json_position

#include "formats/json_position.h"

namespace config_init::formats::json_position {

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

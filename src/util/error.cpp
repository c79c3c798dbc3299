#include "util/error.h"

#include <cstring>

namespace config_init {

std::string errno_message(const std::string& what, int errnum) {
  return what + ": " + std::strerror(errnum);
}

} // namespace config_init

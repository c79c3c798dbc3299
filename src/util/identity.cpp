#include "util/identity.h"

#include <cstdint>
#include <cstdio>

namespace config_init {

namespace {

// "seconds * 10^9 + nanoseconds" in decimal, exactly (no overflow for any time).
std::string nanoseconds(const struct timespec& time) {
  const bool negative = time.tv_sec < 0;
  uint64_t seconds =
      negative ? 0 - static_cast<uint64_t>(time.tv_sec) : static_cast<uint64_t>(time.tv_sec);
  uint64_t fraction = static_cast<uint64_t>(time.tv_nsec); // 0 .. 999999999
  if (negative && fraction > 0) { // -(s * 10^9) + f = -((s - 1) * 10^9 + (10^9 - f))
    seconds -= 1;
    fraction = 1000000000 - fraction;
  }
  std::string text = negative && (seconds > 0 || fraction > 0) ? "-" : "";
  if (seconds == 0) return text + std::to_string(fraction);
  char digits[16];
  std::snprintf(digits, sizeof digits, "%09llu", static_cast<unsigned long long>(fraction));
  return text + std::to_string(seconds) + digits;
}

} // namespace

std::string file_identity(const struct stat& st) {
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         nanoseconds(st.st_mtim) + ":" + nanoseconds(st.st_ctim);
}

bool same_file_but_ctime(const std::string& identity, const struct stat& st) {
  const std::string now = file_identity(st);
  const size_t cut = identity.rfind(':');
  return cut != std::string::npos && cut == now.rfind(':') &&
         identity.compare(0, cut, now, 0, cut) == 0;
}

std::string source_identity(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + file_identity(st);
}

} // namespace config_init

#include "util/identity.h"

#include <climits>
#include <cstdint>
#include <doctest/doctest.h>
#include <string>
#include <sys/stat.h>

TEST_SUITE("util::identity") {
  TEST_CASE("identities are ino:size:mtime_ns:ctime_ns, with dev: first for sources") {
    struct stat st {};
    st.st_dev = 2049;
    st.st_ino = 1234567;
    st.st_size = 4096;
    st.st_mtim = {1700000000, 123456789};
    st.st_ctim = {1700000001, 5};
    CHECK(config_init::file_identity(st) == "1234567:4096:1700000000123456789:1700000001000000005");
    CHECK(config_init::source_identity(st) ==
          "2049:1234567:4096:1700000000123456789:1700000001000000005");
    st.st_mtim = {0, 0};
    st.st_ctim = {0, 999999999};
    CHECK(config_init::file_identity(st) == "1234567:4096:0:999999999");
    st.st_mtim = {-1, 500000000}; // half a second before the epoch
    st.st_ctim = {-2, 0};
    CHECK(config_init::file_identity(st) == "1234567:4096:-500000000:-2000000000");
    // Beyond what 64-bit nanoseconds hold (the year 2262): still exact, no overflow.
    st.st_mtim = {LLONG_MAX, 999999999};
    st.st_ctim = {LLONG_MIN, 1};
    CHECK(config_init::file_identity(st) == "1234567:4096:9223372036854775807999999999:"
                                            "-9223372036854775807999999999");
    // A real file: the times are the ones stat gave, in nanoseconds.
    struct stat real {};
    REQUIRE(::stat(CONFIG_INIT_SOURCE_DIR "/CMakeLists.txt", &real) == 0);
    const auto ns = [](const struct timespec& t) {
      return std::to_string(int64_t{t.tv_sec} * 1000000000 + t.tv_nsec);
    };
    CHECK(config_init::source_identity(real) ==
          std::to_string(real.st_dev) + ":" + std::to_string(real.st_ino) + ":" +
              std::to_string(real.st_size) + ":" + ns(real.st_mtim) + ":" + ns(real.st_ctim));
  }
}

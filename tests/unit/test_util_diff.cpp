#include "util/diff.h"

#include <doctest/doctest.h>

using config_init::unified_diff;

TEST_SUITE("util::diff") {
  TEST_CASE("equal texts give no diff") {
    CHECK(unified_diff("a\nb\n", "a\nb\n", "f") == "");
  }

  TEST_CASE("a changed line in the middle gives one hunk with context") {
    const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
    const std::string after = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
    CHECK(unified_diff(before, after, "x.txt") ==
          "--- a/x.txt\n+++ b/x.txt\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
  }

  TEST_CASE("a new file is all additions") {
    CHECK(unified_diff("", "a\nb\n", "n") == "--- a/n\n+++ b/n\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  }

  TEST_CASE("changes far apart give separate hunks") {
    std::string before, after;
    for (int i = 0; i < 20; ++i) {
      before += std::to_string(i) + "\n";
      after += (i == 1 || i == 18 ? "x" : std::to_string(i)) + "\n";
    }
    const std::string diff = unified_diff(before, after, "f");
    CHECK(diff.find("@@ -1,5 +1,5 @@") != std::string::npos);
    CHECK(diff.find("@@ -16,5 +16,5 @@") != std::string::npos);
  }

  TEST_CASE("binary content is not diffed") {
    CHECK(unified_diff(std::string("a\0b", 3), "ab", "bin") ==
          "Binary files a/bin and b/bin differ\n");
  }
}

#include "merge/key_path.h"
#include "util/error.h"

#include <doctest/doctest.h>

using config_init::UsageError;
using config_init::merge::format_key_path;
using config_init::merge::KeyPath;
using config_init::merge::parse_key_path;

TEST_SUITE("key_path") {
  TEST_CASE("bare keys separated by dots are split") {
    CHECK(parse_key_path("model") == KeyPath{"model"});
    CHECK(parse_key_path("permissions.allow") == KeyPath{"permissions", "allow"});
    CHECK(parse_key_path("a-b.c_d.09") == KeyPath{"a-b", "c_d", "09"});
  }

  TEST_CASE("quoted keys may hold dots, spaces and escaped quotes") {
    CHECK(parse_key_path(R"(projects."/home/codex/workspace".trust_level)") ==
          KeyPath{"projects", "/home/codex/workspace", "trust_level"});
    CHECK(parse_key_path(R"("a b"."c.d")") == KeyPath{"a b", "c.d"});
    CHECK(parse_key_path(R"("say \"hi\""."back\\slash")") == KeyPath{"say \"hi\"", "back\\slash"});
    CHECK(parse_key_path(R"("")") == KeyPath{""});
  }

  TEST_CASE("malformed paths are usage errors naming the text") {
    CHECK_THROWS_WITH_AS(parse_key_path(""), "invalid key path '': empty", UsageError);
    CHECK_THROWS_WITH_AS(parse_key_path("a..b"),
                         "invalid key path 'a..b': unexpected '.' at column 3", UsageError);
    CHECK_THROWS_WITH_AS(parse_key_path("a."), "invalid key path 'a.': empty key at the end",
                         UsageError);
    CHECK_THROWS_WITH_AS(parse_key_path(".a"), "invalid key path '.a': unexpected '.' at column 1",
                         UsageError);
    CHECK_THROWS_WITH_AS(parse_key_path("a b"), "invalid key path 'a b': expected '.' at column 2",
                         UsageError);
    CHECK_THROWS_WITH_AS(parse_key_path(R"(a"b")"),
                         R"(invalid key path 'a"b"': expected '.' at column 2)", UsageError);
    CHECK_THROWS_WITH_AS(parse_key_path(R"("abc)"),
                         R"(invalid key path '"abc': unterminated quoted key)", UsageError);
    CHECK_THROWS_WITH_AS(
        parse_key_path(R"("a\n")"),
        R"(invalid key path '"a\n"': only \" and \\ escapes are allowed in a quoted key)",
        UsageError);
  }

  TEST_CASE("formatting quotes only keys that are not bare") {
    CHECK(format_key_path({"model"}) == "model");
    CHECK(format_key_path({"projects", "/home/x", "trust_level"}) ==
          R"(projects."/home/x".trust_level)");
    CHECK(format_key_path({"a b", "", "q\"\\"}) == R"("a b".""."q\"\\")");
    CHECK(format_key_path({}) == "");
  }

  TEST_CASE("formatting then parsing gives the same path") {
    const std::vector<KeyPath> paths = {
        {"a"}, {"a", "b.c"}, {"", "x"}, {"\"", "\\", "é"}, {"mcp_servers", "my server", "env"}};
    for (const KeyPath& path : paths) {
      CAPTURE(format_key_path(path));
      CHECK(parse_key_path(format_key_path(path)) == path);
    }
  }
}

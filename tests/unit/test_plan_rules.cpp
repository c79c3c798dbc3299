#include "plan/rules.h"
#include "util/error.h"

#include <doctest/doctest.h>

using config_init::UsageError;
using namespace config_init::plan;

TEST_SUITE("plan::rules") {
  TEST_CASE("a glob without a slash matches the file name in any directory") {
    CHECK(glob_matches("settings.json", "settings.json"));
    CHECK(glob_matches("settings.json", "a/b/settings.json"));
    CHECK(glob_matches("*.toml", "profiles/dev/agent.toml"));
    CHECK_FALSE(glob_matches("*.toml", "config.toml.bak"));
  }

  TEST_CASE("a glob with a slash matches the whole path; * stays in one element, ** crosses") {
    CHECK(glob_matches("profiles/*.toml", "profiles/a.toml"));
    CHECK_FALSE(glob_matches("profiles/*.toml", "profiles/dev/a.toml"));
    CHECK(glob_matches("profiles/**/*.toml", "profiles/dev/x/a.toml"));
    CHECK(glob_matches("profiles/**/*.toml", "profiles/a.toml"));
    CHECK(glob_matches("**/secret.json", "secret.json"));
    CHECK_FALSE(glob_matches("profiles/*", "other/a"));
  }

  TEST_CASE("? and character classes match one character, never a slash") {
    CHECK(glob_matches("file?.txt", "file1.txt"));
    CHECK_FALSE(glob_matches("a?b", "a/b"));
    CHECK(glob_matches("[abc].txt", "b.txt"));
    CHECK_FALSE(glob_matches("[abc].txt", "d.txt"));
    CHECK(glob_matches("[!abc].txt", "d.txt"));
    CHECK(glob_matches("[a-c]x", "bx"));
    CHECK(glob_matches("[.txt", "[.txt"));
  }

  TEST_CASE("later rules override earlier ones per attribute") {
    Rules rules;
    FileRule all;
    all.glob = "*.json";
    all.policy = Policy::replace;
    all.mode = 0600;
    FileRule settings;
    settings.glob = "settings.json";
    settings.policy = Policy::merge;
    settings.arrays = config_init::merge::ArrayStrategy::union_;
    rules.files = {all, settings};
    const PathSettings s = settings_for(rules, "settings.json");
    CHECK(s.policy == Policy::merge);
    CHECK(s.mode == 0600u);
    CHECK(s.merge.arrays == config_init::merge::ArrayStrategy::union_);
    const PathSettings other = settings_for(rules, "other.json");
    CHECK(other.policy == Policy::replace);
    CHECK(other.merge.arrays == config_init::merge::ArrayStrategy::replace);
  }

  TEST_CASE("policies parse by name and reject anything else") {
    CHECK(parse_policy("seed") == Policy::seed);
    CHECK(std::string(policy_name(Policy::ignore)) == "ignore");
    CHECK_THROWS_WITH_AS(parse_policy("merge!"),
                         "unknown policy 'merge!' (expected merge, replace, seed or ignore)",
                         UsageError);
  }
}

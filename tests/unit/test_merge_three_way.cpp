#include "formats/document.h"
#include "merge/three_way.h"

#include <doctest/doctest.h>

using namespace config_init::formats;
using config_init::merge::EditConflict;
using config_init::merge::merge_three_way;

namespace {
Value table(std::initializer_list<std::pair<const char*, Value>> members) {
  Value value = Table{};
  for (const auto& [key, child] : members)
    value.set(key, child);
  return value;
}

std::vector<std::string> keys(const Value& value) {
  std::vector<std::string> out;
  for (const Member& member : value.table())
    out.push_back(member.key);
  return out;
}

std::vector<std::string> conflict_paths(const std::vector<EditConflict>& conflicts) {
  std::vector<std::string> out;
  for (const EditConflict& conflict : conflicts)
    out.push_back(conflict.key_path);
  return out;
}
} // namespace

TEST_SUITE("merge::three_way") {
  TEST_CASE("an untouched file takes the layers' new document") {
    const Value base = table({{"model", "a"}, {"n", 1}});
    const Value next = table({{"model", "b"}});
    std::vector<EditConflict> conflicts;
    CHECK(merge_three_way(base, base, next, conflicts) == next);
    CHECK(conflicts.empty());
  }

  TEST_CASE("the app's additions survive and the layers' changes apply") {
    const Value base =
        table({{"model", "a"}, {"projects", table({{"/ws", table({{"trust", "trusted"}})}})}});
    const Value current = table({{"model", "a"},
                                 {"projects", table({{"/ws", table({{"trust", "trusted"}})},
                                                     {"/work", table({{"trust", "trusted"}})}})},
                                 {"tui", table({{"notifications", true}})}});
    const Value next =
        table({{"model", "b"}, {"projects", table({{"/ws", table({{"trust", "trusted"}})}})}});
    std::vector<EditConflict> conflicts;
    const Value result = merge_three_way(base, current, next, conflicts);
    CHECK(result == table({{"model", "b"},
                           {"projects", table({{"/ws", table({{"trust", "trusted"}})},
                                               {"/work", table({{"trust", "trusted"}})}})},
                           {"tui", table({{"notifications", true}})}}));
    CHECK(keys(result) == std::vector<std::string>{"model", "projects", "tui"});
    CHECK(conflicts.empty());
  }

  TEST_CASE("a key both changed goes to the layers and is reported with its path") {
    const Value base = table({{"a", table({{"b", 1}, {"c", 1}})}});
    const Value current = table({{"a", table({{"b", 2}, {"c", 1}})}});
    const Value next = table({{"a", table({{"b", 3}, {"c", 1}})}});
    std::vector<EditConflict> conflicts;
    CHECK(merge_three_way(base, current, next, conflicts) == next);
    CHECK(conflict_paths(conflicts) == std::vector<std::string>{"a.b"});
  }

  TEST_CASE("the same change on both sides is no conflict") {
    const Value base = table({{"a", 1}});
    const Value changed = table({{"a", 2}});
    std::vector<EditConflict> conflicts;
    CHECK(merge_three_way(base, changed, changed, conflicts) == changed);
    CHECK(conflicts.empty());
  }

  TEST_CASE("removals: the layers' removal applies, the app's removal stays") {
    const Value base = table({{"a", 1}, {"b", 2}, {"c", 3}});
    const Value current = table({{"a", 1}, {"c", 3}}); // the app removed b
    const Value next = table({{"a", 1}, {"b", 2}});    // the layers removed c
    std::vector<EditConflict> conflicts;
    CHECK(merge_three_way(base, current, next, conflicts) == table({{"a", 1}}));
  }

  TEST_CASE("a key the app removed comes back when the layers change it") {
    const Value base = table({{"a", 1}, {"b", 2}});
    const Value current = table({{"a", 1}});
    const Value next = table({{"a", 1}, {"b", 20}});
    std::vector<EditConflict> conflicts;
    CHECK(merge_three_way(base, current, next, conflicts) == next);
    CHECK(conflict_paths(conflicts) == std::vector<std::string>{"b"});
  }

  TEST_CASE("arrays are values: the app's array survives unless the layers changed it") {
    const Value base = table({{"list", Array{1, 2}}});
    const Value current = table({{"list", Array{1, 2, 3}}});
    std::vector<EditConflict> conflicts;
    CHECK(merge_three_way(base, current, base, conflicts) == current);
    const Value next = table({{"list", Array{9}}});
    CHECK(merge_three_way(base, current, next, conflicts) == next);
    CHECK(conflict_paths(conflicts) == std::vector<std::string>{"list"});
  }

  TEST_CASE("keys that need quoting are quoted in conflict paths") {
    const Value base = table({{"projects", table({{"/work", table({{"t", "a"}})}})}});
    const Value current = table({{"projects", table({{"/work", table({{"t", "b"}})}})}});
    const Value next = table({{"projects", table({{"/work", table({{"t", "c"}})}})}});
    std::vector<EditConflict> conflicts;
    merge_three_way(base, current, next, conflicts);
    CHECK(conflict_paths(conflicts) == std::vector<std::string>{"projects.\"/work\".t"});
  }
}

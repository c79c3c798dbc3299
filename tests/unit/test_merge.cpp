#include "formats/format.h"
#include "merge/merge.h"
#include "util/error.h"

#include <doctest/doctest.h>

using namespace config_init;
using formats::Array;
using formats::Format;
using formats::Kind;
using formats::Table;
using formats::Value;
using merge::ArrayStrategy;
using merge::MergeRules;
using merge::TypeConflict;

namespace {

Value json(const std::string& text) {
  return formats::parse(Format::json, text, "test.json");
}

// Merges `higher` (layer 1) onto `lower` (layer 0) and returns the result.
Value merged(Value lower, Value higher, const MergeRules& rules = {},
             std::vector<TypeConflict>* conflicts = nullptr) {
  formats::set_origin(lower, 0);
  formats::set_origin(higher, 1);
  std::vector<TypeConflict> found;
  merge::merge_into(lower, higher, rules, found);
  if (conflicts) *conflicts = found;
  return lower;
}

MergeRules with_arrays(ArrayStrategy strategy) {
  MergeRules rules;
  rules.arrays = strategy;
  return rules;
}

// The merged document as JSON text, which shows key order too.
std::string text_of(const Value& value) {
  return formats::emit(Format::json, value, "test.json");
}

} // namespace

TEST_SUITE("merge") {
  TEST_CASE("tables merge key by key, recursively, lower keys first") {
    const Value result = merged(json(R"({"a": 1, "t": {"x": 1, "y": 2}})"),
                                json(R"({"b": 2, "t": {"y": 3, "z": 4}})"));
    CHECK(text_of(result) == text_of(json(R"({"a": 1, "t": {"x": 1, "y": 3, "z": 4}, "b": 2})")));
    CHECK(result.find("a")->origin == 0);
    CHECK(result.find("b")->origin == 1);
    CHECK(result.find("t")->find("x")->origin == 0);
    CHECK(result.find("t")->find("y")->origin == 1);
  }

  TEST_CASE("a scalar replaces a scalar of the same type without a conflict") {
    std::vector<TypeConflict> conflicts;
    const Value result =
        merged(json(R"({"model": "o3"})"), json(R"({"model": "gpt-5"})"), {}, &conflicts);
    CHECK(result == json(R"({"model": "gpt-5"})"));
    CHECK(result.find("model")->origin == 1);
    CHECK(conflicts.empty());
  }

  TEST_CASE("a scalar replacing a table is a reported type conflict") {
    std::vector<TypeConflict> conflicts;
    const Value result =
        merged(json(R"({"t": {"x": 1}})"), json(R"({"t": "flat"})"), {}, &conflicts);
    CHECK(result == json(R"({"t": "flat"})"));
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].key_path == "t");
    CHECK(conflicts[0].lower == Kind::table);
    CHECK(conflicts[0].higher == Kind::string);
  }

  TEST_CASE("a table replacing a scalar is a reported type conflict and drops its nulls") {
    std::vector<TypeConflict> conflicts;
    const Value result =
        merged(json(R"({"t": "flat"})"), json(R"({"t": {"x": 1, "gone": null}})"), {}, &conflicts);
    CHECK(text_of(result) == text_of(json(R"({"t": {"x": 1}})")));
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].lower == Kind::string);
    CHECK(conflicts[0].higher == Kind::table);
  }

  TEST_CASE("conflicts name the full key path, quoting keys that are not bare") {
    std::vector<TypeConflict> conflicts;
    merged(json(R"({"projects": {"/home/x": {"trust_level": "trusted"}}})"),
           json(R"({"projects": {"/home/x": {"trust_level": 1}}})"), {}, &conflicts);
    REQUIRE(conflicts.size() == 1);
    CHECK(conflicts[0].key_path == R"(projects."/home/x".trust_level)");
  }

  TEST_CASE("integer and float are different types; null against anything is no conflict") {
    std::vector<TypeConflict> conflicts;
    merged(json(R"({"n": 1, "a": null, "b": 2})"), json(R"({"n": 0.5, "a": 3, "b": [2]})"), {},
           &conflicts);
    REQUIRE(conflicts.size() == 2);
    CHECK(conflicts[0].key_path == "n");
    CHECK(conflicts[0].lower == Kind::integer);
    CHECK(conflicts[0].higher == Kind::floating);
    CHECK(conflicts[1].key_path == "b");
    CHECK(conflicts[1].higher == Kind::array);
  }

  TEST_CASE("a null in the higher layer deletes the key; nulls inside arrays are values") {
    const Value result = merged(json(R"({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]})"),
                                json(R"({"a": null, "b": {"c": null}, "x": null, "e": [null]})"));
    CHECK(text_of(result) == text_of(json(R"({"b": {"d": 3}, "e": [null]})")));
  }

  TEST_CASE("arrays are replaced by default") {
    const Value result = merged(json(R"({"a": [1, 2]})"), json(R"({"a": [3]})"));
    CHECK(result == json(R"({"a": [3]})"));
    CHECK(result.find("a")->origin == 1);
  }

  TEST_CASE("append keeps lower items then higher items, duplicates included") {
    const Value result = merged(json(R"({"a": [1, 2]})"), json(R"({"a": [2, 3]})"),
                                with_arrays(ArrayStrategy::append));
    CHECK(result == json(R"({"a": [1, 2, 2, 3]})"));
    CHECK(result.find("a")->array()[0].origin == 0);
    CHECK(result.find("a")->array()[3].origin == 1);
  }

  TEST_CASE("union appends without duplicates, first occurrence order kept") {
    const Value result = merged(json(R"({"a": ["x", "y", "x", 1, {"k": 1, "j": 2}]})"),
                                json(R"({"a": ["z", "y", 1.0, {"j": 2, "k": 1}, [1]]})"),
                                with_arrays(ArrayStrategy::union_));
    // Deep equality: a table with the same members in another order is a duplicate; 1 and
    // 1.0 are different values.
    CHECK(text_of(result) ==
          text_of(json(R"({"a": ["x", "y", 1, {"k": 1, "j": 2}, "z", 1.0, [1]]})")));
  }

  TEST_CASE("array strategies by key path: the longest matching prefix wins") {
    MergeRules rules;
    rules.arrays = ArrayStrategy::append;
    rules.array_paths = {{{"permissions"}, ArrayStrategy::union_},
                         {{"permissions", "deny"}, ArrayStrategy::replace}};
    const Value result = merged(
        json(R"({"top": [1], "permissions": {"allow": ["a"], "deny": ["b"], "ask": ["c"]}})"),
        json(R"({"top": [1], "permissions": {"allow": ["a", "d"], "deny": ["e"], "ask": ["c"]}})"),
        rules);
    CHECK(result == json(R"({"top": [1, 1],
                             "permissions": {"allow": ["a", "d"], "deny": ["e"], "ask": ["c"]}})"));
  }

  TEST_CASE("an array against a non-array is replaced whole with a conflict") {
    std::vector<TypeConflict> conflicts;
    const Value result = merged(json(R"({"a": [1], "b": "s"})"), json(R"({"a": "s", "b": [1]})"),
                                with_arrays(ArrayStrategy::union_), &conflicts);
    CHECK(result == json(R"({"a": "s", "b": [1]})"));
    CHECK(conflicts.size() == 2);
  }

  TEST_CASE("tables inside arrays are not merged, arrays inside arrays are items") {
    const Value result =
        merged(json(R"({"a": [{"x": 1}, [1]]})"), json(R"({"a": [{"y": 2}, [1]]})"),
               with_arrays(ArrayStrategy::union_));
    CHECK(result == json(R"({"a": [{"x": 1}, [1], {"y": 2}]})"));
  }

  TEST_CASE("deletions remove key paths after the merge; absent paths are ignored") {
    MergeRules rules;
    rules.deletions = {{"a", "b"}, {"missing", "x"}, {"s", "x"}, {"top"}};
    Value document = json(R"({"a": {"b": 1, "c": 2}, "s": "scalar", "top": true})");
    merge::apply_deletions(document, rules);
    CHECK(text_of(document) == text_of(json(R"({"a": {"c": 2}, "s": "scalar"})")));
  }

  TEST_CASE("array strategies parse by name") {
    CHECK(merge::parse_array_strategy("replace") == ArrayStrategy::replace);
    CHECK(merge::parse_array_strategy("append") == ArrayStrategy::append);
    CHECK(merge::parse_array_strategy("union") == ArrayStrategy::union_);
    CHECK(std::string(merge::array_strategy_name(ArrayStrategy::union_)) == "union");
    CHECK_THROWS_WITH_AS(merge::parse_array_strategy("merge"),
                         "invalid array strategy 'merge' (expected replace, append or union)",
                         UsageError);
  }

  // RFC 7386, appendix A: every example, target + patch = result.
  TEST_CASE("JSON merge patch: the examples of RFC 7386 appendix A") {
    struct Example {
      const char* target;
      const char* patch;
      const char* result;
    };
    const Example examples[] = {
        {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
        {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
        {R"({"a":"b"})", R"({"a":null})", R"({})"},
        {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
        {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
        {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
        {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
        {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
        {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
        {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
        {R"({"a":"foo"})", R"(null)", R"(null)"},
        {R"({"a":"foo"})", R"("bar")", R"("bar")"},
        {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
        {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
        {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
    };
    for (const Example& example : examples) {
      CAPTURE(example.target);
      CAPTURE(example.patch);
      const Value result = merged(json(example.target), json(example.patch));
      CHECK(text_of(result) == text_of(json(example.result)));
    }
  }

  TEST_CASE("leaves list every scalar, array and empty table in document order") {
    Value document = json(R"({"model": "gpt-5", "n": 3, "f": 1.0, "on": true, "none": null,
                              "list": [1, 2], "empty": {}, "t": {"x": "a\"b\n", "deep": {"y": []}},
                              "projects": {"/home/x": {"trust_level": "trusted"}}})");
    formats::set_origin(document, 2);
    const std::vector<merge::Leaf> leaves = merge::leaves(document);
    std::vector<std::string> lines;
    for (const merge::Leaf& leaf : leaves) {
      lines.push_back(leaf.key_path + " = " + leaf.value + " @" + std::to_string(leaf.origin));
    }
    CHECK(lines == std::vector<std::string>{
                       R"(model = "gpt-5" @2)",
                       "n = 3 @2",
                       "f = 1.0 @2",
                       "on = true @2",
                       "none = null @2",
                       "list = [1,2] @2",
                       "empty = {} @2",
                       R"(t.x = "a\"b\n" @2)",
                       "t.deep.y = [] @2",
                       R"(projects."/home/x".trust_level = "trusted" @2)",
                   });
  }

  TEST_CASE("leaves of a merge name the layer each key came from") {
    const Value result =
        merged(json(R"({"a": 1, "t": {"x": 1}})"), json(R"({"t": {"y": [{"k": 1}]}})"));
    const std::vector<merge::Leaf> leaves = merge::leaves(result);
    REQUIRE(leaves.size() == 3);
    CHECK(leaves[0].origin == 0);
    CHECK(leaves[1].key_path == "t.x");
    CHECK(leaves[1].origin == 0);
    CHECK(leaves[2].key_path == "t.y");
    CHECK(leaves[2].value == R"([{"k":1}])");
    CHECK(leaves[2].origin == 1);
  }

  TEST_CASE("leaves of a union array name the layer of each element") {
    const Value result = merged(json(R"({"p": {"allow": ["a", "b"]}, "r": [1]})"),
                                json(R"({"p": {"allow": ["b", "c"]}, "r": [2]})"),
                                with_arrays(ArrayStrategy::union_));
    std::vector<std::string> lines;
    for (const merge::Leaf& leaf : merge::leaves(result)) {
      lines.push_back(leaf.key_path + " = " + leaf.value + " @" + std::to_string(leaf.origin));
    }
    CHECK(lines == std::vector<std::string>{
                       R"(p.allow[0] = "a" @0)",
                       R"(p.allow[1] = "b" @0)",
                       R"(p.allow[2] = "c" @1)",
                       "r[0] = 1 @0",
                       "r[1] = 2 @1",
                   });
  }

  TEST_CASE("leaves of an array from one layer stay one leaf") {
    const Value result = merged(json(R"({"r": [1], "s": [1]})"), json(R"({"r": [2, 3]})"),
                                with_arrays(ArrayStrategy::replace));
    const std::vector<merge::Leaf> leaves = merge::leaves(result);
    REQUIRE(leaves.size() == 2);
    CHECK(leaves[0].key_path == "r");
    CHECK(leaves[0].value == "[2,3]");
    CHECK(leaves[0].origin == 1);
    CHECK(leaves[1].key_path == "s");
    CHECK(leaves[1].origin == 0);
  }

  TEST_CASE("leaves format TOML dates and big integers exactly") {
    const Value document = formats::parse(
        Format::toml, "d = 1979-05-27T07:32:00.5-07:00\nl = 07:32:00\nbig = 9007199254740993\n",
        "test.toml");
    const std::vector<merge::Leaf> leaves = merge::leaves(document);
    REQUIRE(leaves.size() == 3);
    CHECK(leaves[0].value == "1979-05-27T07:32:00.5-07:00");
    CHECK(leaves[1].value == "07:32:00");
    CHECK(leaves[2].value == "9007199254740993");
  }

  TEST_CASE("an empty document has no leaves; a scalar document is one leaf") {
    CHECK(merge::leaves(Value(Table{})).empty());
    const std::vector<merge::Leaf> leaves = merge::leaves(Value("x"));
    REQUIRE(leaves.size() == 1);
    CHECK(leaves[0].key_path == "");
    CHECK(leaves[0].value == R"("x")");
  }
}

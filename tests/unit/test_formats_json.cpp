#include "formats/format.h"
#include "formats/json_format.h"
#include "random_tree.h"
#include "util/error.h"

#include <doctest/doctest.h>

using namespace config_init;
using formats::Array;
using formats::Table;
using formats::Value;

namespace {

Value parse(const std::string& text) {
  return formats::json_format::parse(text, "settings.json");
}
std::string emit(const Value& value) {
  return formats::json_format::emit(value, "settings.json");
}

} // namespace

TEST_SUITE("formats.json") {
  TEST_CASE("values map to their kinds, any type at the top") {
    const Value document = parse(R"({"s": "x", "i": -3, "f": 2.5, "b": false, "n": null,
                                     "a": [1, "x"], "o": {"k": {}}})");
    CHECK(document == Value(Table{{"s", "x"},
                                  {"i", -3},
                                  {"f", 2.5},
                                  {"b", false},
                                  {"n", Value{}},
                                  {"a", Array{1, "x"}},
                                  {"o", Table{{"k", Table{}}}}}));
    CHECK(parse("[1]") == Value(Array{1}));
    CHECK(parse(" \"s\" ") == Value("s"));
    CHECK(parse("null").is_null());
  }

  TEST_CASE("integers stay exact beyond 2^53, up to 2^64-1; larger ones are refused") {
    CHECK(parse("9007199254740993") == Value(int64_t{9007199254740993}));
    CHECK(parse("-9223372036854775808") == Value(std::numeric_limits<int64_t>::min()));
    CHECK(parse("9223372036854775807") == Value(std::numeric_limits<int64_t>::max()));
    CHECK(parse("9223372036854775808") == Value(uint64_t{9223372036854775808u}));
    CHECK(parse("18446744073709551615") == Value(std::numeric_limits<uint64_t>::max()));
    CHECK_THROWS_WITH_AS(parse("[1,\n -123123123123123123123123123123]"),
                         "settings.json:2:2: the integer -123123123123123123123123123123 is out "
                         "of the 64-bit range (config-init keeps integers exact and refuses "
                         "larger ones rather than round them)",
                         InputError);
    CHECK_THROWS_AS(parse("18446744073709551616"), InputError);
    CHECK_THROWS_AS(parse("[1e400]"), InputError); // an error, not infinity
    CHECK(emit(parse(R"([9007199254740993, 18446744073709551615, -9223372036854775808])")) ==
          "[\n  9007199254740993,\n  18446744073709551615,\n  -9223372036854775808\n]\n");
  }

  TEST_CASE("a NUL byte is an error at its position, not the end of the document") {
    CHECK_THROWS_WITH_AS(parse(std::string("{\"a\":1}\0{\"b\":", 13)),
                         "settings.json:1:8: a NUL byte (JSON text cannot hold one; in a "
                         "string, write \\u0000)",
                         InputError);
    CHECK_THROWS_WITH_AS(parse(std::string("{\"a\":\n \"x\0\"}", 12)),
                         doctest::Contains("settings.json:2:4: a NUL byte"), InputError);
  }

  TEST_CASE("emit pretty-prints with 2 spaces, keeps key order and ends with a newline") {
    const Value document =
        parse(R"({"z": 1, "a": {"y": [], "b": {}}, "m": [true, null, 0.1, 1.0]})");
    CHECK(emit(document) == R"({
  "z": 1,
  "a": {
    "y": [],
    "b": {}
  },
  "m": [
    true,
    null,
    0.1,
    1.0
  ]
}
)");
  }

  TEST_CASE("floats are written in their shortest form") {
    CHECK(emit(parse("[0.1, 1.0, 1e20, 2.5e-7, -0.0, 1.7976931348623157e308]")) ==
          "[\n  0.1,\n  1.0,\n  1e+20,\n  2.5e-07,\n  -0.0,\n  1.7976931348623157e+308\n]\n");
  }

  TEST_CASE("unicode is kept; escapes are decoded and re-escaped where needed") {
    const Value document = parse(R"({"s": "\u00e9 中 \ud83d\ude00 \"q\" \\ \/ \t\n\u0001"})");
    CHECK(*document.find("s") == Value("é 中 😀 \"q\" \\ / \t\n\x01"));
    CHECK(emit(document) == "{\n  \"s\": \"é 中 😀 \\\"q\\\" \\\\ / \\t\\n\\u0001\"\n}\n");
    CHECK(parse(emit(document)) == document);
  }

  TEST_CASE("duplicate keys are errors at the second key") {
    CHECK_THROWS_WITH_AS(parse("{\"a\": 1,\n \"a\": 2}"), "settings.json:2:2: duplicate key 'a'",
                         InputError);
    CHECK_THROWS_WITH_AS(parse(R"({"o": {"k\"\\": 1, "k\"\\": 2}})"),
                         R"(settings.json:1:20: duplicate key 'k"\')", InputError);
    CHECK_NOTHROW(parse(R"({"a": {"k": 1}, "b": {"k": 1}})"));
  }

  TEST_CASE("nesting deeper than 256 levels is refused") {
    CHECK_THROWS_WITH_AS(parse(std::string(300, '[')),
                         "settings.json:1:257: nesting deeper than 256 levels", InputError);
    CHECK_NOTHROW(parse(std::string(256, '[') + std::string(256, ']')));
  }

  TEST_CASE("syntax errors carry line and column computed from the byte offset") {
    CHECK_THROWS_WITH_AS(parse(R"({"a":,})"),
                         "settings.json:1:6: syntax error while parsing value - unexpected ','; "
                         "expected '[', '{', or a literal",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("{\n  \"a\": tru }"),
                         "settings.json:2:11: syntax error while parsing value - invalid literal; "
                         "last read: '\"a\": tru '",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("{\"a\": 1,}"),
                         "settings.json:1:9: syntax error while parsing object key - unexpected "
                         "'}'; expected string literal",
                         InputError);
    CHECK_THROWS_WITH_AS(parse(""),
                         "settings.json:1:1: syntax error while parsing value - unexpected end of "
                         "input; expected '[', '{', or a literal",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("{} x"),
                         "settings.json:1:4: syntax error while parsing value - invalid literal; "
                         "last read: '{} x'; expected end of input",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("\"abc\n\""),
                         "settings.json:1:5: syntax error while parsing value - invalid string: "
                         "control character U+000A (LF) must be escaped to \\u000A or \\n; last "
                         "read: '\"abc<U+000A>'",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("[1e400]"), "settings.json:1:6: number overflow parsing '1e400'",
                         InputError);
  }

  TEST_CASE("trees JSON cannot hold are refused on emit") {
    CHECK_THROWS_WITH_AS(
        emit(Value(Table{{"a", Array{1, std::numeric_limits<double>::infinity()}}})),
        "settings.json: a[1]: JSON has no NaN or infinity", InputError);
    formats::DateTime dt;
    dt.has_date = true;
    CHECK_THROWS_WITH_AS(emit(Value(Table{{"d", dt}})),
                         "settings.json: d: JSON has no date-time type", InputError);
    CHECK_THROWS_WITH_AS(emit(Value(Table{{"s", "\xff"}})),
                         "settings.json: cannot write JSON: [json.exception.type_error.316] "
                         "invalid UTF-8 byte at index 0: 0xFF",
                         InputError);
  }

  TEST_CASE("property: random trees survive emit then parse") {
    testing::TreeShape shape;
    shape.nulls = true;
    shape.big_unsigned = true;
    for (uint64_t seed = 1; seed <= 400; ++seed) {
      testing::TreeGenerator generator(seed, shape);
      const Value document = generator.table();
      const std::string text = emit(document);
      CAPTURE(seed);
      CAPTURE(text);
      const Value back = parse(text);
      CHECK(back == document);
      CHECK(emit(back) == text); // key order too
    }
  }
}

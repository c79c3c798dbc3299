#include "formats/format.h"
#include "formats/yaml_format.h"
#include "random_tree.h"
#include "util/error.h"

#include <doctest/doctest.h>

using namespace config_init;
using formats::Array;
using formats::Kind;
using formats::Table;
using formats::Value;

namespace {

Value parse(const std::string& text) {
  return formats::yaml_format::parse(text, "values.yaml");
}
std::string emit(const Value& value) {
  return formats::yaml_format::emit(value, "values.yaml");
}
void validate(const std::string& text) {
  formats::yaml_format::validate(text, "values.yaml");
}

// The value of `text` as a plain scalar under key `v`.
Value scalar(const std::string& text) {
  return *parse("v: " + text + "\n").find("v");
}

} // namespace

TEST_SUITE("formats.yaml") {
  TEST_CASE("plain scalars resolve by the YAML 1.2 core schema") {
    CHECK(scalar("~").is_null());
    CHECK(scalar("null").is_null());
    CHECK(scalar("NULL").is_null());
    CHECK(parse("v:\n").find("v")->is_null());
    CHECK(scalar("true") == Value(true));
    CHECK(scalar("False") == Value(false));
    CHECK(scalar("123") == Value(int64_t{123}));
    CHECK(scalar("+12") == Value(int64_t{12}));
    CHECK(scalar("-5") == Value(int64_t{-5}));
    CHECK(scalar("0x1F") == Value(int64_t{31}));
    CHECK(scalar("0o17") == Value(int64_t{15}));
    CHECK(scalar("1e3") == Value(1000.0));
    CHECK(scalar("1.5") == Value(1.5));
    CHECK(scalar(".5") == Value(0.5));
    CHECK(scalar("-.inf") == Value(-std::numeric_limits<double>::infinity()));
    CHECK(scalar(".NaN") == Value(std::numeric_limits<double>::quiet_NaN()));
    CHECK(scalar("1e-400") == Value(0.0)); // the nearest double
  }

  TEST_CASE("YAML 1.1 words and other look-alikes are strings") {
    for (const char* text : {"yes", "no", "on", "off", "y", "n", "1_000", "0b101", "1:30",
                             "2024-01-01", "0x", "1.2.3", ".", "-x", "inf", "nan", "tRue"}) {
      CAPTURE(text);
      CHECK(scalar(text) == Value(text));
    }
  }

  TEST_CASE("integers keep 64 bits; larger numbers are refused, never rounded") {
    CHECK(scalar("9007199254740993") == Value(int64_t{9007199254740993}));
    CHECK(scalar("-9223372036854775808") == Value(std::numeric_limits<int64_t>::min()));
    CHECK(scalar("9223372036854775808") == Value(uint64_t{9223372036854775808u}));
    CHECK(scalar("18446744073709551615") == Value(std::numeric_limits<uint64_t>::max()));
    CHECK_THROWS_WITH_AS(scalar("18446744073709551616"),
                         "values.yaml:1:4: the number 18446744073709551616 is out of the 64-bit "
                         "range (config-init keeps numbers exact and refuses larger ones rather "
                         "than change them)",
                         InputError);
    CHECK_THROWS_AS(scalar("-9223372036854775809"), InputError);
    CHECK_THROWS_AS(scalar("0x10000000000000000"), InputError);
    CHECK_THROWS_AS(scalar("1e400"), InputError); // not infinity
    CHECK(scalar("'18446744073709551616'") == Value("18446744073709551616"));
    CHECK(scalar("!!float 18446744073709551616") == Value(18446744073709551616.0));
  }

  TEST_CASE("quoted and block scalars are always strings") {
    CHECK(scalar("'true'") == Value("true"));
    CHECK(scalar("\"123\"") == Value("123"));
    CHECK(scalar("''") == Value(""));
    CHECK(scalar("\"~\"") == Value("~"));
    CHECK(*parse("v: |\n  12\n").find("v") == Value("12\n"));
  }

  TEST_CASE("core tags are applied; other tags are refused") {
    CHECK(scalar("!!str 123") == Value("123"));
    CHECK(scalar("!!int \"12\"") == Value(int64_t{12}));
    CHECK(scalar("!!float 1") == Value(1.0));
    CHECK(scalar("!!float 0x10") == Value(16.0));
    CHECK(scalar("!!null ''") == Value{});
    CHECK(parse("v: !!map {a: 1}\n") == parse("v: {a: 1}\n"));
    CHECK_THROWS_WITH_AS(parse("v: !!bool yes\n"), "values.yaml:1:4: 'yes' is not a valid !!bool",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("v: !Ref x\n"), "values.yaml:1:4: unsupported tag '!Ref'",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("v: !!seq {a: 1}\n"),
                         "values.yaml:1:4: unsupported tag 'tag:yaml.org,2002:seq'", InputError);
    CHECK_THROWS_WITH_AS(parse("v: !!timestamp 2001-12-14\n"),
                         "values.yaml:1:4: unsupported tag 'tag:yaml.org,2002:timestamp'",
                         InputError);
  }

  TEST_CASE("key order is kept and keys are the scalars' source text") {
    const Value document = parse("z: 1\na: 2\n1: x\ntrue: y\n~: z\n\"q\": w\n");
    std::vector<std::string> keys;
    for (const formats::Member& member : document.table())
      keys.push_back(member.key);
    CHECK(keys == std::vector<std::string>{"z", "a", "1", "true", "~", "q"});
  }

  TEST_CASE("strings that would read back as another type are quoted") {
    const Value document = Value(Table{
        {"b", "true"},
        {"y", "yes"},
        {"i", "123"},
        {"f", "1e3"},
        {"e", ""},
        {"t", "~"},
        {"n", "null"},
        {"l", " lead"},
        {"r", "trail "},
        {"c", "a: b"},
        {"h", "#x"},
        {"d", "- x"},
        {"v", "1.2.3"},
        {"p", "gpt-5"},
        {"u", "https://example.com/a"},
    });
    // "y" and "n" are booleans to YAML 1.1 readers: quoted too, even as keys.
    CHECK(emit(document) == R"(b: "true"
"y": "yes"
i: "123"
f: "1e3"
e: ""
t: "~"
"n": "null"
l: " lead"
r: "trail "
c: "a: b"
h: "#x"
d: "- x"
v: "1.2.3"
p: gpt-5
u: https://example.com/a
)");
    CHECK(parse(emit(document)) == document);
  }

  TEST_CASE("floats keep a float form; integers stay exact") {
    const Value document = Value(Table{{"a", 0.1},
                                       {"b", 1.0},
                                       {"c", 1e20},
                                       {"d", -std::numeric_limits<double>::infinity()},
                                       {"e", std::numeric_limits<double>::quiet_NaN()},
                                       {"f", int64_t{9007199254740993}},
                                       {"g", std::numeric_limits<uint64_t>::max()},
                                       {"h", true},
                                       {"i", Value{}}});
    CHECK(emit(document) == "a: 0.1\nb: 1.0\nc: 1e+20\nd: -.inf\ne: .nan\nf: 9007199254740993\n"
                            "g: 18446744073709551615\nh: true\ni: ~\n");
    CHECK(parse(emit(document)) == document);
  }

  TEST_CASE("unicode is written as is, control characters escaped") {
    const Value document = Value(Table{{"s", "é 中 😀"}, {"ключ", "tab\there\nnew \x01"}});
    CHECK(emit(document) == "s: é 中 😀\nключ: \"tab\\there\\nnew \\x01\"\n");
    CHECK(parse(emit(document)) == document);
  }

  TEST_CASE("keys longer than 1024 characters are written as explicit keys") {
    const Value document = Value(Table{{std::string(2000, 'k'), Array{1, 2}}});
    CHECK(emit(document).substr(0, 4) == "? kk");
    CHECK(parse(emit(document)) == document);
  }

  TEST_CASE("empty maps and lists are written in flow style") {
    const Value document = Value(
        Table{{"m", Table{}}, {"l", Array{}}, {"n", Array{Table{}, Array{}, Table{{"k", 1}}}}});
    CHECK(emit(document) == "m: {}\nl: []\n\"n\":\n  - {}\n  - []\n  - k: 1\n");
    CHECK(parse(emit(document)) == document);
  }

  TEST_CASE("empty documents are empty tables") {
    CHECK(parse("") == Value(Table{}));
    CHECK(parse("# only a comment\n") == Value(Table{}));
    CHECK(parse("---\n") == Value(Table{}));
    CHECK(parse("~\n") == Value(Table{}));
  }

  TEST_CASE("aliases are expanded into copies") {
    const Value document = parse("base: &b {k: 1, l: [x]}\ncopy: *b\nkey: &k name\n*k : 2\n");
    CHECK(*document.find("copy") == parse("{k: 1, l: [x]}"));
    CHECK(*document.find("name") == Value(int64_t{2}));
  }

  TEST_CASE("an alias inside its own anchor is refused") {
    CHECK_THROWS_WITH_AS(parse("a: &x [1, *x]\n"),
                         "values.yaml:1:11: an alias to an anchor that is not complete yet (a "
                         "recursive alias)",
                         InputError);
  }

  TEST_CASE("alias bombs hit the node limit") {
    std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {
      const std::string previous = "*a" + std::to_string(i - 1);
      text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
      for (int j = 0; j < 10; ++j)
        text += previous + (j < 9 ? ", " : "]\n");
    }
    CHECK_THROWS_WITH_AS(parse(text),
                         "values.yaml:6:40: the document has more than 1000000 nodes (aliases "
                         "expanded)",
                         InputError);
  }

  TEST_CASE("aliases of a big string hit the byte limit") {
    std::string text = "s: &s " + std::string(1024 * 1024, 'x') + "\nl: [";
    for (int i = 0; i < 70; ++i)
      text += "*s, ";
    text += "]\n";
    CHECK_THROWS_WITH_AS(parse(text),
                         "values.yaml:2:249: the document has more than 67108864 bytes of text "
                         "(aliases expanded)",
                         InputError);
  }

  TEST_CASE("nesting deeper than 256 levels is refused") {
    CHECK_THROWS_WITH_AS(parse(std::string(300, '[') + std::string(300, ']')),
                         "values.yaml:1:257: nesting deeper than 256 levels", InputError);
    std::string block;
    for (int i = 0; i < 300; ++i)
      block += std::string(static_cast<size_t>(i), ' ') + "k:\n";
    CHECK_THROWS_WITH_AS(parse(block), "values.yaml:257:257: nesting deeper than 256 levels",
                         InputError);
  }

  TEST_CASE("an alias that would nest too deep is refused") {
    std::string text = "a: &a ";
    text += std::string(200, '[') + std::string(200, ']') + "\nb: ";
    text += std::string(100, '[') + "*a" + std::string(100, ']') + "\n";
    CHECK_THROWS_WITH_AS(parse(text), "values.yaml:2:104: nesting deeper than 256 levels",
                         InputError);
  }

  TEST_CASE("stray text after a document is an error, not endless documents") {
    // (yaml-cpp's LoadAll(",") allocated without end.)
    CHECK_THROWS_WITH_AS(validate(","), "values.yaml:1:1: did not find expected node content",
                         InputError);
    CHECK_THROWS_WITH_AS(parse(","), "values.yaml:1:1: did not find expected node content",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("- a\nb: c\n"),
                         "values.yaml:2:1: invalid scalar at the end of block sequence",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("\"a\" x\n"),
                         "values.yaml:1:5: invalid trailing content after double-quoted scalar",
                         InputError);
    CHECK_THROWS_AS(validate("a: 1\n...\nb\n: 2\n...\ntext\n"), InputError); // after `...`
  }

  TEST_CASE("what yaml-cpp accepted and YAML does not allow is refused") {
    // yaml-test-suite cases that yaml-cpp 0.7 accepted.
    CHECK_THROWS_WITH_AS(parse("key: \"missing closing quote\n"),
                         doctest::Contains("values.yaml:1:"), InputError);
    CHECK_THROWS_WITH_AS(parse("[ , a, b ]\n"),
                         "values.yaml:1:3: flow sequence with invalid comma in the beginning",
                         InputError);
    CHECK_THROWS_AS(parse("key: \"value\"# comment\n"), InputError);
  }

  TEST_CASE("a NUL byte or invalid UTF-8 is an error at its position, never the end") {
    CHECK_THROWS_WITH_AS(parse(std::string("a: 1\n\0b: 2\n", 11)),
                         "values.yaml:2:1: a NUL byte (YAML text cannot hold one; in a string, "
                         "write \"\\0\")",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("a: x\nb: \xff\xfe\n"),
                         "values.yaml:2:4: invalid UTF-8 (config-init reads YAML as UTF-8)",
                         InputError);
    CHECK(parse("s: \"\\0\"\n") == Value(Table{{"s", std::string(1, '\0')}}));
  }

  TEST_CASE("what yaml-cpp refused and YAML allows is read") {
    CHECK(parse("{\"foo\"\n: \"bar\"}\n") == Value(Table{{"foo", "bar"}}));
    CHECK(parse("a:\tb\n") == Value(Table{{"a", "b"}}));
  }

  TEST_CASE("blank-line and whitespace-only strings survive emit then parse") {
    for (const char* text : {"\n", "\n\n", "\n\n  ", " ", "  \n ", "x\n \n", "\t", "a\n\nb\n"}) {
      CAPTURE(text);
      const Value document = Value(Table{{"s", text}});
      CHECK(parse(emit(document)) == document);
    }
    CHECK(parse("a: |\n  x\n   \nb: >+\n  y\n\n") == Value(Table{{"a", "x\n \n"}, {"b", "y\n\n"}}));
    CHECK(emit(Value(Table{{"s", "x\n \n"}})) == "s: \"x\\n \\n\"\n");
  }

  TEST_CASE("streams: validate accepts several documents, parse exactly one") {
    CHECK_NOTHROW(validate("a: 1\n---\nb: 2\n...\n# end\nc: 3\n"));
    CHECK_NOTHROW(validate(""));
    CHECK_THROWS_WITH_AS(parse("a: 1\n---\nb: 2\n"),
                         "values.yaml:2:1: a second document (a file config-init merges must "
                         "hold exactly one)",
                         InputError);
    CHECK(parse("--- # one\na: 1\n...\n") == parse("a: 1"));
  }

  TEST_CASE("validate applies the same checks to every document") {
    CHECK_THROWS_WITH_AS(validate("a: 1\n---\nb: 1\nb: 2\n"), "values.yaml:4:1: duplicate key 'b'",
                         InputError);
  }

  TEST_CASE("duplicate keys are errors at the second key") {
    CHECK_THROWS_WITH_AS(parse("a: 1\nt:\n  x: 1\n  x: 2\n"), "values.yaml:4:3: duplicate key 'x'",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("{a: 1, \"a\": 2}"), "values.yaml:1:8: duplicate key 'a'",
                         InputError);
  }

  TEST_CASE("complex keys are refused") {
    CHECK_THROWS_WITH_AS(parse("[a, b]: c\n"), "values.yaml:1:1: a mapping key must be a scalar",
                         InputError);
  }

  TEST_CASE("syntax errors carry 1-based line and column") {
    CHECK_THROWS_WITH_AS(parse("a: b: c\n"),
                         "values.yaml:1:5: invalid nested block mapping on the same line",
                         InputError);
    CHECK_THROWS_WITH_AS(parse("a: 1\nb: [1, 2\n"),
                         "values.yaml:3:1: flow sequence without a closing bracket", InputError);
    CHECK_THROWS_WITH_AS(parse("a: *nothing\n"),
                         "values.yaml:1:4: the alias *nothing names no anchor defined before it",
                         InputError);
  }

  TEST_CASE("date-times cannot be written") {
    formats::DateTime dt;
    dt.has_date = true;
    CHECK_THROWS_WITH_AS(emit(Value(Table{{"d", dt}})),
                         "values.yaml: d: YAML has no date-time type here", InputError);
  }

  TEST_CASE("property: random trees survive emit then parse") {
    testing::TreeShape shape;
    shape.nulls = true;
    shape.big_unsigned = true;
    shape.non_finite = true;
    for (uint64_t seed = 1; seed <= 400; ++seed) {
      testing::TreeGenerator generator(seed, shape);
      const Value document = generator.table();
      const std::string text = emit(document);
      CAPTURE(seed);
      CAPTURE(text);
      CHECK(parse(text) == document);
    }
  }
}

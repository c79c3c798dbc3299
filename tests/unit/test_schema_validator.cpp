#include "formats/format.h"
#include "schema/check.h"
#include "schema/validator.h"
#include "state/manifest.h"
#include "test_support.h"
#include "util/error.h"
#include "util/sha256.h"

#include <doctest/doctest.h>
#include <sstream>

using namespace config_init;
using formats::Format;
using schema::Schema;
using schema::Violation;
using test_support::TempDir;

namespace {

// "key keyword location" per violation, for compact checks.
std::vector<std::string> brief(const std::vector<Violation>& violations) {
  std::vector<std::string> out;
  for (const Violation& v : violations)
    out.push_back(v.key_path + " " + v.keyword + " " + v.schema_location);
  return out;
}

std::vector<std::string> check_toml(const std::string& schema, const std::string& toml) {
  return brief(
      Schema::parse(schema, "s.json")->validate(formats::parse(Format::toml, toml, "config.toml")));
}

const char* const agent_schema = R"({
  "type": "object", "additionalProperties": false,
  "definitions": {"level": {"enum": ["low", "high"]}},
  "properties": {
    "model": {"type": "string"},
    "effort": {"$ref": "#/definitions/level"},
    "tools": {"type": "object", "properties": {"web": {"type": "boolean"}},
              "patternProperties": {"^x_": {"type": "integer"}}},
    "items": {"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "integer"}},
    "quoted": {"type": "object", "additionalProperties": {"type": "string"}},
    "when": {"type": "string", "format": "date-time"},
    "day": {"type": "string", "format": "date"}
  }})";

} // namespace

TEST_SUITE("schema::validator") {
  TEST_CASE("a valid document has no violations") {
    CHECK(check_toml(agent_schema, "model = \"o3\"\neffort = \"low\"\n[tools]\nweb = true\n")
              .empty());
  }

  TEST_CASE("an unknown key is named in the key path, located at additionalProperties") {
    CHECK(check_toml(agent_schema, "aproval_policy = \"never\"\n") ==
          std::vector<std::string>{"aproval_policy additionalProperties #/additionalProperties"});
  }

  TEST_CASE("locations follow $ref, patternProperties and tuple items") {
    CHECK(check_toml(agent_schema, "effort = \"max\"\n") ==
          std::vector<std::string>{"effort enum #/definitions/level/enum"});
    CHECK(check_toml(agent_schema, "[tools]\nx_depth = \"deep\"\n") ==
          std::vector<std::string>{
              "tools.x_depth type #/properties/tools/patternProperties/^x_/type"});
    CHECK(check_toml(agent_schema, "items = [1, \"a\"]\n") ==
          std::vector<std::string>{"items[0] type #/properties/items/items/0/type",
                                   "items[1] type #/properties/items/additionalItems/type"});
  }

  TEST_CASE("key paths quote keys that are not bare, as elsewhere in messages") {
    CHECK(check_toml(agent_schema, "[quoted]\n\"/home/a b\" = 1\n") ==
          std::vector<std::string>{
              "quoted.\"/home/a b\" type #/properties/quoted/additionalProperties/type"});
    CHECK(check_toml("{\"type\": \"array\"}", "a = 1\n") ==
          std::vector<std::string>{"(top level) type #/type"});
  }

  TEST_CASE("TOML datetimes are checked as RFC 3339 strings") {
    CHECK(
        Schema::as_json(formats::parse(Format::toml,
                                       "a = 1979-05-27T07:32:00Z\nb = 1979-05-27T00:32:00.5-07:00\n"
                                       "c = 1979-05-27\nd = 07:32:00\ne = 1979-05-27T07:32:00\n",
                                       "t.toml")) ==
        R"({"a":"1979-05-27T07:32:00Z","b":"1979-05-27T00:32:00.5-07:00","c":"1979-05-27","d":"07:32:00","e":"1979-05-27T07:32:00"})");
    CHECK(check_toml(agent_schema, "when = 1979-05-27T07:32:00Z\nday = 1979-05-27\n").empty());
    CHECK(check_toml(agent_schema, "when = 1979-05-27T07:32:00\n") ==
          std::vector<std::string>{"when format #/properties/when/format"});
  }

  TEST_CASE("64-bit integers stay integers; a float is not an integer") {
    const auto doc = formats::parse(
        Format::json, R"({"a": 18446744073709551615, "b": -9223372036854775808, "c": 2.0})",
        "j.json");
    CHECK(Schema::as_json(doc) == R"({"a":18446744073709551615,"b":-9223372036854775808,"c":2.0})");
    const auto schema = Schema::parse(
        R"({"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}}})",
        "s.json");
    CHECK(brief(schema->validate(doc)) == std::vector<std::string>{"c type #/properties/c/type"});
  }

  TEST_CASE("draft-04 is accepted; later drafts and non-local $refs are refused") {
    CHECK_NOTHROW(Schema::parse(R"({"$schema": "http://json-schema.org/draft-04/schema#"})", "s"));
    CHECK_NOTHROW(Schema::parse(R"({"$schema": "http://json-schema.org/draft-06/schema#"})", "s"));
    CHECK_THROWS_AS(
        Schema::parse(R"({"$schema": "https://json-schema.org/draft/2019-09/schema"})", "s"),
        UsageError);
    CHECK_THROWS_WITH_AS(
        Schema::parse(R"({"items": [{"$ref": "http://example.com/s.json"}]})", "s.json"),
        doctest::Contains("s.json: $ref 'http://example.com/s.json' at #/items/0 points outside"),
        UsageError);
    CHECK_THROWS_AS(Schema::parse(R"({"$ref": "defs.json"})", "s"), UsageError);
    CHECK_NOTHROW(Schema::parse(R"({"definitions": {"a": {}}, "$ref": "#/definitions/a"})", "s"));
    CHECK_THROWS_WITH_AS(Schema::parse("{", "s.json"), doctest::Contains("s.json: not valid JSON"),
                         UsageError);
    CHECK_THROWS_WITH_AS(Schema::parse(R"({"minimum": "x"})", "s.json"),
                         doctest::Contains("s.json: not a valid JSON Schema"), UsageError);
  }
}

TEST_SUITE("schema::validator") {
  TEST_CASE("a pattern that is not a regular expression is a usage error, not a crash") {
    const auto schema = Schema::parse(R"({"properties": {"a": {"pattern": "(["}}})", "s.json");
    CHECK_THROWS_WITH_AS(schema->validate(formats::parse(Format::json, R"({"a": "x"})", "j.json")),
                         doctest::Contains("s.json: not a usable JSON Schema"), UsageError);
  }
}

TEST_SUITE("schema::check") {
  plan::Plan plan_of(const std::string& path, const std::string& content, plan::Action action) {
    plan::Plan plan;
    plan::Change change;
    change.file.path = path;
    change.file.in_memory = true;
    change.file.content = content;
    change.action = action;
    plan.changes.push_back(change);
    return plan;
  }

  TEST_CASE("results DEST will hold are checked; kept and removed files are not") {
    TempDir dir;
    test_support::write_file(dir / "s.json", R"({"properties": {"a": {"type": "string"}}})");
    plan::Rules rules;
    rules.schemas.push_back({"*.toml", dir / "s.json", std::nullopt, "--schema"});
    for (const plan::Action action : {plan::Action::create, plan::Action::update,
                                      plan::Action::chmod, plan::Action::unchanged}) {
      const schema::Report report = schema::check(plan_of("c.toml", "a = 1\n", action), rules);
      REQUIRE(report.checks.size() == 1);
      CHECK(report.blocking() == 1);
    }
    for (const plan::Action action : {plan::Action::keep, plan::Action::remove}) {
      CHECK(schema::check(plan_of("c.toml", "a = 1\n", action), rules).checks.empty());
    }
    CHECK(schema::check(plan_of("c.txt", "a = 1\n", plan::Action::create), rules).checks.empty());
  }

  TEST_CASE("enforce throws after logging every violation; warn only logs; record names passes") {
    TempDir dir;
    const std::string schema_text = R"({"properties": {"a": {"type": "string"}}})";
    test_support::write_file(dir / "s.json", schema_text);
    plan::Rules rules;
    rules.schemas.push_back({"c.toml", dir / "s.json", std::nullopt, "--schema"});
    plan::Plan plan = plan_of("c.toml", "a = 1\n", plan::Action::create);
    plan.changes.push_back(plan_of("d.toml", "a = 1\n", plan::Action::create).changes[0]);
    plan.changes.push_back(plan_of("ok/c.toml", "a = \"x\"\n", plan::Action::create).changes[0]);
    const schema::Report report = schema::check(plan, rules);
    REQUIRE(report.checks.size() == 2); // d.toml matches no schema
    CHECK(report.violations() == 1);
    std::ostringstream out;
    Log log(LogFormat::text, out);
    const std::string expected =
        "c.toml: a: type (schema " + (dir / "s.json") + "#/properties/a/type)";
    CHECK_THROWS_WITH_AS(schema::enforce(report, log), doctest::Contains(expected.c_str()),
                         InputError);
    CHECK(out.str().find("error: c.toml: a: type") != std::string::npos);

    rules.schemas[0].mode = plan::SchemaMode::warn;
    const schema::Report warned = schema::check(plan, rules);
    CHECK(warned.blocking() == 0);
    CHECK_NOTHROW(schema::enforce(warned, log));

    state::Manifest manifest;
    manifest.files.push_back(state::ManifestFile{});
    manifest.files.back().path = "c.toml";
    manifest.files.push_back(state::ManifestFile{});
    manifest.files.back().path = "ok/c.toml";
    schema::record(warned, manifest);
    CHECK(manifest.files[0].schema_sha256.empty());
    CHECK(manifest.files[1].schema_sha256 == Sha256::of(schema_text));
  }

  TEST_CASE("an unreadable schema is a usage error, even when it matches no file") {
    plan::Rules rules;
    rules.schemas.push_back({"none.toml", "/nonexistent/s.json", std::nullopt, "--schema"});
    CHECK_THROWS_AS(schema::check(plan::Plan{}, rules), UsageError);
  }
}

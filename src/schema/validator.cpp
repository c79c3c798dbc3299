// The only translation unit that instantiates valijson (and its nlohmann adapter).
#include "schema/validator.h"

#include "merge/key_path.h"
#include "util/error.h"
#include "util/text.h"

#define VALIJSON_USE_EXCEPTIONS 1
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <stdexcept>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <variant>

namespace config_init::schema {

using Json = nlohmann::json;

struct Schema::Impl {
  std::string name;
  Json document;
  valijson::Schema compiled;
};

namespace {

// "/" and "~" escaped as a JSON pointer token (RFC 6901).
std::string pointer_token(const std::string& key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Refuses every `$ref` that is not a JSON pointer into this document ("#" or "#/...").
void check_references(const Json& node, const std::string& pointer, const std::string& name) {
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i)
      check_references(node[i], pointer + "/" + std::to_string(i), name);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (key == "$ref" && value.is_string()) {
      const std::string ref = value.get<std::string>();
      if (ref != "#" && ref.rfind("#/", 0) != 0) {
        throw UsageError(name + ": $ref '" + text::shown_bytes(ref) + "' at #" + pointer +
                         " points outside this schema file; config-init never fetches a schema "
                         "(no network at run time): only references into the same file (\"#/...\") "
                         "are supported, so inline what it refers to under \"definitions\"");
      }
    }
    check_references(value, pointer + "/" + pointer_token(key), name);
  }
}

valijson::SchemaParser::Version draft_of(const Json& document, const std::string& name) {
  const auto declared = document.find("$schema");
  if (declared == document.end()) return valijson::SchemaParser::kDraft7;
  if (!declared->is_string()) throw UsageError(name + ": \"$schema\" must be a string");
  const std::string uri = declared->get<std::string>();
  if (uri.find("draft-04") != std::string::npos) return valijson::SchemaParser::kDraft4;
  if (uri.find("draft-06") != std::string::npos || uri.find("draft-07") != std::string::npos) {
    return valijson::SchemaParser::kDraft7;
  }
  throw UsageError(name + ": \"$schema\": " + text::shown_bytes(uri) +
                   " is not a supported draft (draft-04, draft-06 or draft-07)");
}

Json to_json(const formats::Value& value) {
  using formats::Kind;
  switch (value.kind()) {
  case Kind::null:
    return nullptr;
  case Kind::boolean:
    return std::get<bool>(value.data);
  case Kind::integer:
    return std::get<int64_t>(value.data);
  case Kind::unsigned_integer:
    return std::get<uint64_t>(value.data);
  case Kind::floating:
    return std::get<double>(value.data);
  case Kind::string:
    return std::get<std::string>(value.data);
  case Kind::datetime:
    return formats::to_string(std::get<formats::DateTime>(value.data));
  case Kind::array: {
    Json out = Json::array();
    for (const formats::Value& item : value.array())
      out.push_back(to_json(item));
    return out;
  }
  case Kind::table: {
    Json out = Json::object();
    for (const formats::Member& member : value.table())
      out[member.key] = to_json(member.value);
    return out;
  }
  }
  return nullptr;
}

// One step into the document: a key of an object or an index of an array.
using Step = std::variant<std::string, size_t>;

// What a valijson description says failed: the keyword, or nullptr for the errors that
// only repeat a deeper one ("Failed to validate against schema associated with property
// name 'x'.") and are dropped. `names_key`: the description ends with the key concerned.
struct Reading {
  const char* keyword;
  bool names_key = false;
};

Reading read_description(const std::string& description) {
  static const std::vector<std::pair<const char*, Reading>> table = {
      {"Failed to validate against schema associated with", {nullptr}},
      {"Failed to validate item #", {nullptr}},
      {"Failed to validate against additional properties schema", {nullptr}},
      {"Failed to validate against child schema #", {nullptr}},
      {"Target value and comparison value are not equal", {nullptr}},
      {"Object contains a property that could not be validated", {"additionalProperties", true}},
      {"Missing required property", {"required", true}},
      {"Failed to match against any enum values", {"enum"}},
      {"Value type not permitted", {"type"}},
      {"Failed to validate against any child schemas allowed by oneOf", {"oneOf"}},
      {"Failed to validate against exactly one child schema", {"oneOf"}},
      {"Failed to validate against any schemas allowed by anyOf", {"anyOf"}},
      {"Target should not validate against schema specified in 'not'", {"not"}},
      {"Failed to match expected value set by 'const'", {"const"}},
      {"Failed to any values against subschema in 'contains'", {"contains"}},
      {"Failed to validate against a conditional schema", {"if"}},
      {"Failed to match regex specified by 'pattern'", {"pattern"}},
      {"String should be a valid", {"format"}},
      {"Expected number less than or equal to", {"maximum"}},
      {"Expected number less than", {"exclusiveMaximum"}},
      {"Expected number greater than or equal to", {"minimum"}},
      {"Expected number greater than", {"exclusiveMinimum"}},
      {"Array should contain no more than", {"maxItems"}},
      {"Array should contain no fewer than", {"minItems"}},
      {"String should be no more than", {"maxLength"}},
      {"String should be no fewer than", {"minLength"}},
      {"Object should have no more than", {"maxProperties"}},
      {"Object should have no fewer than", {"minProperties"}},
      {"Value should be a multiple of", {"multipleOf"}},
      {"Value could not be converted", {"multipleOf"}},
      {"Array contains more items than allowed", {"additionalItems"}},
      {"Cannot validate item #", {"additionalItems"}},
      {"Elements at indexes", {"uniqueItems"}},
      {"Missing dependency", {"dependencies"}},
      {"Failed to validate against dependent schema", {"dependencies"}},
  };
  for (const auto& [prefix, reading] : table) {
    if (description.rfind(prefix, 0) == 0) return reading;
  }
  return {"?"};
}

// The key a description names at its end: "... constraints: 'aproval_policy'.".
std::optional<std::string> named_key(const std::string& description) {
  const size_t close = description.rfind('\'');
  if (close == std::string::npos || close == 0) return std::nullopt;
  const size_t open = description.rfind('\'', close - 1);
  if (open == std::string::npos) return std::nullopt;
  return description.substr(open + 1, close - open - 1);
}

// valijson's context ("<root>", "[key]", "[0]") as steps, told apart by the document itself.
std::vector<Step> steps_of(const std::vector<std::string>& context, const Json& document) {
  std::vector<Step> steps;
  const Json* node = &document;
  for (const std::string& element : context) {
    if (element.size() < 2 || element.front() != '[' || element.back() != ']') continue;
    const std::string inner = element.substr(1, element.size() - 2);
    if (node && node->is_array()) {
      const size_t index = std::stoul(inner);
      steps.emplace_back(index);
      node = index < node->size() ? &(*node)[index] : nullptr;
    } else {
      steps.emplace_back(inner);
      const auto found = node && node->is_object() ? node->find(inner) : Json::const_iterator{};
      node = node && node->is_object() && found != node->end() ? &*found : nullptr;
    }
  }
  return steps;
}

std::string shown_path(const std::vector<Step>& steps) {
  std::string out;
  for (const Step& step : steps) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      out += (out.empty() ? "" : ".") + merge::format_key_path({*key});
    } else {
      out += "[" + std::to_string(std::get<size_t>(step)) + "]";
    }
  }
  return text::shown_key_path(out);
}

// A subschema and its JSON pointer in the schema document.
struct Place {
  std::string pointer;
  const Json* node;
};

// Follows local `$ref`s (a chain of at most 32).
Place resolved(const Json& root, Place place) {
  for (int hops = 0; hops < 32 && place.node->is_object(); ++hops) {
    const auto ref = place.node->find("$ref");
    if (ref == place.node->end() || !ref->is_string()) break;
    const std::string target = ref->get<std::string>().substr(1);
    try {
      place = Place{target, &root.at(Json::json_pointer(target))};
    } catch (const std::exception&) {
      break;
    }
  }
  return place;
}

std::optional<Place> descend(const Json& root, Place place, const Step& step, int depth = 0) {
  place = resolved(root, place);
  const Json& node = *place.node;
  if (!node.is_object() || depth > 8) return std::nullopt;
  if (const auto* key = std::get_if<std::string>(&step)) {
    const auto properties = node.find("properties");
    if (properties != node.end() && properties->is_object() && properties->contains(*key)) {
      return Place{place.pointer + "/properties/" + pointer_token(*key), &(*properties)[*key]};
    }
    const auto patterns = node.find("patternProperties");
    if (patterns != node.end() && patterns->is_object()) {
      for (const auto& [pattern, sub] : patterns->items()) {
        try {
          if (std::regex_search(*key, std::regex(pattern, std::regex::ECMAScript))) {
            return Place{place.pointer + "/patternProperties/" + pointer_token(pattern), &sub};
          }
        } catch (const std::regex_error&) {
        }
      }
    }
    const auto additional = node.find("additionalProperties");
    if (additional != node.end() && additional->is_object()) {
      return Place{place.pointer + "/additionalProperties", &*additional};
    }
  } else {
    const size_t index = std::get<size_t>(step);
    const auto items = node.find("items");
    if (items != node.end() && items->is_object()) return Place{place.pointer + "/items", &*items};
    if (items != node.end() && items->is_array() && index < items->size()) {
      return Place{place.pointer + "/items/" + std::to_string(index), &(*items)[index]};
    }
    const auto additional = node.find("additionalItems");
    if (additional != node.end() && additional->is_object()) {
      return Place{place.pointer + "/additionalItems", &*additional};
    }
  }
  for (const char* combinator : {"allOf", "anyOf", "oneOf"}) {
    const auto branches = node.find(combinator);
    if (branches == node.end() || !branches->is_array()) continue;
    for (size_t i = 0; i < branches->size(); ++i) {
      const Place branch{place.pointer + "/" + combinator + "/" + std::to_string(i),
                         &(*branches)[i]};
      if (auto found = descend(root, branch, step, depth + 1)) return found;
    }
  }
  return std::nullopt;
}

// The JSON pointer of `keyword` in the subschema that checked the value at `steps`: the
// path is followed through properties, patternProperties, additionalProperties, items and
// local $refs (into the first allOf/anyOf/oneOf branch that has a way on); the keyword is
// looked for there, then in its allOf/anyOf/oneOf branches.
std::string locate(const Json& root, const std::vector<Step>& steps, const std::string& keyword) {
  Place place{"", &root};
  for (const Step& step : steps) {
    const std::optional<Place> next = descend(root, place, step);
    if (!next) break;
    place = *next;
  }
  place = resolved(root, place);
  const Json& node = *place.node;
  if (!node.is_object()) return "#" + place.pointer;
  if (node.contains(keyword)) return "#" + place.pointer + "/" + keyword;
  for (const char* combinator : {"allOf", "anyOf", "oneOf"}) {
    const auto branches = node.find(combinator);
    if (branches == node.end() || !branches->is_array()) continue;
    for (size_t i = 0; i < branches->size(); ++i) {
      const Place branch = resolved(
          root, Place{place.pointer + "/" + combinator + "/" + std::to_string(i), &(*branches)[i]});
      if (branch.node->is_object() && branch.node->contains(keyword)) {
        return "#" + branch.pointer + "/" + keyword;
      }
    }
  }
  return "#" + place.pointer;
}

} // namespace

Schema::Schema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Schema::~Schema() = default;

std::shared_ptr<const Schema> Schema::parse(const std::string& text, const std::string& name) {
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  try {
    impl->document = Json::parse(text);
  } catch (const Json::exception& error) {
    throw UsageError(name + ": not valid JSON: " + error.what());
  }
  if (!impl->document.is_object()) {
    throw UsageError(name + ": a JSON Schema must be a JSON object");
  }
  const valijson::SchemaParser::Version draft = draft_of(impl->document, name);
  check_references(impl->document, "", name);
  try {
    valijson::SchemaParser parser(draft);
    const valijson::adapters::NlohmannJsonAdapter adapter(impl->document);
    parser.populateSchema(adapter, impl->compiled);
  } catch (const std::exception& error) {
    throw UsageError(name + ": not a valid JSON Schema: " + error.what());
  }
  return std::shared_ptr<const Schema>(new Schema(std::move(impl)));
}

std::vector<Violation> Schema::validate(const formats::Value& document) const {
  const Json instance = to_json(document);
  valijson::Validator validator; // strong types: "5" is not a number, 1.0 is not a string
  valijson::ValidationResults results;
  const valijson::adapters::NlohmannJsonAdapter adapter(instance);
  try {
    validator.validate(impl_->compiled, adapter, &results);
  } catch (const std::exception& error) { // e.g. a `pattern` that is not a regular expression
    throw UsageError(impl_->name + ": not a usable JSON Schema: " + error.what());
  }

  std::vector<Violation> violations;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    const Reading reading = read_description(error.description);
    if (!reading.keyword) continue;
    std::vector<Step> steps = steps_of(error.context, instance);
    Violation violation;
    violation.keyword = reading.keyword;
    violation.schema_location = locate(impl_->document, steps, violation.keyword);
    if (reading.names_key) {
      if (const auto key = named_key(error.description)) steps.emplace_back(*key);
    }
    violation.key_path = shown_path(steps);
    violation.message = error.description;
    violations.push_back(std::move(violation));
  }
  return violations;
}

std::string Schema::as_json(const formats::Value& document) {
  return to_json(document).dump();
}

} // namespace config_init::schema

// One JSON Schema, compiled, and the validation of a document tree against it. valijson
// and its nlohmann adapter appear in validator.cpp only (one translation unit: they are
// heavy templates). Drafts: 04, 06 and 07 (docs/schemas.md).
#pragma once

#include "formats/document.h"

#include <memory>
#include <string>
#include <vector>

namespace config_init::schema {

// One place where a document breaks its schema.
struct Violation {
  std::string key_path;        // as messages show key paths (text::shown_key_path)
  std::string keyword;         // the schema keyword that failed: "enum", "additionalProperties"
  std::string schema_location; // a JSON pointer into the schema: "#/properties/model/type"
  std::string message;         // the validator's description
};

class Schema {
public:
  // Compiles the schema `text`; `name` (its file) prefixes errors. Throws UsageError when
  // it is not JSON, not an object, names an unsupported draft in `$schema`, has a `$ref`
  // to anything outside this document (a URL, another file: nothing is ever fetched), or
  // is not a schema valijson can compile.
  static std::shared_ptr<const Schema> parse(const std::string& text, const std::string& name);
  ~Schema();
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // Every violation of `document` (seen through JSON's data model: TOML datetimes are
  // RFC 3339 strings), in the validator's order; empty when it is valid.
  std::vector<Violation> validate(const formats::Value& document) const;

  // The JSON value `document` is checked as (for tests and docs): compact JSON text.
  static std::string as_json(const formats::Value& document);

  struct Impl;

private:
  explicit Schema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace config_init::schema

// The three structured formats: which files are structured, and the one entry point
// to parse and emit each. toml++ and libfyaml each appear only in the adapter of their own
// format (toml_format.cpp, yaml_format.cpp); nlohmann-json in the JSON adapter
// (json_format.cpp, json_position) and in the manifest reader (state/manifest.cpp).
#pragma once

#include "formats/document.h"

#include <optional>
#include <string>
#include <string_view>

namespace config_init::formats {

enum class Format { toml, yaml, json };

// The format of a path by its extension (.toml, .yaml, .yml, .json; case-sensitive),
// or nullopt for an unstructured file.
std::optional<Format> format_of_path(std::string_view path);

// "toml", "yaml", "json".
const char* format_name(Format format);

// Largest structured file config-init parses (bytes). Bigger ones are an input error.
constexpr size_t max_structured_file_size = 16 * 1024 * 1024;

// Checks that `text` is a valid document of `format`. `name` (the file's path, as the
// user should see it) prefixes errors. Throws InputError "name:line:column: cause".
// Accepts everything parse() accepts, plus multi-document YAML streams.
void validate(Format format, std::string_view text, const std::string& name);

// Parses one document into the neutral tree (origin -1 everywhere).
// Throws InputError "name:line:column: cause" on a syntax error, and InputError
// for documents the tree cannot hold faithfully (e.g. a multi-document YAML stream).
// An empty YAML document is an empty table.
Value parse(Format format, std::string_view text, const std::string& name);

// Serialises `value`. Guarantee: parse(format, emit(format, v)) == v for any tree that
// parse(format, ...) can produce. Throws InputError for a tree the format cannot hold
// (e.g. a null in TOML); `name` names the file in that message.
std::string emit(Format format, const Value& value, const std::string& name);

} // namespace config_init::formats

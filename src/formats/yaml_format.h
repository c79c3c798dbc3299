// YAML 1.2 <-> the neutral document tree. Read with libfyaml's event parser (only
// yaml_format.cpp includes it; it passes the whole yaml-test-suite), written by
// config-init itself (yaml_emit.cpp); the core schema is in yaml_scalars.h.
//
// Plain scalars resolve by the YAML 1.2 core schema: null (~, null, empty), booleans
// (true/false in three casings; yes/no/on/off are strings), integers (decimal, 0o, 0x),
// floats (1.5, 1e3, .inf, .nan), everything else a string. A number config-init cannot
// hold exactly (an integer beyond 64 bits, a float beyond a double's range) is refused,
// never rounded. Quoted and block scalars are always strings. Supported tags: !!str, !!int,
// !!float, !!bool, !!null, !!seq, !!map. Aliases are expanded (copied); merge keys (<<)
// are ordinary keys, as in YAML 1.2.
#pragma once

#include "formats/document.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace config_init::formats::yaml_format {

// Limits against hostile input: nesting depth, and the size of one document once its
// aliases are expanded (nodes, and bytes of keys and scalars).
constexpr int max_depth = 256;
constexpr size_t max_nodes = 1'000'000;
constexpr size_t max_bytes = 64 * 1024 * 1024;

// Checks every document of a stream (`---`-separated). Throws InputError
// "name:line:column: cause" on a syntax error (libfyaml's message), an unsupported tag or
// complex key, a duplicate key, a number out of range, or a limit exceeded.
void validate(std::string_view text, const std::string& name);

// Parses a stream of exactly one document (an empty one is an empty table). Throws as
// validate() does, and InputError "name:line:column: ..." at the start of a second document.
Value parse(std::string_view text, const std::string& name);

// Writes `value` in block style (2-space indent, UTF-8 kept, trailing newline). Strings
// that would read back as another type ('true', 'yes', '123', '1e3', '', '~') or that are
// not plain-safe are double-quoted, with escapes for line breaks and control characters
// (so blank-line and whitespace-only strings read back exactly); keys over 1000 bytes are
// written as explicit `? key`; floats keep a float form (1.0). Throws InputError
// "name: key.path: cause" for a date-time, which YAML (as config-init reads it) cannot hold.
std::string emit(const Value& value, const std::string& name);

} // namespace config_init::formats::yaml_format

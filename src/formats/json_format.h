// JSON (RFC 8259) <-> the neutral document tree (nlohmann-json; the only adapter that
// includes it is json_format.cpp). Key order is kept both ways.
#pragma once

#include "formats/document.h"

#include <string>
#include <string_view>

namespace config_init::formats::json_format {

// Deepest nesting of objects and arrays accepted.
constexpr int max_depth = 256;

// Parses one JSON value (any type at the top). Integers stay exact: int64, or uint64 above
// 2^63-1; larger ones become floats. Throws InputError "name:line:column: cause" on a
// syntax error, a duplicate key ("duplicate key 'k'") or nesting deeper than max_depth.
Value parse(std::string_view text, const std::string& name);

// Writes `value` pretty-printed (2-space indent, UTF-8 kept, trailing newline), floats in
// shortest form. Throws InputError "name: key.path: cause" for a date-time, NaN or an
// infinity, which JSON cannot hold.
std::string emit(const Value& value, const std::string& name);

} // namespace config_init::formats::json_format

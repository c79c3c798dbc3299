// JSON (RFC 8259) <-> the neutral document tree (nlohmann-json; the only adapter that
// includes it is json_format.cpp). Key order is kept both ways.
#pragma once

#include "formats/document.h"

#include <string>
#include <string_view>

namespace config_init::formats::json_format {

// Deepest nesting of objects and arrays accepted.
constexpr int max_depth = 256;

// Parses one JSON value (any type at the top), over the whole text (a NUL byte is an error
// at its position, not the end). Integers stay exact: int64, or uint64 above 2^63-1.
// Throws InputError "name:line:column: cause" on a syntax error, a NUL byte, a duplicate
// key ("duplicate key 'k'"), nesting deeper than max_depth, an integer beyond 64 bits
// ("out of the 64-bit range": never rounded to a float) or a float that overflows
// (nlohmann: "number overflow").
Value parse(std::string_view text, const std::string& name);

// Writes `value` pretty-printed (2-space indent, UTF-8 kept, trailing newline), floats in
// shortest form. Throws InputError "name: key.path: cause" for a date-time, NaN or an
// infinity, which JSON cannot hold.
std::string emit(const Value& value, const std::string& name);

} // namespace config_init::formats::json_format

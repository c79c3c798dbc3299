// TOML 1.0 <-> the neutral document tree (parsed with toml++ 3.3, which only
// toml_format.cpp includes; written by config-init itself). Key order is kept both ways;
// comments are not kept.
#pragma once

#include "formats/document.h"

#include <string>
#include <string_view>

namespace config_init::formats::toml_format {

// A dotted key or table header may have at most this many parts: toml++ builds the tree
// without bounds and overflows the stack destroying a very deep one, so longer keys are
// refused before toml++ sees the text.
constexpr int max_key_parts = 16;
// Deepest nesting of tables and arrays the tree may have.
constexpr int max_depth = 256;

// Parses a TOML document into a table; tables keep the order of the source. Dates and
// times become DateTime. Throws InputError "name:line:column: cause" on a syntax error, a
// key with more than max_key_parts parts, or nesting deeper than max_depth.
Value parse(std::string_view text, const std::string& name);

// Writes `value` (a table) as TOML, in tree order: each table's `key = value` lines,
// then its sub-tables as [sections] and arrays of tables as [[sections]] (tables inside
// other arrays inline). Floats in shortest form, UTF-8 kept, long arrays one item a line.
// Throws InputError "name: key.path: cause" for what TOML cannot hold: a null, an integer
// above 2^63-1, a top level that is not a table.
std::string emit(const Value& value, const std::string& name);

} // namespace config_init::formats::toml_format

// YAML 1.2 core schema for plain scalars, shared by the YAML reader (yaml_format.cpp) and
// writer (yaml_emit.cpp): what a plain scalar means, and which strings may be written plain.
#pragma once

#include "formats/document.h"

#include <optional>
#include <string>
#include <string_view>

namespace config_init::formats::yaml_scalars {

// The value of a plain (unquoted, untagged) scalar: null (~, null, empty), booleans
// (true/false in three casings), integers (decimal, 0o, 0x), floats (1.5, 1e3, .inf, .nan),
// else the string. nullopt for a number config-init cannot hold exactly: an integer
// beyond 64 bits, or a float beyond the range of a double (it would become infinity).
std::optional<Value> resolve_plain(std::string_view text);

// The double of a core-schema float text (1e3, -.5), for the !!float tag; nullopt when it
// overflows.
std::optional<double> float_of(std::string_view text);

// Whether `text` may be written as a plain scalar and read back as the same string, by
// YAML 1.2 and by YAML 1.1 readers (yes/no/on/off, numbers and dates stay quoted).
// Conservative: anything unusual is quoted.
bool plain_safe(std::string_view text);

// Shortest text that reads back as the same double, always in a float form (1.0, .inf).
std::string float_text(double number);

} // namespace config_init::formats::yaml_scalars

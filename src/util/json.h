// Writing JSON text: the one JSON string escaper, used by the log lines, the manifest and
// the merge's compact form of values.
#pragma once

#include <string>
#include <string_view>

namespace config_init::json {

// Appends `text` as the inside of a JSON string (no quotes), escaped exactly as
// nlohmann-json's dump(-1, ' ', false, error_handler_t::replace) escapes it: `"`, `\`,
// \b \f \n \r \t, other bytes below 0x20 as \u00xx, valid UTF-8 kept as it is, and each
// invalid UTF-8 sequence replaced by U+FFFD. Returns false when `text` was not valid UTF-8
// (so that a caller needing strict UTF-8 can refuse it).
bool append_string(std::string& out, std::string_view text);

// The same between double quotes.
bool append_quoted(std::string& out, std::string_view text);

} // namespace config_init::json

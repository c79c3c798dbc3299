// Small text jobs shared by the formats, the merge, the state and the logs, each written
// once: shortest round-trip floats, "line:column" of an offset, key paths and raw bytes as
// messages show them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace config_init::text {

// The shortest text that reads back as the same finite double (std::to_chars), always in a
// float form: "1.0", never "1". NaN and infinities are the caller's: each syntax spells
// them its own way.
std::string shortest_float(double number);

// "line:column" of a byte offset in `text` (both 1-based; the column counts bytes). An
// offset past the end is taken as the end.
std::string line_column(std::string_view text, size_t offset);

// The two-character escape that JSON and TOML strings share for `c` (\" \\ \b \t \n \f
// \r), or nullptr when `c` has none.
const char* short_escape(char c);

// `count` and `noun`, with an "s" added unless `count` is 1: "1 file", "2 files".
std::string count_of(size_t count, const std::string& noun);

// A key path as messages name it: the path, or "(top level)" when it is empty.
std::string shown_key_path(const std::string& path);

// `bytes` for a message: printable ASCII as it is, every other byte as \xNN.
std::string shown_bytes(std::string_view bytes);

} // namespace config_init::text

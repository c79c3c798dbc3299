// Key paths name a place in a document: `model`, `permissions.allow`,
// `projects."/home/codex/workspace".trust_level` (a key with dots or spaces is quoted,
// TOML-style; inside quotes, \" and \\ escape).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace config_init::merge {

using KeyPath = std::vector<std::string>;

// Parses a dotted key path. Throws UsageError naming `text` when it is malformed.
KeyPath parse_key_path(std::string_view text);

// Formats a key path, quoting keys that are not bare (A-Za-z0-9_-).
std::string format_key_path(const KeyPath& path);

} // namespace config_init::merge

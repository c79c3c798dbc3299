// A unified line diff of two texts, for `plan`.
#pragma once

#include <string>

namespace config_init {

// The hunks of a unified diff (context 3) from `before` to `after`, headed by
// "--- a/<name>" and "+++ b/<name>"; "" when the texts are equal. Texts with more than
// `max_lines` lines together, or holding NUL bytes, give a one-line note instead.
std::string unified_diff(const std::string& before, const std::string& after,
                         const std::string& name, size_t max_lines = 4000);

} // namespace config_init

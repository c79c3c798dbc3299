// UTF-8 validity, for names and text that must survive as JSON and YAML.
#pragma once

#include <string_view>

namespace config_init {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// beyond U+10FFFF).
bool valid_utf8(std::string_view text);

// True when `text` (well-formed UTF-8) holds a Unicode noncharacter: U+FDD0..U+FDEF, or
// U+xxFFFE / U+xxFFFF in any plane. yaml-cpp writes and reads those as U+FFFD.
bool has_noncharacter(std::string_view text);

} // namespace config_init

// UTF-8 validity, for names and text that must survive as JSON and YAML.
#pragma once

#include <string_view>

namespace config_init {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// beyond U+10FFFF).
bool valid_utf8(std::string_view text);

} // namespace config_init

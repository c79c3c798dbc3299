// UTF-8: the one decoder, for names and text that must survive as JSON and YAML.
#pragma once

#include <cstddef>
#include <string_view>

namespace config_init {

// The sequence starting at text[i] (i < text.size()): its length in bytes when it is
// well-formed UTF-8 (1 for ASCII; no overlong forms, surrogates or code points beyond
// U+10FFFF), else minus the length of its maximal ill-formed prefix (-1 to -3), the bytes
// that one U+FFFD replaces (the Unicode standard's practice, and nlohmann-json's).
int utf8_sequence(std::string_view text, size_t i);

// True when `text` is well-formed UTF-8.
bool valid_utf8(std::string_view text);

// True when `text` (well-formed UTF-8) holds a Unicode noncharacter: U+FDD0..U+FDEF, or
// U+xxFFFE / U+xxFFFF in any plane (YAML cannot hold them: they are not printable).
bool has_noncharacter(std::string_view text);

} // namespace config_init

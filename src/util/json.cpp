#include "util/json.h"

#include "util/text.h"
#include "util/utf8.h"

namespace config_init::json {

namespace {

constexpr const char* replacement_character = "\xEF\xBF\xBD"; // U+FFFD

} // namespace

bool append_string(std::string& out, std::string_view text) {
  static const char hex[] = "0123456789abcdef";
  bool valid = true;
  const size_t size = text.size();
  size_t i = 0;
  while (i < size) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      const int length = utf8_sequence(text, i);
      if (length > 0) {
        out.append(text.data() + i, static_cast<size_t>(length));
      } else {
        out += replacement_character;
        valid = false;
      }
      i += static_cast<size_t>(length > 0 ? length : -length);
      continue;
    }
    // A run of ASCII bytes that need no escape is appended at once.
    size_t end = i;
    while (end < size) {
      const auto c = static_cast<unsigned char>(text[end]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++end;
    }
    if (end > i) {
      out.append(text.data() + i, end - i);
      i = end;
      continue;
    }
    if (const char* escape = text::short_escape(static_cast<char>(byte))) {
      out += escape;
    } else { // the other control characters
      out += "\\u00";
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
    ++i;
  }
  return valid;
}

bool append_quoted(std::string& out, std::string_view text) {
  out += '"';
  const bool valid = append_string(out, text);
  out += '"';
  return valid;
}

} // namespace config_init::json

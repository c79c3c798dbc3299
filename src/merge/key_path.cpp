#include "merge/key_path.h"

#include "util/error.h"

namespace config_init::merge {

namespace {

bool is_bare_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

[[noreturn]] void fail(std::string_view text, const std::string& cause) {
  throw UsageError("invalid key path '" + std::string(text) + "': " + cause);
}

// Reads a quoted key starting at text[i] == '"'; leaves i after the closing quote.
std::string read_quoted(std::string_view text, size_t& i) {
  std::string key;
  for (++i; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      ++i;
      return key;
    }
    if (c == '\\') {
      if (i + 1 >= text.size() || (text[i + 1] != '"' && text[i + 1] != '\\')) {
        fail(text, "only \\\" and \\\\ escapes are allowed in a quoted key");
      }
      ++i;
    }
    key += text[i];
  }
  fail(text, "unterminated quoted key");
}

} // namespace

KeyPath parse_key_path(std::string_view text) {
  if (text.empty()) fail(text, "empty");
  KeyPath path;
  size_t i = 0;
  while (true) {
    if (i < text.size() && text[i] == '"') {
      path.push_back(read_quoted(text, i));
    } else {
      const size_t start = i;
      while (i < text.size() && is_bare_char(text[i]))
        ++i;
      if (i == start) {
        fail(text, i < text.size() ? "unexpected '" + std::string(1, text[i]) + "' at column " +
                                         std::to_string(i + 1)
                                   : "empty key at the end");
      }
      path.emplace_back(text.substr(start, i - start));
    }
    if (i == text.size()) return path;
    if (text[i] != '.') {
      fail(text, "expected '.' at column " + std::to_string(i + 1));
    }
    ++i;
  }
}

std::string format_key_path(const KeyPath& path) {
  std::string text;
  for (const std::string& key : path) {
    if (!text.empty()) text += '.';
    bool bare = !key.empty();
    for (const char c : key)
      bare = bare && is_bare_char(c);
    if (bare) {
      text += key;
      continue;
    }
    text += '"';
    for (const char c : key) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  return text;
}

} // namespace config_init::merge

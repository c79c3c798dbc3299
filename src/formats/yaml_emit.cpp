// The YAML writer (yaml_format::emit): block style, 2-space indent, strings plain only when
// yaml_scalars::plain_safe, else double-quoted with escapes, so every string (blank lines,
// trailing spaces, control characters) reads back exactly.
#include "formats/yaml_format.h"
#include "formats/yaml_scalars.h"
#include "util/error.h"
#include "util/text.h"

#include <cstdio>

namespace config_init::formats::yaml_format {

namespace {

// YAML allows an implicit key of at most 1024 characters; longer ones are written `? key`.
constexpr size_t max_implicit_key = 1000;

// `text` double-quoted: `"` and `\` escaped, C0 and C1 controls, DEL, the Unicode line and
// paragraph separators and the BOM as escapes; everything else as is (UTF-8 kept).
std::string double_quoted(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::string_view rest = text.substr(i);
    char escape[8];
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == 0) {
      out += "\\0";
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(escape, sizeof escape, "\\x%02X", c);
      out += escape;
    } else if (c == 0xC2 && rest.size() >= 2 && static_cast<unsigned char>(rest[1]) >= 0x80 &&
               static_cast<unsigned char>(rest[1]) <= 0x9F) {
      std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned char>(rest[1]));
      out += escape; // a C1 control (U+0080..U+009F, NEL included)
      ++i;
    } else if (rest.substr(0, 3) == "\xE2\x80\xA8" || rest.substr(0, 3) == "\xE2\x80\xA9" ||
               rest.substr(0, 3) == "\xEF\xBB\xBF") {
      out += rest[2] == '\xA8' ? "\\L" : rest[2] == '\xA9' ? "\\P" : "\\uFEFF";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string string_text(const std::string& text) {
  return yaml_scalars::plain_safe(text) ? text : double_quoted(text);
}

bool is_block(const Value& value) {
  return (value.is_table() && !value.table().empty()) ||
         (value.is_array() && !value.array().empty());
}

// A scalar or an empty collection, on one line.
std::string inline_text(const Value& value, const std::string& path, const std::string& name) {
  switch (value.kind()) {
  case Kind::null:
    return "~";
  case Kind::boolean:
    return std::get<bool>(value.data) ? "true" : "false";
  case Kind::integer:
    return std::to_string(std::get<int64_t>(value.data));
  case Kind::unsigned_integer:
    return std::to_string(std::get<uint64_t>(value.data));
  case Kind::floating:
    return yaml_scalars::float_text(std::get<double>(value.data));
  case Kind::string:
    return string_text(std::get<std::string>(value.data));
  case Kind::datetime:
    throw InputError(name + ": " + text::shown_key_path(path) +
                     ": YAML has no date-time type here");
  case Kind::array:
    return "[]";
  case Kind::table:
    return "{}";
  }
  return "~";
}

class Writer {
public:
  explicit Writer(const std::string& name) : name_(name) {}

  std::string out;

  void document(const Value& value) {
    if (value.is_table() && is_block(value)) {
      table(value.table(), 0, false, "");
    } else if (value.is_array() && is_block(value)) {
      array(value.array(), 0, false, "");
    } else {
      out += inline_text(value, "", name_) + "\n";
    }
  }

private:
  void indent(int columns) { out.append(static_cast<size_t>(columns), ' '); }

  // The value after `key:` of a table at `level` columns: nested blocks go below, indented.
  void value_after(const Value& value, int level, const std::string& path) {
    if (value.is_table() && is_block(value)) {
      out += "\n";
      table(value.table(), level + 2, false, path);
    } else if (value.is_array() && is_block(value)) {
      out += "\n";
      array(value.array(), level + 2, false, path);
    } else {
      out += " " + inline_text(value, path, name_) + "\n";
    }
  }

  // The members of a table at `level`; the first starts on the current line when `inline_first`.
  void table(const Table& members, int level, bool inline_first, const std::string& path) {
    bool first = true;
    for (const Member& member : members) {
      if (!(first && inline_first)) indent(level);
      first = false;
      const std::string child = path.empty() ? member.key : path + "." + member.key;
      const std::string key = string_text(member.key);
      if (key.size() > max_implicit_key) {
        out += "? " + key + "\n";
        indent(level);
        out += ":";
      } else {
        out += key + ":";
      }
      value_after(member.value, level, child);
    }
  }

  void array(const Array& items, int level, bool inline_first, const std::string& path) {
    size_t index = 0;
    for (const Value& item : items) {
      if (!(index == 0 && inline_first)) indent(level);
      const std::string child = path + "[" + std::to_string(index++) + "]";
      out += "- ";
      if (item.is_table() && is_block(item)) {
        table(item.table(), level + 2, true, child);
      } else if (item.is_array() && is_block(item)) {
        array(item.array(), level + 2, true, child);
      } else {
        out += inline_text(item, child, name_) + "\n";
      }
    }
  }

  const std::string& name_;
};

} // namespace

std::string emit(const Value& value, const std::string& name) {
  Writer writer(name);
  writer.document(value);
  return std::move(writer.out);
}

} // namespace config_init::formats::yaml_format

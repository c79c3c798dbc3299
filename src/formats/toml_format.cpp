// toml++ is used header-only, for parsing; this is its one implementation file.
// - TOML_FLOAT_CHARCONV: read floats with from_chars (GCC's default is a stream).
// - TOML_ENABLE_FORMATTERS 0: toml++ 3.3's writer prints keys holding ', TAB or a newline
//   unquoted (invalid TOML) and sorts keys, so emit() below writes TOML itself.
// - TOML_ASSERT: toml++ asserts on some malformed input (a header `[` then a newline)
//   where a release build reports the syntax error; behave like a release build always.
#define TOML_EXCEPTIONS 1
#define TOML_FLOAT_CHARCONV 1
#define TOML_ENABLE_FORMATTERS 0
#define TOML_ASSERT(expr) static_cast<void>(0)
#define TOML_IMPLEMENTATION
#include "formats/toml_format.h"

#include "util/error.h"
#include "util/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <toml++/toml.h>

namespace config_init::formats::toml_format {

namespace {

std::string position_of(std::string_view text, size_t offset) {
  return text::line_column(text, offset);
}

std::string position_of(const toml::source_position& where) {
  return std::to_string(where.line) + ":" + std::to_string(where.column);
}

// toml++'s description of a parse error, made plain where it misleads: a string whose
// closing quote is missing runs into the line break (a "control character") or the end of
// the file.
std::string describe_parse_error(std::string_view text, const toml::parse_error& error) {
  const std::string description(error.description());
  if (description.find("parsing string") == std::string::npos &&
      description.find("parsing literal string") == std::string::npos) {
    return description;
  }
  if (description.find("end-of-file") != std::string::npos) {
    return "a string is not closed: its closing quote is missing before the end of the file";
  }
  if (description.find("control characters") == std::string::npos) return description;
  // The error's column (in code points) at or past the end of its line: the line break.
  const toml::source_position where = error.source().begin;
  size_t line_start = 0;
  for (size_t line = 1; line < where.line && line_start != std::string_view::npos; ++line) {
    line_start = text.find('\n', line_start);
    if (line_start != std::string_view::npos) ++line_start;
  }
  if (line_start == std::string_view::npos) return description;
  std::string_view line = text.substr(line_start, text.find('\n', line_start) - line_start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto code_points = static_cast<size_t>(std::count_if(line.begin(), line.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
  if (where.column <= code_points) return description;
  return "a string is not closed: its closing quote is missing before the end of the line";
}

bool is_bare_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Skips the string starting at text[i] (a quote); returns false for a multi-line string,
// which is never a key. Unterminated strings are left for toml++ to report.
bool skip_string(std::string_view text, size_t& i) {
  const char quote = text[i];
  const bool basic = quote == '"';
  const std::string_view triple = basic ? R"(""")" : "'''";
  const bool multi_line = text.substr(i, 3) == triple;
  i += multi_line ? 3 : 1;
  while (i < text.size()) {
    if (basic && text[i] == '\\') {
      i += 2;
    } else if (!multi_line && (text[i] == quote || text[i] == '\n')) {
      ++i;
      return true;
    } else if (multi_line && text.substr(i, 3) == triple) {
      i += 3;
      while (i < text.size() && text[i] == quote)
        ++i; // up to two quotes may end the content
      return false;
    } else {
      ++i;
    }
  }
  return !multi_line;
}

// Refuses a dotted run of more than max_key_parts keys (bare or quoted, `a."b".c`) outside
// strings and comments. Values never come close: a float or a time has at most two parts.
void check_key_parts(std::string_view text, const std::string& name) {
  int parts = 0;
  bool after_dot = false;
  size_t i = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; // a UTF-8 byte order mark
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '.') {
      after_dot = true;
      ++i;
      continue;
    }
    const size_t start = i;
    bool is_key = false;
    if (c == '#') {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '"' || c == '\'') {
      is_key = skip_string(text, i);
    } else if (is_bare_key_char(c)) {
      while (i < text.size() && is_bare_key_char(text[i]))
        ++i;
      is_key = true;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      // TOML allows non-ASCII only in strings and comments; toml++ 3.3 reaches
      // __builtin_unreachable classifying some such characters (upstream issue 295).
      throw InputError(name + ":" + position_of(text, i) +
                       ": a non-ASCII character outside a string or comment");
    } else {
      ++i;
    }
    parts = is_key ? (after_dot ? parts + 1 : 1) : 0;
    after_dot = false;
    if (parts > max_key_parts) {
      throw InputError(name + ":" + position_of(text, start) + ": a dotted key has more than " +
                       std::to_string(max_key_parts) + " parts");
    }
  }
}

Value to_value(const toml::node& node, int depth, const std::string& name);

Value table_to_value(const toml::table& table, int depth, const std::string& name) {
  // toml++ keeps tables sorted; restore the order of the source from the keys' positions.
  std::vector<std::pair<toml::source_position, Member>> members;
  for (auto&& [key, child] : table) {
    members.push_back(
        {key.source().begin, Member{std::string(key.str()), to_value(child, depth + 1, name)}});
  }
  std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line
                                        : a.first.column < b.first.column;
  });
  Table result;
  for (auto& entry : members)
    result.push_back(std::move(entry.second));
  return Value(std::move(result));
}

DateTime from_toml(const toml::date* date, const toml::time* time,
                   const toml::time_offset* offset) {
  DateTime dt;
  if (date) {
    dt.has_date = true;
    dt.year = date->year;
    dt.month = date->month;
    dt.day = date->day;
  }
  if (time) {
    dt.has_time = true;
    dt.hour = time->hour;
    dt.minute = time->minute;
    dt.second = time->second;
    dt.nanosecond = time->nanosecond;
  }
  if (offset) {
    dt.has_offset = true;
    dt.offset_minutes = offset->minutes;
  }
  return dt;
}

Value to_value(const toml::node& node, int depth, const std::string& name) {
  if (depth > max_depth) {
    throw InputError(name + ":" + position_of(node.source().begin) + ": nesting deeper than " +
                     std::to_string(max_depth) + " levels");
  }
  switch (node.type()) {
  case toml::node_type::table:
    return table_to_value(*node.as_table(), depth, name);
  case toml::node_type::array: {
    Array items;
    for (const toml::node& item : *node.as_array())
      items.push_back(to_value(item, depth + 1, name));
    return Value(std::move(items));
  }
  case toml::node_type::string:
    return Value(*node.value<std::string>());
  case toml::node_type::integer:
    return Value(*node.value<int64_t>());
  case toml::node_type::floating_point:
    return Value(*node.value<double>());
  case toml::node_type::boolean:
    return Value(*node.value<bool>());
  case toml::node_type::date:
    return Value(from_toml(&node.as_date()->get(), nullptr, nullptr));
  case toml::node_type::time:
    return Value(from_toml(nullptr, &node.as_time()->get(), nullptr));
  case toml::node_type::date_time: {
    const toml::date_time& dt = node.as_date_time()->get();
    return Value(from_toml(&dt.date, &dt.time, dt.offset ? &*dt.offset : nullptr));
  }
  case toml::node_type::none:
    break;
  }
  throw InputError(name + ":" + position_of(node.source().begin) + ": unsupported TOML value");
}

// ---- writing ----

[[noreturn]] void cannot_hold(const std::string& name, const std::string& path,
                              const std::string& cause) {
  throw InputError(name + ": " + text::shown_key_path(path) + ": " + cause);
}

// A TOML basic string: the escapes JSON shares, and every other control character and DEL
// as \uXXXX.
void append_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    if (const char* escape = text::short_escape(c)) {
      out += escape;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char escape_text[8];
      std::snprintf(escape_text, sizeof escape_text, "\\u%04X", static_cast<unsigned>(c));
      out += escape_text;
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_key(std::string& out, const std::string& key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), is_bare_key_char);
  if (bare) {
    out += key;
  } else {
    append_string(out, key);
  }
}

std::string float_text(double number) {
  if (std::isnan(number)) return "nan";
  if (std::isinf(number)) return number < 0 ? "-inf" : "inf";
  return text::shortest_float(number);
}

bool is_array_of_tables(const Value& value) {
  return value.is_array() && !value.array().empty() &&
         std::all_of(value.array().begin(), value.array().end(),
                     [](const Value& item) { return item.is_table(); });
}

// Tables and arrays of tables are written as [sections]; everything else as `key = value`.
bool is_section(const Value& value) {
  return value.is_table() || is_array_of_tables(value);
}

std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Writes TOML in the order of the tree: in each table its `key = value` lines, then its
// sub-tables and arrays of tables as sections. Tables inside arrays are inline.
class Writer {
public:
  explicit Writer(const std::string& name) : name_(name) {}

  std::string text;

  void body(const Value& table, const std::string& header, const std::string& path) {
    for (const Member& member : table.table()) {
      if (is_section(member.value)) continue;
      std::string line;
      append_key(line, member.key);
      line += " = ";
      append_value(line, member.value, child_path(path, member.key), line.size());
      text += line + "\n";
    }
    for (const Member& member : table.table()) {
      if (!is_section(member.value)) continue;
      std::string child_header = header.empty() ? "" : header + ".";
      append_key(child_header, member.key);
      const std::string member_path = child_path(path, member.key);
      if (member.value.is_table()) {
        // A table holding only sections needs no header of its own.
        const Table& members = member.value.table();
        if (members.empty() || !std::all_of(members.begin(), members.end(),
                                            [](const Member& m) { return is_section(m.value); })) {
          section("[" + child_header + "]");
        }
        body(member.value, child_header, member_path);
      } else {
        size_t index = 0;
        for (const Value& item : member.value.array()) {
          section("[[" + child_header + "]]");
          body(item, child_header, member_path + "[" + std::to_string(index++) + "]");
        }
      }
    }
  }

private:
  static constexpr size_t line_limit = 100;

  void section(const std::string& header) {
    if (!text.empty()) text += "\n";
    text += header + "\n";
  }

  // Appends `value` inline; an array that would make the line (`column` characters so
  // far) longer than line_limit gets one item per line.
  void append_value(std::string& out, const Value& value, const std::string& path,
                    size_t column = 0) {
    switch (value.kind()) {
    case Kind::null:
      cannot_hold(name_, path, "TOML has no null (delete the key instead)");
    case Kind::boolean:
      out += std::get<bool>(value.data) ? "true" : "false";
      return;
    case Kind::integer:
      out += std::to_string(std::get<int64_t>(value.data));
      return;
    case Kind::unsigned_integer: {
      const uint64_t number = std::get<uint64_t>(value.data);
      if (number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        cannot_hold(name_, path,
                    "integer " + std::to_string(number) + " is larger than TOML's 2^63-1");
      }
      out += std::to_string(number);
      return;
    }
    case Kind::floating:
      out += float_text(std::get<double>(value.data));
      return;
    case Kind::string:
      append_string(out, std::get<std::string>(value.data));
      return;
    case Kind::datetime:
      out += to_string(std::get<DateTime>(value.data));
      return;
    case Kind::array:
      append_array(out, value, path, column);
      return;
    case Kind::table: {
      if (value.table().empty()) {
        out += "{}";
        return;
      }
      out += "{ ";
      for (const Member& member : value.table()) {
        if (out.back() != ' ') out += ", ";
        append_key(out, member.key);
        out += " = ";
        append_value(out, member.value, child_path(path, member.key));
      }
      out += " }";
      return;
    }
    }
  }

  void append_array(std::string& out, const Value& value, const std::string& path, size_t column) {
    std::vector<std::string> items;
    size_t width = column + 4;
    for (const Value& item : value.array()) {
      items.emplace_back();
      append_value(items.back(), item, path + "[" + std::to_string(items.size() - 1) + "]");
      width += items.back().size() + 2;
    }
    if (items.empty()) {
      out += "[]";
    } else if (column == 0 || width <= line_limit) {
      out += "[ ";
      for (const std::string& item : items)
        out += (&item == &items[0] ? "" : ", ") + item;
      out += " ]";
    } else {
      out += "[\n";
      for (const std::string& item : items)
        out += "  " + item + ",\n";
      out += "]";
    }
  }

  const std::string& name_;
};

} // namespace

Value parse(std::string_view text, const std::string& name) {
  check_key_parts(text, name);
  try {
    const toml::table table = toml::parse(text, std::string_view(name));
    return table_to_value(table, 1, name);
  } catch (const toml::parse_error& error) {
    throw InputError(name + ":" + position_of(error.source().begin) + ": " +
                     describe_parse_error(text, error));
  }
}

std::string emit(const Value& value, const std::string& name) {
  if (!value.is_table()) cannot_hold(name, "", "a TOML document must be a table");
  Writer writer(name);
  writer.body(value, "", "");
  return writer.text;
}

} // namespace config_init::formats::toml_format

#include "formats/yaml_format.h"

#include "util/error.h"
#include "util/text.h"
#include "util/utf8.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_set>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace config_init::formats::yaml_format {

namespace {

const std::string tag_prefix = "tag:yaml.org,2002:";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// True when text[from, to) is non-empty and every character satisfies `accept`.
template <typename Accept>
bool all_of(std::string_view text, size_t from, Accept accept) {
  if (from >= text.size()) return false;
  for (size_t i = from; i < text.size(); ++i) {
    if (!accept(text[i])) return false;
  }
  return true;
}

bool is_null_word(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::optional<bool> bool_word(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

// The integer of `digits` in `base`, exact when it fits in 64 bits, else a float.
Value integer_value(std::string_view digits, int base, bool negative) {
  uint64_t magnitude = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (error == std::errc() && end == digits.data() + digits.size()) {
    if (!negative) {
      if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value(static_cast<int64_t>(magnitude));
      }
      return Value(magnitude);
    }
    if (magnitude <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return Value(static_cast<int64_t>(0 - magnitude));
    }
  }
  // Too big: the nearest double (decimal digits exactly rounded by from_chars).
  double number = 0;
  if (base == 10) {
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (result.ec == std::errc::result_out_of_range)
      number = std::numeric_limits<double>::infinity();
  } else {
    for (const char c : digits) {
      number = number * base + (is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
  }
  return Value(negative ? -number : number);
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_core_float(std::string_view text) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  const size_t integer_start = i;
  while (i < text.size() && is_digit(text[i]))
    ++i;
  bool digits = i > integer_start;
  if (i < text.size() && text[i] == '.') {
    const size_t fraction_start = ++i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    digits = digits || i > fraction_start;
  }
  if (!digits) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    return all_of(text, i, is_digit);
  }
  return i == text.size();
}

double float_of(std::string_view text) {
  const bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') text.remove_prefix(1);
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc::result_out_of_range) {
    const size_t e = text.find_first_of("eE");
    const bool tiny = e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-';
    number = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return negative ? -number : number;
}

// The value of a plain (unquoted, untagged) scalar under the YAML 1.2 core schema.
Value resolve_plain(std::string_view text) {
  if (is_null_word(text)) return Value{};
  if (const std::optional<bool> flag = bool_word(text)) return Value(*flag);
  const bool sign = text[0] == '-' || text[0] == '+';
  if (all_of(text, sign ? 1 : 0, is_digit)) {
    return integer_value(text.substr(sign ? 1 : 0), 10, text[0] == '-');
  }
  if (text.size() > 2 && text[0] == '0' && text[1] == 'o' &&
      all_of(text, 2, [](char c) { return c >= '0' && c <= '7'; })) {
    return integer_value(text.substr(2), 8, false);
  }
  if (text.size() > 2 && text[0] == '0' && text[1] == 'x' &&
      all_of(text, 2, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
    return integer_value(text.substr(2), 16, false);
  }
  const std::string_view unsigned_text = sign ? text.substr(1) : text;
  if (unsigned_text == ".inf" || unsigned_text == ".Inf" || unsigned_text == ".INF") {
    return Value(text[0] == '-' ? -std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::infinity());
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return Value(std::numeric_limits<double>::quiet_NaN());
  }
  if (is_core_float(text)) return Value(float_of(text));
  return Value(std::string(text));
}

// Strings that a YAML 1.1 reader (PyYAML, Go yaml.v2, ...) would take for something else:
// y/n/yes/no/on/off, `=`, the merge key `<<`, and anything that starts like a number, date
// or time.
bool looks_special_to_yaml_1_1(std::string_view text) {
  static const std::unordered_set<std::string_view> words = {
      "y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no", "No",
      "NO", "on", "On",  "ON",  "off", "Off", "OFF", "=",  "<<"};
  if (words.count(text) != 0) return true;
  const size_t start = (text[0] == '-' || text[0] == '+' || text[0] == '.') ? 1 : 0;
  return start < text.size() && is_digit(text[start]);
}

// Whether a string may be written as a plain scalar and read back as the same string.
// Conservative: anything unusual is quoted.
bool plain_safe(std::string_view text) {
  if (text.empty() || resolve_plain(text).kind() != Kind::string ||
      looks_special_to_yaml_1_1(text)) {
    return false;
  }
  const auto ordinary = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  if (!ordinary(text.front()) || !(ordinary(text.back()) || text.back() == '.')) return false;
  // Unicode line and paragraph separators, NEL and BOM are quoted for readers that see breaks.
  for (const std::string_view odd : {"\xC2\x85", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xEF\xBB\xBF"}) {
    if (text.find(odd) != std::string_view::npos) return false;
  }
  if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) {
    return false;
  }
  for (const char c : text) {
    if (!ordinary(c) && std::string_view(" -.@+=:").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Shortest text that reads back as the same double, always in a float form.
std::string float_text(double number) {
  if (std::isnan(number)) return ".nan";
  if (std::isinf(number)) return number < 0 ? "-.inf" : ".inf";
  return text::shortest_float(number);
}

void write_string(YAML::Emitter& out, const std::string& text) {
  if (plain_safe(text)) {
    out << text;
  } else {
    out << YAML::DoubleQuoted << text;
  }
}

void write(YAML::Emitter& out, const Value& value, const std::string& path,
           const std::string& name) {
  switch (value.kind()) {
  case Kind::null:
    out << YAML::Null;
    return;
  case Kind::boolean:
    out << (std::get<bool>(value.data) ? "true" : "false");
    return;
  case Kind::integer:
    out << std::to_string(std::get<int64_t>(value.data));
    return;
  case Kind::unsigned_integer:
    out << std::to_string(std::get<uint64_t>(value.data));
    return;
  case Kind::floating:
    out << float_text(std::get<double>(value.data));
    return;
  case Kind::string:
    write_string(out, std::get<std::string>(value.data));
    return;
  case Kind::datetime:
    throw InputError(name + ": " + text::shown_key_path(path) +
                     ": YAML has no date-time type here");
  case Kind::array: {
    if (value.array().empty()) out << YAML::Flow;
    out << YAML::BeginSeq;
    size_t index = 0;
    for (const Value& item : value.array()) {
      write(out, item, path + "[" + std::to_string(index++) + "]", name);
    }
    out << YAML::EndSeq;
    return;
  }
  case Kind::table: {
    if (value.table().empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const Member& member : value.table()) {
      out << YAML::Key;
      write_string(out, member.key);
      out << YAML::Value;
      write(out, member.value, path.empty() ? member.key : path + "." + member.key, name);
    }
    out << YAML::EndMap;
    return;
  }
  }
}

// The size of a tree, for the expansion budget.
struct Cost {
  size_t nodes = 0;
  size_t bytes = 0;
  int height = 0; // nesting levels of arrays and tables
};

Cost cost_of(const Value& value) {
  Cost cost{1, 0, 0};
  const auto add = [&](const Value& child, size_t key_bytes) {
    const Cost inner = cost_of(child);
    cost.nodes += inner.nodes;
    cost.bytes += inner.bytes + key_bytes;
    cost.height = std::max(cost.height, inner.height + 1);
  };
  if (value.kind() == Kind::string) cost.bytes = std::get<std::string>(value.data).size();
  if (value.is_array()) {
    cost.height = 1;
    for (const Value& item : value.array())
      add(item, 0);
  } else if (value.is_table()) {
    cost.height = 1;
    for (const Member& member : value.table())
      add(member.value, member.key.size());
  }
  return cost;
}

// Builds trees from yaml-cpp's parser events, with the limits of the header.
class Builder : public YAML::EventHandler {
public:
  Builder(std::string_view text, const std::string& name, int max_documents)
      : text_(text), name_(name), max_documents_(max_documents) {}

  Value root = Value(Table{});

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_ > 0 && !starts_document(static_cast<size_t>(mark.pos))) {
      fail(mark, "unexpected text after the end of the document");
    }
    if (documents_ >= max_documents_) {
      fail(mark, "a second document (a file config-init merges must hold exactly one)");
    }
    ++documents_;
    root = Value(Table{});
    anchors_.clear();
    stack_.clear();
    nodes_ = bytes_ = 0;
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    // yaml-cpp takes a block-map line without ':' ("z") for the key z with an empty value; it
    // reports that value at the key's own position (after the ':' when there is one, at the
    // '?' of an explicit key).
    if (!stack_.empty()) {
      const Frame& frame = stack_.back();
      if (frame.value.is_table() && !frame.want_key && !frame.flow && mark.pos >= 0 &&
          mark.pos <= frame.key_pos &&
          !(static_cast<size_t>(mark.pos) < text_.size() &&
            text_[static_cast<size_t>(mark.pos)] == '?')) {
        fail(mark, "'" + frame.key + "' is not followed by ':' (a mapping needs key: value)");
      }
    }
    charge(mark, 1, 0);
    const std::string text = null_text(mark);
    complete(mark, anchor, Value{}, &text);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    if (!valid_utf8(text)) fail(mark, "invalid UTF-8 in a scalar");
    if (has_noncharacter(text)) {
      fail(mark, "a Unicode noncharacter (U+FDD0..U+FDEF, U+FFFE, U+FFFF...) in a scalar: "
                 "YAML cannot hold it");
    }
    charge(mark, 1, text.size());
    complete(mark, anchor, resolve(mark, tag, text), &text);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto found = anchors_.find(anchor);
    if (found == anchors_.end()) {
      fail(mark, "an alias to an anchor that is not complete yet (a recursive alias)");
    }
    const Anchor& target = found->second;
    charge(mark, target.cost.nodes, target.cost.bytes);
    if (static_cast<int>(stack_.size()) + target.cost.height > max_depth) too_deep(mark);
    complete(mark, YAML::NullAnchor, target.value, target.key_text ? &*target.key_text : nullptr);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, tag, "seq", anchor, Value(Array{}));
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(mark, tag, "map", anchor, Value(Table{}), style == YAML::EmitterStyle::Flow);
  }
  void OnMapEnd() override { close(); }

private:
  struct Frame {
    Value value;
    YAML::Mark mark;
    YAML::anchor_t anchor;
    bool want_key = true; // of a map: the next node is a key
    std::string key;
    std::unordered_set<std::string> keys;
    bool flow = false; // a flow collection ({...}, [...])
    int key_pos = -1;  // of a map: where the current key starts
  };
  struct Anchor {
    Value value;
    std::optional<std::string> key_text; // a scalar's source text, for use as a key
    Cost cost;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& cause) const {
    throw InputError(name_ + ":" + std::to_string(mark.line + 1) + ":" +
                     std::to_string(mark.column + 1) + ": " + cause);
  }
  [[noreturn]] void too_deep(const YAML::Mark& mark) const {
    fail(mark, "nesting deeper than " + std::to_string(max_depth) + " levels");
  }

  // A document after the first must start with `---`, or follow a `...` line: yaml-cpp
  // otherwise takes stray text (`,`, `"a" x`) for endless or extra documents.
  bool starts_document(size_t pos) const {
    if (pos > text_.size()) return false;
    if (text_.substr(pos, 3) == "---") return true;
    std::string_view before = text_.substr(0, pos);
    while (true) {
      while (!before.empty() && std::isspace(static_cast<unsigned char>(before.back()))) {
        before.remove_suffix(1);
      }
      if (before.empty()) return false;
      const size_t newline = before.rfind('\n');
      const size_t start = newline == std::string_view::npos ? 0 : newline + 1;
      std::string_view line = before.substr(start);
      while (!line.empty() && (line[0] == ' ' || line[0] == '\t'))
        line.remove_prefix(1);
      if (line[0] != '#') {
        return line.substr(0, 3) == "..." &&
               (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
      }
      before = before.substr(0, start);
    }
  }

  // yaml-cpp reports ~, null and empty nodes alike; a key needs the source text back.
  std::string null_text(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return "";
    const std::string_view at = text_.substr(static_cast<size_t>(mark.pos));
    for (const std::string_view word : {"~", "null", "Null", "NULL"}) {
      if (at.substr(0, word.size()) == word) return std::string(word);
    }
    return "";
  }

  Value resolve(const YAML::Mark& mark, const std::string& tag, const std::string& text) const {
    if (tag == "!" || tag == tag_prefix + "str") return Value(text);
    Value value = resolve_plain(text);
    if (tag == "?") return value;
    const Kind kind = value.kind();
    const bool is_integer = kind == Kind::integer || kind == Kind::unsigned_integer;
    if (tag == tag_prefix + "int" && is_integer) return value;
    if (tag == tag_prefix + "float" && kind == Kind::floating) return value;
    if (tag == tag_prefix + "float" && kind == Kind::integer) {
      return Value(static_cast<double>(std::get<int64_t>(value.data)));
    }
    if (tag == tag_prefix + "float" && kind == Kind::unsigned_integer) {
      return Value(static_cast<double>(std::get<uint64_t>(value.data)));
    }
    if (tag == tag_prefix + "bool" && kind == Kind::boolean) return value;
    if (tag == tag_prefix + "null" && kind == Kind::null) return value;
    if (tag.rfind(tag_prefix, 0) == 0 && tag != tag_prefix + "seq" && tag != tag_prefix + "map") {
      const std::string type = tag.substr(tag_prefix.size());
      if (type == "int" || type == "float" || type == "bool" || type == "null") {
        fail(mark, "'" + text + "' is not a valid !!" + type);
      }
    }
    fail(mark, "unsupported tag '" + tag + "'");
  }

  void charge(const YAML::Mark& mark, size_t nodes, size_t bytes) {
    nodes_ += nodes;
    bytes_ += bytes;
    if (nodes_ > max_nodes) {
      fail(mark,
           "the document has more than " + std::to_string(max_nodes) + " nodes (aliases expanded)");
    }
    if (bytes_ > max_bytes) {
      fail(mark, "the document has more than " + std::to_string(max_bytes) +
                     " bytes of text (aliases expanded)");
    }
  }

  void open(const YAML::Mark& mark, const std::string& tag, const char* kind, YAML::anchor_t anchor,
            Value container, bool flow = false) {
    if (tag != "?" && tag != "!" && tag != tag_prefix + kind) {
      fail(mark, "unsupported tag '" + tag + "'");
    }
    if (!stack_.empty() && stack_.back().value.is_table() && stack_.back().want_key) {
      fail(mark, "a mapping key must be a scalar");
    }
    if (static_cast<int>(stack_.size()) >= max_depth) too_deep(mark);
    charge(mark, 1, 0);
    stack_.push_back(Frame{std::move(container), mark, anchor, true, {}, {}, flow, -1});
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    complete(frame.mark, frame.anchor, std::move(frame.value), nullptr);
  }

  // A finished node: remember its anchor, then attach it to its parent.
  // `key_text` is a scalar's source text (nullptr for arrays and tables).
  void complete(const YAML::Mark& mark, YAML::anchor_t anchor, Value value,
                const std::string* key_text) {
    if (mark.line >= 0) value.line = mark.line + 1; // for messages about the document (spec)
    if (anchor != YAML::NullAnchor) {
      const Cost cost = cost_of(value);
      charge(mark, cost.nodes, cost.bytes); // the copy kept for aliases
      anchors_[anchor] =
          Anchor{value, key_text ? std::optional<std::string>(*key_text) : std::nullopt, cost};
    }
    if (stack_.empty()) {
      root = value.is_null() ? Value(Table{}) : std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.value.is_array()) {
      parent.value.array().push_back(std::move(value));
    } else if (parent.want_key) {
      if (!key_text) fail(mark, "a mapping key must be a scalar");
      if (!parent.keys.insert(*key_text).second) fail(mark, "duplicate key '" + *key_text + "'");
      parent.key = *key_text;
      parent.key_pos = mark.pos;
      parent.want_key = false;
    } else {
      parent.value.table().push_back(Member{std::move(parent.key), std::move(value)});
      parent.want_key = true;
    }
  }

  std::string_view text_;
  const std::string& name_;
  int max_documents_;
  int documents_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchor> anchors_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

// Runs the parser over every document of `text`, at most `max_documents` of them.
Value run(std::string_view text, const std::string& name, int max_documents) {
  Builder builder(text, name, max_documents);
  std::istringstream input{std::string(text)};
  try {
    YAML::Parser parser(input);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const YAML::Exception& error) {
    const std::string where = error.mark.is_null()
                                  ? ""
                                  : ":" + std::to_string(error.mark.line + 1) + ":" +
                                        std::to_string(error.mark.column + 1);
    throw InputError(name + where + ": " + error.msg);
  }
  return std::move(builder.root);
}

} // namespace

void validate(std::string_view text, const std::string& name) {
  run(text, name, std::numeric_limits<int>::max());
}

Value parse(std::string_view text, const std::string& name) {
  Value root = run(text, name, 1);
  return root;
}

std::string emit(const Value& value, const std::string& name) {
  YAML::Emitter out;
  write(out, value, "", name);
  if (!out.good()) throw InputError(name + ": cannot write YAML: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

} // namespace config_init::formats::yaml_format

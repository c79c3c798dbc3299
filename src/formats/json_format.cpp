#include "formats/json_format.h"

#include "formats/json_position.h"
#include "util/error.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace config_init::formats::json_format {

namespace {

using Json = nlohmann::ordered_json;

using json_position::Cursor;

// Builds the tree from nlohmann's SAX events, refusing duplicate keys and deep nesting.
class Builder {
public:
  Builder(std::string_view text, const std::string& name, const char* const& progress)
      : text_(text), name_(name), progress_(progress) {}

  Value result;

  bool null() { return add(Value{}); }
  bool boolean(bool value) { return add(Value(value)); }
  bool number_integer(int64_t value) { return add(Value(value)); }
  bool number_unsigned(uint64_t value) {
    if (value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return add(Value(static_cast<int64_t>(value)));
    }
    return add(Value(value));
  }
  // nlohmann reports an integer too big for 64 bits as a float; `text` is the number's text.
  bool number_float(double value, const std::string& text) {
    if (text.find_first_of(".eE") == std::string::npos) {
      fail(number_start(text), "the integer " + shortened(text) +
                                   " is out of the 64-bit range (config-init keeps integers "
                                   "exact and refuses larger ones rather than round them)");
    }
    return add(Value(value));
  }
  bool string(std::string& value) { return add(Value(std::move(value))); }
  bool binary(Json::binary_t& /*value*/) { return false; } // only binary formats have these

  bool start_object(std::size_t /*size*/) { return open(Value(Table{})); }
  bool key(std::string& key) {
    Frame& frame = stack_.back();
    if (!frame.keys.insert(key).second) {
      fail(key_start(), "duplicate key '" + key + "'");
    }
    frame.key = std::move(key);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(std::size_t /*size*/) { return open(Value(Array{})); }
  bool end_array() { return close(); }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) {
    fail(position == 0 ? 0 : position - 1, json_position::parse_error_cause(error.what()));
  }

private:
  struct Frame {
    Value value;
    std::string key;
    std::unordered_set<std::string> keys; // of an object, to find duplicates quickly
  };

  [[noreturn]] void fail(size_t offset, const std::string& cause) const {
    throw InputError(name_ + ":" + text::line_column(text_, offset) + ": " + cause);
  }

  size_t consumed() const { return static_cast<size_t>(progress_ - text_.data()); }

  // The offset of the number `text` just read (the lexer has read it and maybe one more).
  size_t number_start(const std::string& text) const {
    const size_t at = text_.substr(0, consumed()).rfind(text);
    return at == std::string_view::npos ? consumed() - 1 : at;
  }

  static std::string shortened(const std::string& text) {
    return text.size() <= 40 ? text : text.substr(0, 20) + "..." + text.substr(text.size() - 10);
  }

  // The offset of the opening quote of the key just read (the lexer stopped after its
  // closing quote); inside the key a quote is preceded by an odd number of backslashes.
  size_t key_start() const {
    size_t at = consumed() - 1;
    while (at > 0) {
      --at;
      if (text_[at] != '"') continue;
      size_t backslashes = 0;
      while (backslashes < at && text_[at - 1 - backslashes] == '\\')
        ++backslashes;
      if (backslashes % 2 == 0) return at;
    }
    return 0;
  }

  bool add(Value value) {
    if (stack_.empty()) {
      result = std::move(value);
    } else if (Frame& frame = stack_.back(); frame.value.is_array()) {
      frame.value.array().push_back(std::move(value));
    } else {
      frame.value.table().push_back(Member{std::move(frame.key), std::move(value)});
    }
    return true;
  }

  bool open(Value container) {
    if (stack_.size() >= static_cast<size_t>(max_depth)) {
      fail(consumed() - 1, "nesting deeper than " + std::to_string(max_depth) + " levels");
    }
    stack_.push_back(Frame{std::move(container), {}, {}});
    return true;
  }

  bool close() {
    Value done = std::move(stack_.back().value);
    stack_.pop_back();
    return add(std::move(done));
  }

  std::string_view text_;
  const std::string& name_;
  const char* const& progress_;
  std::vector<Frame> stack_;
};

Json to_json(const Value& value, const std::string& path, const std::string& name) {
  switch (value.kind()) {
  case Kind::null:
    return nullptr;
  case Kind::boolean:
    return std::get<bool>(value.data);
  case Kind::integer:
    return std::get<int64_t>(value.data);
  case Kind::unsigned_integer:
    return std::get<uint64_t>(value.data);
  case Kind::floating: {
    const double number = std::get<double>(value.data);
    if (!std::isfinite(number)) {
      throw InputError(name + ": " + text::shown_key_path(path) + ": JSON has no NaN or infinity");
    }
    return number;
  }
  case Kind::string:
    return std::get<std::string>(value.data);
  case Kind::datetime:
    throw InputError(name + ": " + text::shown_key_path(path) + ": JSON has no date-time type");
  case Kind::array: {
    Json items = Json::array();
    size_t index = 0;
    for (const Value& item : value.array()) {
      items.push_back(to_json(item, path + "[" + std::to_string(index++) + "]", name));
    }
    return items;
  }
  case Kind::table: {
    // Keys are unique already: append to the ordered map's vector directly (its operator[]
    // searches linearly, which is quadratic for large objects).
    Json members = Json::object();
    Json::object_t& object = members.get_ref<Json::object_t&>();
    object.reserve(value.table().size());
    for (const Member& member : value.table()) {
      object.emplace_back(
          member.key,
          to_json(member.value, path.empty() ? member.key : path + "." + member.key, name));
    }
    return members;
  }
  }
  return nullptr;
}

} // namespace

Value parse(std::string_view text, const std::string& name) {
  // nlohmann's lexer takes a NUL byte for the end of the input, so a document followed by a
  // NUL and anything would parse as the document alone. JSON allows no NUL byte anywhere
  // (not even in a string, unescaped): refuse the first one at its position.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    throw InputError(name + ":" + text::line_column(text, nul) +
                     ": a NUL byte (JSON text cannot hold one; in a string, write \\u0000)");
  }
  const char* progress = text.data();
  Builder builder(text, name, progress);
  Json::sax_parse(Cursor(text.data(), &progress), Cursor(text.data() + text.size(), &progress),
                  &builder);
  return std::move(builder.result);
}

std::string emit(const Value& value, const std::string& name) {
  try {
    return to_json(value, "", name).dump(2, ' ', false, Json::error_handler_t::strict) + "\n";
  } catch (const Json::type_error& error) {
    throw InputError(name + ": cannot write JSON: " + error.what());
  }
}

} // namespace config_init::formats::json_format

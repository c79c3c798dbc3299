#include "formats/yaml_scalars.h"

#include "util/text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace config_init::formats::yaml_scalars {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// True when text[from, end) is non-empty and every character satisfies `accept`.
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

// The integer of `digits` in `base`, or nullopt beyond 64 bits.
std::optional<Value> integer_value(std::string_view digits, int base, bool negative) {
  uint64_t magnitude = 0;
  const auto [end, error] =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  constexpr auto max_signed = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!negative) {
    if (magnitude <= max_signed) return Value(static_cast<int64_t>(magnitude));
    return Value(magnitude);
  }
  if (magnitude <= max_signed + 1) return Value(static_cast<int64_t>(0 - magnitude));
  return std::nullopt;
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

} // namespace

std::optional<double> float_of(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  double number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc::result_out_of_range) {
    const size_t e = text.find_first_of("eE");
    const bool tiny = e != std::string_view::npos && e + 1 < text.size() && text[e + 1] == '-';
    if (!tiny) return std::nullopt; // beyond the largest double
    number = 0.0;                   // below the smallest: the nearest double is zero
  } else if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return negative ? -number : number;
}

std::optional<Value> resolve_plain(std::string_view text) {
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
  if (is_core_float(text)) {
    const std::optional<double> number = float_of(text);
    if (!number) return std::nullopt;
    return Value(*number);
  }
  return Value(std::string(text));
}

bool plain_safe(std::string_view text) {
  if (text.empty() || looks_special_to_yaml_1_1(text)) return false;
  const std::optional<Value> resolved = resolve_plain(text);
  if (!resolved || resolved->kind() != Kind::string) return false;
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

std::string float_text(double number) {
  if (std::isnan(number)) return ".nan";
  if (std::isinf(number)) return number < 0 ? "-.inf" : ".inf";
  return text::shortest_float(number);
}

} // namespace config_init::formats::yaml_scalars

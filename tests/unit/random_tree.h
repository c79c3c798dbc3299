// Seeded random document trees for the round-trip property tests of the format adapters.
#pragma once

#include "formats/document.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace config_init::testing {

// What a format can hold; the generator only produces those values.
struct TreeShape {
  bool nulls = false;        // YAML, JSON
  bool big_unsigned = false; // integers above 2^63-1: YAML, JSON
  bool non_finite = false;   // NaN and infinities: TOML, YAML
  bool datetimes = false;    // TOML
  int max_depth = 4;
  int max_width = 5;
};

class TreeGenerator {
public:
  TreeGenerator(uint64_t seed, TreeShape shape) : rng_(seed), shape_(shape) {}

  // A random table (the top level of every format config-init merges).
  formats::Value table(int depth = 0) {
    formats::Table members;
    const int width = below(shape_.max_width + 1);
    for (int i = 0; i < width; ++i) {
      std::string key = text();
      bool taken = false;
      for (const formats::Member& member : members)
        taken = taken || member.key == key;
      if (!taken) members.push_back(formats::Member{key, value(depth + 1)});
    }
    return formats::Value(std::move(members));
  }

  // Short strings built from fragments that trip up emitters: look-alikes of other types,
  // indicators, quotes, escapes, control characters and non-ASCII text.
  std::string text() {
    static const std::vector<std::string> fragments = {
        "a",        "key",  "gpt-5", "true", "yes",    "no",   "on",       "123",
        "1e3",      "0x1F", "0o17",  "1.0",  "~",      "null", "-",        "- ",
        ": ",       ":",    "#",     " #",   "'",      "\"",   "\\",       "\\n",
        "\n",       "\t",   "\r",    " ",    "{",      "}",    "[",        "]",
        ",",        "&a",   "*a",    "!",    "!!str",  "%",    "@",        "`",
        "|",        ">",    "?",     "---",  "...",    ".inf", ".nan",     "2024-01-01",
        "07:32:00", "é",    "中文",  "😀",    "\x01",   "\x7f", "\xC2\x85", "\xE2\x80\xA8",
        "=",        "<<",   "/",     ".",    "\"\"\"", "'''",  "$",        "+1",
        "-0"};
    std::string result;
    const int parts = below(4);
    for (int i = 0; i < parts; ++i)
      result += fragments[static_cast<size_t>(below(static_cast<int>(fragments.size())))];
    return result;
  }

private:
  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  formats::Value value(int depth) {
    const bool deep = depth < shape_.max_depth;
    switch (below(deep ? 12 : 10)) {
    case 0:
      return shape_.nulls ? formats::Value{} : formats::Value(below(2) == 1);
    case 1:
      return formats::Value(below(2) == 1);
    case 2:
      return formats::Value(integer());
    case 3:
      if (shape_.big_unsigned) {
        return formats::Value(std::numeric_limits<uint64_t>::max() -
                              static_cast<uint64_t>(below(1000)));
      }
      return formats::Value(integer());
    case 4:
    case 5:
      return formats::Value(floating());
    case 6:
    case 7:
      return formats::Value(text());
    case 8:
      return shape_.datetimes ? formats::Value(datetime()) : formats::Value(text());
    case 9:
      return formats::Value(formats::Array{}); // empty arrays, also at the deepest level
    case 10: {
      formats::Array items;
      const int count = below(shape_.max_width + 1);
      const bool tables = below(3) == 0; // arrays of tables
      for (int i = 0; i < count; ++i)
        items.push_back(tables ? table(depth) : value(depth + 1));
      return formats::Value(std::move(items));
    }
    default:
      return table(depth);
    }
  }

  int64_t integer() {
    static const std::vector<int64_t> specials = {0,
                                                  1,
                                                  -1,
                                                  9007199254740993,
                                                  -9007199254740993,
                                                  std::numeric_limits<int64_t>::max(),
                                                  std::numeric_limits<int64_t>::min()};
    if (below(2) == 0)
      return specials[static_cast<size_t>(below(static_cast<int>(specials.size())))];
    return std::uniform_int_distribution<int64_t>(-1'000'000'000'000, 1'000'000'000'000)(rng_);
  }

  double floating() {
    std::vector<double> specials = {
        0.1,   1.0,  -2.5,    1e20, 1e-7, 5e-324,   1.7976931348623157e308,
        100.0, 1e15, 123.456, -0.0, 0.3,  2.0 / 3.0};
    if (shape_.non_finite) {
      specials.push_back(std::numeric_limits<double>::infinity());
      specials.push_back(-std::numeric_limits<double>::infinity());
      specials.push_back(std::numeric_limits<double>::quiet_NaN());
    }
    if (below(2) == 0)
      return specials[static_cast<size_t>(below(static_cast<int>(specials.size())))];
    // Any finite double: random bits, retried until finite.
    while (true) {
      const uint64_t bits = rng_();
      double number;
      static_assert(sizeof number == sizeof bits);
      std::memcpy(&number, &bits, sizeof number);
      if (std::isfinite(number)) return number;
    }
  }

  formats::DateTime datetime() {
    formats::DateTime dt;
    const int form = below(4); // date-time with offset, local date-time, date, time
    dt.has_date = form != 3;
    dt.has_time = form != 2;
    dt.has_offset = form == 0;
    if (dt.has_date) {
      dt.year = 1 + below(9999);
      dt.month = 1 + below(12);
      dt.day = 1 + below(28);
    }
    if (dt.has_time) {
      dt.hour = below(24);
      dt.minute = below(60);
      dt.second = below(60);
      dt.nanosecond = below(2) == 0 ? 0u : static_cast<uint32_t>(below(1000)) * 1'000'000u;
    }
    if (dt.has_offset) dt.offset_minutes = below(2) == 0 ? 0 : (below(2 * 1439 + 1) - 1439);
    return dt;
  }

  std::mt19937_64 rng_;
  TreeShape shape_;
};

} // namespace config_init::testing

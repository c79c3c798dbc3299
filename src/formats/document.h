// The neutral document tree that TOML, YAML and JSON convert to and from.
// Merge, three-way merge and provenance are written once, on this tree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace config_init::formats {

// A TOML date, time, date-time or offset date-time, kept as its parts so it round-trips
// exactly. YAML and JSON never produce one (their timestamps stay strings).
struct DateTime {
  bool has_date = false;
  bool has_time = false;
  bool has_offset = false; // only with date and time
  int year = 0, month = 0, day = 0;
  int hour = 0, minute = 0, second = 0;
  uint32_t nanosecond = 0;
  int offset_minutes = 0;
  bool operator==(const DateTime& other) const;
};

// TOML's form: 1979-05-27T07:32:00.5-07:00, 1979-05-27, 07:32:00 (fraction trimmed).
std::string to_string(const DateTime& dt);

struct Value;
struct Member;
using Array = std::vector<Value>;
using Table = std::vector<Member>; // keys in document order; lookups are linear

enum class Kind {
  null,
  boolean,
  integer,
  unsigned_integer,
  floating,
  string,
  datetime,
  array,
  table
};

// One node. `origin` is the index of the layer the value came from (-1 when unknown);
// merge keeps it on every leaf, so `explain` can name where each key was set.
struct Value {
  std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, DateTime, Array,
               Table>
      data; // alternatives in the order of Kind
  int origin = -1;
  int line = 0; // 1-based line in the source document where known (YAML), else 0

  Value() = default;
  // Implicit from any alternative, so trees can be written tersely in code and tests.
  using Data = std::variant<std::monostate, bool, int64_t, uint64_t, double, std::string, DateTime,
                            Array, Table>;
  template <typename T, typename = std::enable_if_t<!std::is_same_v<std::decay_t<T>, Value> &&
                                                    std::is_constructible_v<Data, T&&>>>
  Value(T&& v) : data(std::forward<T>(v)) {}           // NOLINT(google-explicit-constructor)
  Value(const char* text) : data(std::string(text)) {} // NOLINT(google-explicit-constructor)
  Value(int number) : data(int64_t{number}) {}         // NOLINT(google-explicit-constructor)

  Kind kind() const { return static_cast<Kind>(data.index()); }
  bool is_table() const { return kind() == Kind::table; }
  bool is_array() const { return kind() == Kind::array; }
  bool is_null() const { return kind() == Kind::null; }
  Table& table() { return std::get<Table>(data); }
  const Table& table() const { return std::get<Table>(data); }
  Array& array() { return std::get<Array>(data); }
  const Array& array() const { return std::get<Array>(data); }

  // Member lookup in a table; nullptr when absent or when this is not a table.
  Value* find(std::string_view key);
  const Value* find(std::string_view key) const;
  // Inserts or replaces `key` (appended when new, keeping document order).
  Value& set(std::string key, Value value);
  // Removes `key` from a table; false when absent.
  bool erase(std::string_view key);
};

struct Member {
  std::string key;
  Value value;
};

// Deep equality of content; `origin` is ignored. Floats compare by bit pattern
// semantics of ==, except that NaN equals NaN (a round trip must keep it).
bool operator==(const Value& a, const Value& b);
inline bool operator!=(const Value& a, const Value& b) {
  return !(a == b);
}

// "table", "array", "string", ... for messages.
const char* kind_name(Kind kind);
// The same with its indefinite article: "a table", "an array", "an integer".
std::string kind_with_article(Kind kind);

// Sets `origin` on `value` and everything below it.
void set_origin(Value& value, int origin);

} // namespace config_init::formats

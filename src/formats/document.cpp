#include "formats/document.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <unordered_map>

namespace config_init::formats {

bool DateTime::operator==(const DateTime& o) const {
  return has_date == o.has_date && has_time == o.has_time && has_offset == o.has_offset &&
         year == o.year && month == o.month && day == o.day && hour == o.hour &&
         minute == o.minute && second == o.second && nanosecond == o.nanosecond &&
         offset_minutes == o.offset_minutes;
}

std::string to_string(const DateTime& dt) {
  char buffer[64];
  std::string text;
  if (dt.has_date) {
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", dt.year, dt.month, dt.day);
    text += buffer;
  }
  if (dt.has_date && dt.has_time) text += 'T';
  if (dt.has_time) {
    std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d", dt.hour, dt.minute, dt.second);
    text += buffer;
    if (dt.nanosecond != 0) {
      std::snprintf(buffer, sizeof buffer, ".%09u", dt.nanosecond);
      std::string fraction = buffer;
      fraction.erase(fraction.find_last_not_of('0') + 1);
      text += fraction;
    }
  }
  if (dt.has_offset) {
    if (dt.offset_minutes == 0) {
      text += 'Z';
    } else {
      const int minutes = std::abs(dt.offset_minutes);
      std::snprintf(buffer, sizeof buffer, "%c%02d:%02d", dt.offset_minutes < 0 ? '-' : '+',
                    minutes / 60, minutes % 60);
      text += buffer;
    }
  }
  return text;
}

Value* Value::find(std::string_view key) {
  if (!is_table()) return nullptr;
  for (Member& member : table()) {
    if (member.key == key) return &member.value;
  }
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  return const_cast<Value*>(this)->find(key);
}

Value& Value::set(std::string key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
    return *existing;
  }
  table().push_back(Member{std::move(key), std::move(value)});
  return table().back().value;
}

bool Value::erase(std::string_view key) {
  if (!is_table()) return false;
  Table& members = table();
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const Member& member) { return member.key == key; });
  if (it == members.end()) return false;
  members.erase(it);
  return true;
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
  case Kind::floating: {
    const double x = std::get<double>(a.data);
    const double y = std::get<double>(b.data);
    return x == y || (std::isnan(x) && std::isnan(y));
  }
  case Kind::array:
    return a.array().size() == b.array().size() &&
           std::equal(a.array().begin(), a.array().end(), b.array().begin());
  case Kind::table: {
    // Key order does not matter for equality (TOML output is sorted).
    const Table& x = a.table();
    const Table& y = b.table();
    if (x.size() != y.size()) return false;
    if (x.size() <= 16) {
      for (const Member& member : x) {
        const Value* other = b.find(member.key);
        if (!other || !(member.value == *other)) return false;
      }
      return true;
    }
    std::unordered_map<std::string_view, const Value*> index; // large tables: not quadratic
    for (const Member& member : y)
      index.emplace(member.key, &member.value);
    for (const Member& member : x) {
      const auto other = index.find(member.key);
      if (other == index.end() || !(member.value == *other->second)) return false;
    }
    return true;
  }
  case Kind::null:
    return true;
  case Kind::boolean:
    return std::get<bool>(a.data) == std::get<bool>(b.data);
  case Kind::integer:
    return std::get<int64_t>(a.data) == std::get<int64_t>(b.data);
  case Kind::unsigned_integer:
    return std::get<uint64_t>(a.data) == std::get<uint64_t>(b.data);
  case Kind::string:
    return std::get<std::string>(a.data) == std::get<std::string>(b.data);
  case Kind::datetime:
    return std::get<DateTime>(a.data) == std::get<DateTime>(b.data);
  }
  return false;
}

const char* kind_name(Kind kind) {
  switch (kind) {
  case Kind::null:
    return "null";
  case Kind::boolean:
    return "boolean";
  case Kind::integer:
  case Kind::unsigned_integer:
    return "integer";
  case Kind::floating:
    return "float";
  case Kind::string:
    return "string";
  case Kind::datetime:
    return "datetime";
  case Kind::array:
    return "array";
  case Kind::table:
    return "table";
  }
  return "value";
}

std::string kind_with_article(Kind kind) {
  const std::string name = kind_name(kind);
  const bool vowel = name.find_first_of("aeiou") == 0;
  return (vowel ? "an " : "a ") + name;
}

void set_origin(Value& value, int origin) {
  value.origin = origin;
  if (value.is_array()) {
    for (Value& item : value.array())
      set_origin(item, origin);
  } else if (value.is_table()) {
    for (Member& member : value.table())
      set_origin(member.value, origin);
  }
}

} // namespace config_init::formats

#include "fuzz_support.h"

#include "merge/merge.h"
#include "merge/three_way.h"
#include "util/error.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

namespace fuzz {

using config_init::InputError;
using config_init::formats::Format;
using config_init::formats::Kind;
using config_init::formats::Value;

namespace {

void dump_into(std::string& out, const Value& value) {
  char buffer[64];
  switch (value.kind()) {
  case Kind::null:
    out += "null";
    return;
  case Kind::boolean:
    out += std::get<bool>(value.data) ? "true" : "false";
    return;
  case Kind::integer:
    out += std::to_string(std::get<int64_t>(value.data));
    return;
  case Kind::unsigned_integer:
    out += std::to_string(std::get<uint64_t>(value.data)) + "u";
    return;
  case Kind::floating:
    std::snprintf(buffer, sizeof buffer, "%.17g", std::get<double>(value.data));
    out += buffer;
    out += "f";
    return;
  case Kind::string: {
    out += '"';
    for (const unsigned char c : std::get<std::string>(value.data)) {
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
        std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
        out += buffer;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
    return;
  }
  case Kind::datetime: {
    const auto& dt = std::get<config_init::formats::DateTime>(value.data);
    std::snprintf(buffer, sizeof buffer, "dt(%d%d%d %d-%d-%d %d:%d:%d.%u %+d)", dt.has_date,
                  dt.has_time, dt.has_offset, dt.year, dt.month, dt.day, dt.hour, dt.minute,
                  dt.second, dt.nanosecond, dt.offset_minutes);
    out += buffer;
    return;
  }
  case Kind::array:
    out += '[';
    for (const Value& item : value.array()) {
      dump_into(out, item);
      out += ',';
    }
    out += ']';
    return;
  case Kind::table:
    out += '{';
    for (const auto& member : value.table()) {
      dump_into(out, Value(member.key));
      out += ':';
      dump_into(out, member.value);
      out += ',';
    }
    out += '}';
    return;
  }
}

std::optional<Value> try_parse(Format format, std::string_view text, const char* name) {
  try {
    return config_init::formats::parse(format, text, name);
  } catch (const InputError&) {
    return std::nullopt;
  }
}

// emit -> parse must give `value` back, and emitting that again must give the same text.
void check_round_trip(Format format, const Value& value, const char* what) {
  std::string text;
  try {
    text = config_init::formats::emit(format, value, "emitted");
  } catch (const InputError& error) {
    fail(std::string(what) + ": emit refused a tree that parse/merge produced: " + error.what(),
         dump(value));
  }
  Value again;
  try {
    again = config_init::formats::parse(format, text, "emitted");
  } catch (const InputError& error) {
    fail(std::string(what) + ": the emitted text does not parse: " + error.what(),
         "tree: " + dump(value) + "\ntext:\n" + text);
  }
  if (!(again == value)) {
    fail(std::string(what) + ": parse(emit(tree)) != tree",
         "tree:  " + dump(value) + "\nagain: " + dump(again) + "\ntext:\n" + text);
  }
  const std::string text_again = config_init::formats::emit(format, again, "emitted");
  if (text_again != text) {
    fail(std::string(what) + ": emit is not a fixed point",
         "first:\n" + text + "\nsecond:\n" + text_again);
  }
}

} // namespace

std::string dump(const Value& value) {
  std::string out;
  dump_into(out, value);
  if (out.size() > 4000) out = out.substr(0, 4000) + "...";
  return out;
}

void fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "\n==== fuzz property violated: %s\n%s\n", what.c_str(), detail.c_str());
  std::fflush(stderr);
  std::abort();
}

int format_round_trip(Format format, const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view first = input.substr(0, nul);
  const std::optional<std::string_view> second =
      nul == std::string_view::npos ? std::nullopt
                                    : std::optional<std::string_view>(input.substr(nul + 1));

  std::optional<Value> a = try_parse(format, first, "a");
  if (!a) return 0;
  try {
    config_init::formats::validate(format, first, "a");
  } catch (const InputError& error) {
    fail(std::string("validate() refused what parse() accepted: ") + error.what(), dump(*a));
  }
  check_round_trip(format, *a, "document A");
  if (!second) return 0;
  std::optional<Value> b = try_parse(format, *second, "b");
  if (!b) return 0;
  check_round_trip(format, *b, "document B");

  config_init::merge::MergeRules rules;
  rules.arrays = static_cast<config_init::merge::ArrayStrategy>(size % 3);
  std::vector<config_init::merge::TypeConflict> conflicts;
  Value merged = *a;
  config_init::merge::merge_into(merged, *b, rules, conflicts);
  (void)config_init::merge::leaves(merged); // what `explain` prints
  check_round_trip(format, merged, "merge of A and B");

  std::vector<config_init::merge::EditConflict> edit_conflicts;
  const Value three_way = config_init::merge::merge_three_way(*a, *b, merged, edit_conflicts);
  check_round_trip(format, three_way, "three-way merge of (A, B, merged)");
  return 0;
}

} // namespace fuzz

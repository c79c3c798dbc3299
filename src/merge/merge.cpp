#include "merge/merge.h"

#include "util/error.h"
#include "util/json.h"
#include "util/text.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace config_init::merge {

using formats::Array;
using formats::DateTime;
using formats::Kind;
using formats::Member;
using formats::Table;
using formats::Value;

namespace {

// Shortest text that reads back as the same double, always in a float form ("1.0", not "1").
std::string float_text(double number) {
  if (std::isnan(number)) return "nan";
  if (std::isinf(number)) return number < 0 ? "-inf" : "inf";
  if (number == 0) number = 0; // -0.0 prints as 0.0: the two are equal
  return text::shortest_float(number);
}

// A compact JSON-like rendering. With `sorted_keys`, tables that are equal (operator==,
// which ignores key order) render identically, so the text can serve as a set key.
void append_compact(std::string& out, const Value& value, bool sorted_keys) {
  switch (value.kind()) {
  case Kind::null:
    out += "null";
    break;
  case Kind::boolean:
    out += std::get<bool>(value.data) ? "true" : "false";
    break;
  case Kind::integer:
    out += std::to_string(std::get<int64_t>(value.data));
    break;
  case Kind::unsigned_integer:
    out += std::to_string(std::get<uint64_t>(value.data));
    break;
  case Kind::floating:
    out += float_text(std::get<double>(value.data));
    break;
  case Kind::string:
    json::append_quoted(out, std::get<std::string>(value.data));
    break;
  case Kind::datetime:
    out += to_string(std::get<DateTime>(value.data));
    break;
  case Kind::array: {
    out += '[';
    for (const Value& item : value.array()) {
      if (out.back() != '[') out += ',';
      append_compact(out, item, sorted_keys);
    }
    out += ']';
    break;
  }
  case Kind::table: {
    std::vector<const Member*> members;
    for (const Member& member : value.table())
      members.push_back(&member);
    if (sorted_keys) {
      std::sort(members.begin(), members.end(),
                [](const Member* a, const Member* b) { return a->key < b->key; });
    }
    out += '{';
    for (const Member* member : members) {
      if (out.back() != '{') out += ',';
      json::append_quoted(out, member->key);
      out += ':';
      append_compact(out, member->value, sorted_keys);
    }
    out += '}';
    break;
  }
  }
}

std::string canonical_text(const Value& value) {
  std::string text;
  append_compact(text, value, true);
  return text;
}

// RFC 7386: a patch applied where there is nothing to merge into keeps no nulls in its
// tables (array items are values, not patches, and keep theirs).
void strip_nulls(Value& value) {
  if (!value.is_table()) return;
  Table& members = value.table();
  members.erase(std::remove_if(members.begin(), members.end(),
                               [](const Member& member) { return member.value.is_null(); }),
                members.end());
  for (Member& member : members)
    strip_nulls(member.value);
}

bool same_type(Kind a, Kind b) {
  return a == b || std::string_view(formats::kind_name(a)) == formats::kind_name(b);
}

bool is_prefix(const KeyPath& prefix, const KeyPath& path) {
  return prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

class Merger {
public:
  Merger(const MergeRules& rules, std::vector<TypeConflict>& conflicts)
      : rules_(rules), conflicts_(conflicts) {}

  void merge(Value& lower, const Value& higher) {
    if (lower.is_table() && higher.is_table()) {
      merge_tables(lower.table(), higher.table());
    } else if (lower.is_array() && higher.is_array()) {
      combine(lower, higher);
    } else {
      if (!lower.is_null() && !higher.is_null() && !same_type(lower.kind(), higher.kind())) {
        conflicts_.push_back(TypeConflict{format_key_path(path_), lower.kind(), higher.kind()});
      }
      replace(lower, higher);
    }
  }

private:
  // Key by key, with an index (Value::find is linear; large tables would be quadratic).
  void merge_tables(Table& lower, const Table& higher) {
    std::unordered_map<std::string, size_t> position;
    for (size_t i = 0; i < lower.size(); ++i)
      position.emplace(lower[i].key, i);
    std::unordered_set<std::string> deleted;
    for (const Member& member : higher) {
      if (member.value.is_null()) {
        deleted.insert(member.key);
        continue;
      }
      path_.push_back(member.key);
      if (const auto found = position.find(member.key); found != position.end()) {
        merge(lower[found->second].value, member.value);
      } else {
        position.emplace(member.key, lower.size());
        lower.push_back(Member{member.key, Value{}});
        replace(lower.back().value, member.value);
      }
      path_.pop_back();
    }
    if (deleted.empty()) return;
    lower.erase(
        std::remove_if(lower.begin(), lower.end(),
                       [&](const Member& member) { return deleted.count(member.key) != 0; }),
        lower.end());
  }

  static void replace(Value& lower, const Value& higher) {
    lower = higher;
    strip_nulls(lower);
  }

  // The longest array_paths entry that is a prefix of the current path (the later one
  // of two equally long entries), else the file's default.
  ArrayStrategy strategy() const {
    ArrayStrategy chosen = rules_.arrays;
    size_t chosen_length = 0;
    bool found = false;
    for (const auto& [prefix, strategy] : rules_.array_paths) {
      if (is_prefix(prefix, path_) && (!found || prefix.size() >= chosen_length)) {
        chosen = strategy;
        chosen_length = prefix.size();
        found = true;
      }
    }
    return chosen;
  }

  void combine(Value& lower, const Value& higher) {
    const ArrayStrategy chosen = strategy();
    if (chosen == ArrayStrategy::replace) {
      lower = higher;
      return;
    }
    Array& items = lower.array();
    items.insert(items.end(), higher.array().begin(), higher.array().end());
    if (chosen == ArrayStrategy::union_) {
      std::unordered_set<std::string> seen;
      Array unique;
      for (Value& item : items) {
        if (seen.insert(canonical_text(item)).second) unique.push_back(std::move(item));
      }
      items = std::move(unique);
    }
    lower.origin = higher.origin;
  }

  const MergeRules& rules_;
  std::vector<TypeConflict>& conflicts_;
  KeyPath path_;
};

void collect_leaves(const Value& value, KeyPath& path, std::vector<Leaf>& out) {
  if (value.is_table() && (!value.table().empty() || path.empty())) {
    for (const Member& member : value.table()) {
      path.push_back(member.key);
      collect_leaves(member.value, path, out);
      path.pop_back();
    }
    return;
  }
  // An array combined from several layers (append, union): one leaf per element, each
  // with the layer it came from, as `key[0]`, `key[1]`, ...
  if (value.is_array()) {
    const Array& items = value.array();
    const bool mixed = std::any_of(items.begin(), items.end(),
                                   [&](const Value& item) { return item.origin != value.origin; });
    if (mixed) {
      const std::string key = format_key_path(path);
      for (size_t i = 0; i < items.size(); ++i) {
        std::string text;
        append_compact(text, items[i], false);
        out.push_back(Leaf{key + "[" + std::to_string(i) + "]", std::move(text), items[i].origin});
      }
      return;
    }
  }
  std::string text;
  append_compact(text, value, false);
  out.push_back(Leaf{format_key_path(path), std::move(text), value.origin});
}

} // namespace

ArrayStrategy parse_array_strategy(std::string_view text) {
  if (text == "replace") return ArrayStrategy::replace;
  if (text == "append") return ArrayStrategy::append;
  if (text == "union") return ArrayStrategy::union_;
  throw UsageError("invalid array strategy '" + std::string(text) +
                   "' (expected replace, append or union)");
}

const char* array_strategy_name(ArrayStrategy strategy) {
  switch (strategy) {
  case ArrayStrategy::replace:
    return "replace";
  case ArrayStrategy::append:
    return "append";
  case ArrayStrategy::union_:
    return "union";
  }
  return "?";
}

void merge_into(Value& lower, const Value& higher, const MergeRules& rules,
                std::vector<TypeConflict>& conflicts) {
  Merger(rules, conflicts).merge(lower, higher);
}

void apply_deletions(Value& document, const MergeRules& rules) {
  for (const KeyPath& path : rules.deletions) {
    if (path.empty()) continue;
    Value* parent = &document;
    for (size_t i = 0; parent && i + 1 < path.size(); ++i)
      parent = parent->find(path[i]);
    if (parent) parent->erase(path.back());
  }
}

std::vector<Leaf> leaves(const Value& document) {
  std::vector<Leaf> out;
  KeyPath path;
  collect_leaves(document, path, out);
  return out;
}

} // namespace config_init::merge

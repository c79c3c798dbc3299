#include "merge/three_way.h"

#include "merge/key_path.h"

#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace config_init::merge {

namespace {

using formats::Member;
using formats::Table;
using formats::Value;

bool same(const Value* a, const Value* b) {
  if (!a || !b) return a == b;
  return *a == *b;
}

// Merges one place; nullptr in and out means "absent".
const Value* choose(const Value* base, const Value* current, const Value* next, KeyPath& path,
                    std::vector<EditConflict>& conflicts, Value& storage);

// Members by key (Value::find is linear: large tables would make the merge quadratic).
std::unordered_map<std::string_view, const Value*> index_of(const Value* table) {
  std::unordered_map<std::string_view, const Value*> index;
  if (table && table->is_table()) {
    for (const Member& member : table->table())
      index.emplace(member.key, &member.value);
  }
  return index;
}

const Value* at(const std::unordered_map<std::string_view, const Value*>& index,
                const std::string& key) {
  const auto found = index.find(key);
  return found == index.end() ? nullptr : found->second;
}

Value merge_tables(const Value* base, const Value& current, const Value& next, KeyPath& path,
                   std::vector<EditConflict>& conflicts) {
  Value result = Table{};
  result.origin = next.origin;
  const auto base_index = index_of(base), current_index = index_of(&current),
             next_index = index_of(&next);
  std::unordered_set<std::string_view> done;
  const auto add = [&](const std::string& key) {
    if (!done.insert(key).second) return;
    const Value* b = at(base_index, key);
    path.push_back(key);
    Value storage;
    const Value* chosen =
        choose(b, at(current_index, key), at(next_index, key), path, conflicts, storage);
    path.pop_back();
    if (chosen) result.table().push_back(Member{key, *chosen});
  };
  for (const Member& member : next.table())
    add(member.key);
  for (const Member& member : current.table())
    add(member.key);
  return result;
}

const Value* choose(const Value* base, const Value* current, const Value* next, KeyPath& path,
                    std::vector<EditConflict>& conflicts, Value& storage) {
  if (same(current, base)) return next; // the app left it alone
  if (same(next, base)) return current; // the layers left it alone
  if (same(current, next)) return next; // both made the same change
  if (current && next && current->is_table() && next->is_table()) {
    const Value* base_table = base && base->is_table() ? base : nullptr;
    storage = merge_tables(base_table, *current, *next, path, conflicts);
    return &storage;
  }
  conflicts.push_back(EditConflict{format_key_path(path)});
  return next;
}

} // namespace

Value merge_three_way(const Value& base, const Value& current, const Value& next,
                      std::vector<EditConflict>& conflicts) {
  KeyPath path;
  Value storage;
  const Value* chosen = choose(&base, &current, &next, path, conflicts, storage);
  if (!chosen) return Table{};
  return chosen == &storage ? std::move(storage) : *chosen;
}

} // namespace config_init::merge

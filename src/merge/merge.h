// Deep merge of document trees, one layer onto the next (contract: "Deep merge").
#pragma once

#include "formats/document.h"
#include "merge/key_path.h"

#include <string>
#include <vector>

namespace config_init::merge {

// How two arrays at the same key combine.
enum class ArrayStrategy {
  replace, // the higher layer's array replaces the lower one (default; Codex's rule)
  append,  // lower items, then higher items
  union_,  // append without duplicates, first occurrence's order kept (Claude Code's rule)
};

// Parses "replace" | "append" | "union"; throws UsageError otherwise.
ArrayStrategy parse_array_strategy(std::string_view text);
const char* array_strategy_name(ArrayStrategy strategy);

// The merge rules of one file.
struct MergeRules {
  ArrayStrategy arrays = ArrayStrategy::replace; // default for every array in the file
  // Per key path overrides: a path applies to the array it names and to arrays below it;
  // the longest matching path wins (of two equally long, the later one).
  std::vector<std::pair<KeyPath, ArrayStrategy>> array_paths;
  // Key paths removed from the result after all layers merged (TOML has no null).
  std::vector<KeyPath> deletions;
};

// A key where the two layers disagree on the type (e.g. table vs string); the higher wins.
struct TypeConflict {
  std::string key_path; // formatted with format_key_path
  formats::Kind lower;
  formats::Kind higher;
};

// Merges `higher` onto `lower` in place (RFC 7386 semantics extended):
// tables merge key by key recursively; a null in `higher` deletes the key; arrays
// combine per `rules`; for scalars and type conflicts `higher` wins (conflicts appended
// to `conflicts`, which --strict turns into an error). Origins travel with the values.
void merge_into(formats::Value& lower, const formats::Value& higher, const MergeRules& rules,
                std::vector<TypeConflict>& conflicts);

// Removes each of `rules.deletions` from `document` (absent paths are ignored).
void apply_deletions(formats::Value& document, const MergeRules& rules);

// One leaf of a document for `explain`: its key path, its value in a short inline form
// (JSON-like), and the layer it came from (Value::origin).
struct Leaf {
  std::string key_path;
  std::string value;
  int origin;
};
// Every leaf (scalar, array, or empty table) in document order. An array whose elements
// came from different layers (append, union) gives one leaf per element instead, named
// `key[0]`, `key[1]`, ..., each with its own origin.
std::vector<Leaf> leaves(const formats::Value& document);

} // namespace config_init::merge

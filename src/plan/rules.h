// Per-path rules from the spec file and flags: policy, mode, and how structured files merge.
#pragma once

#include "merge/merge.h"

#include <optional>
#include <string>
#include <vector>

namespace config_init::plan {

enum class Policy {
  merge,   // structured files deep-merge across layers; others: the highest layer wins
  replace, // the highest layer's file wins whole
  seed,    // written only when DEST/P does not exist yet; never overwritten nor removed
  ignore,  // never read, never written
};

// Parses "merge" | "replace" | "seed" | "ignore"; throws UsageError otherwise.
Policy parse_policy(std::string_view text);
const char* policy_name(Policy policy);

// One rule, matched by glob against a file's relative path. A glob without '/' matches
// the file name in any directory; otherwise the whole path (`*` does not cross '/',
// `**` does). Every attribute is optional; later rules override earlier ones per attribute.
struct FileRule {
  std::string glob;
  std::optional<Policy> policy;
  std::optional<unsigned> mode;
  std::optional<merge::ArrayStrategy> arrays;
  std::vector<std::pair<merge::KeyPath, merge::ArrayStrategy>> array_paths;
  std::vector<merge::KeyPath> deletions;
  // Where the rule was given, for messages: "--arrays settings.json=union", "spec.yaml:7".
  std::string origin;
};

// How a schema violation is handled: refused (exit 3, nothing written) or logged.
enum class SchemaMode { enforce, warn };

// Parses "enforce" | "warn"; throws UsageError otherwise.
SchemaMode parse_schema_mode(std::string_view text);
const char* schema_mode_name(SchemaMode mode);

// A JSON Schema that every result matching `glob` (as FileRule globs match) must satisfy.
struct SchemaRule {
  std::string glob;
  std::string file;               // the schema file, as given
  std::optional<SchemaMode> mode; // nullopt: Rules::schema_mode
  std::string origin;             // "--schema config.toml=codex.json", "spec.yaml:7"
};

struct Rules {
  std::vector<FileRule> files;
  std::vector<SchemaRule> schemas; // in order; every matching schema applies
  SchemaMode schema_mode = SchemaMode::enforce;
  std::vector<std::string> required; // relative paths that must exist in the result
  bool strict = false;               // a type conflict in a merge is an input error
  unsigned file_mode = 0644;
  unsigned secret_file_mode = 0600;
  unsigned directory_mode = 0755;
  // --chown UID:GID (root only): owner of every file and directory written.
  std::optional<std::pair<unsigned, unsigned>> owner;
};

// The effective settings for one relative path.
struct PathSettings {
  Policy policy = Policy::merge;
  std::optional<unsigned> mode; // set by a rule; else the default for the file's layer
  merge::MergeRules merge;
};

// Combines every rule whose glob matches `path`, in order.
PathSettings settings_for(const Rules& rules, const std::string& path);

// True when `glob` matches the relative `path` (see FileRule).
bool glob_matches(const std::string& glob, const std::string& path);

// The rules of `rules` whose glob matches none of `paths` (a typo such as
// `--arrays setings.json=union` would otherwise be silently without effect), in order.
std::vector<const FileRule*> unmatched_rules(const Rules& rules,
                                             const std::vector<std::string>& paths);

} // namespace config_init::plan

// Checking a plan's results against the --schema rules, before anything is written.
#pragma once

#include "plan/plan.h"
#include "plan/rules.h"
#include "schema/validator.h"
#include "state/manifest.h"
#include "util/log.h"

#include <map>
#include <string>
#include <vector>

namespace config_init::schema {

// One result checked against one schema.
struct FileCheck {
  std::string path;          // relative to DEST
  std::string schema_file;   // as given
  std::string schema_sha256; // of the schema file's bytes
  plan::SchemaMode mode = plan::SchemaMode::enforce;
  std::vector<Violation> violations;
};

struct Report {
  std::vector<FileCheck> checks; // in plan order, then schema rule order
  // Violations under `enforce`: the run must not write.
  size_t blocking() const;
  size_t violations() const;
};

// Reads every schema file that a rule of `rules.schemas` names (each once) and checks each
// result of `plan` that DEST will hold (created, updated, chmod, unchanged; not kept nor
// removed files) and whose path matches the rule's glob, as `glob_matches` does: merged,
// single-layer and three-way-merged results alike. Only structured files are checked.
// Throws UsageError for a schema file that cannot be read or is not a usable schema.
Report check(const plan::Plan& plan, const plan::Rules& rules);

// "config.toml: aproval_policy: additionalProperties (schema codex.json#/additionalProperties):
// Object contains a property ..." — how a violation is shown, in logs and in `plan`.
std::string describe(const FileCheck& check, const Violation& violation);

// Logs every violation (a warning under `warn`, an error under `enforce`), then throws
// InputError when any is enforced: the run writes nothing.
void enforce(const Report& report, Log& log);

// For every file that passed all its schemas, their sha256 (joined by ',' in rule order when
// several apply), by path.
std::map<std::string, std::string> passed_schemas(const Report& report);
// Records in `manifest`, for every file that passed all its schemas, their sha256 (joined
// by ',' in rule order when several apply).
void record(const Report& report, state::Manifest& manifest);

} // namespace config_init::schema

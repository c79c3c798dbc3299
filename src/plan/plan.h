// The plan: what the run will do to each file of the destination, decided before the
// first write. Reads the destination and config-init's state in it, never writes.
#pragma once

#include "merge/three_way.h"
#include "plan/compose.h"
#include "state/manifest.h"
#include "util/safe_dir.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace config_init::plan {

enum class Action {
  create,    // DEST/P does not exist
  update,    // DEST/P differs in content (or is a symlink to replace with a file)
  chmod,     // same content, different mode
  unchanged, // same content and mode: not rewritten
  keep,      // left as it is: a seeded file that exists, or a stale file the app changed
  remove,    // a file config-init wrote before, no layer provides any more, unchanged since
};

// What to do with a managed file the app changed since the last run (not structured, or
// not parseable as its format any more).
enum class OnDrift {
  overwrite, // the layers win; the app's version is kept under .config-init/backup/
  fail,      // exit 3, nothing written
};

// "created", "updated", ... as logs print them.
const char* action_verb(Action action);
// True when the action writes the file's content.
inline bool writes_content(Action action) {
  return action == Action::create || action == Action::update;
}

struct Change {
  DesiredFile file; // what P will hold (for remove/keep of stale files: the last record)
  Action action = Action::unchanged;
  std::string_view reason; // why, for the log line ("new file", ...): a static text
  bool drifted = false;    // the app changed DEST/P since the last run
  bool backup = false;     // save the app's version under .config-init/backup/ first
  std::vector<merge::EditConflict> conflicts; // keys both the app and the layers changed
  // For structured files: the layers' own result, kept as the next three-way merge base.
  // make_plan releases the bytes (nullopt) once .config-init/base is known to hold them.
  std::optional<std::string> base;
  std::string base_sha256;  // make_plan: the base's digest, kept when its bytes are released
  bool base_stored = false; // .config-init/base already holds exactly this base
  bool has_base() const { return base.has_value() || !base_sha256.empty(); }
  // DEST/P's identity (util/identity.h): of unchanged files when planned, of files written
  // or chmodded once published (publish::Publisher::publish_files).
  std::string identity;
  bool unmanaged = false; // (with backup) DEST/P existed before config-init managed it
  // Structured files updated: DEST/P's identity when the plan read it, checked again just
  // before the rename (publish::DestinationChanged). Empty otherwise.
  std::string planned_identity;
};

struct Plan;
// The log line for the backup of `path` (made before it is overwritten) at `backup`:
// changed by the app since the last run, or there before config-init managed it.
std::string backup_message(const Plan& plan, const std::string& path, const std::string& backup);

struct Plan {
  std::vector<Change> changes; // in path order; removals after the rest
  // Directories config-init created (now or earlier) that will be empty after removals.
  std::vector<std::string> directories_to_remove;
  size_t count(Action action) const;
};

// Where the plan looks: the destination (nullptr when it does not exist yet), the last
// run's manifest (nullptr for none), and what to do on drift.
struct PlanContext {
  const SafeDir* dest = nullptr;
  const state::Manifest* previous = nullptr;
  OnDrift on_drift = OnDrift::overwrite;
};

// Compares `composition` (its files sorted by path, as compose gives them) with the
// destination. Runtime edits to structured files are three-way merged (base = the layers'
// result of the last run, kept in .config-init/base/); other drift follows
// `context.on_drift`. Throws InputError when a path cannot be written without touching
// something config-init must not (a directory or special file where a file belongs, a
// symlink or a file where a directory belongs), when a `rules.required` path would be
// missing, or on drift under OnDrift::fail. Throws IoError when the destination cannot be
// read.
Plan make_plan(Composition composition, const PlanContext& context, const Rules& rules);

} // namespace config_init::plan

// Publishing a plan: the app's drifted versions are backed up first; every changed file and
// merge base is written to a temporary name in its own directory and read back through
// its descriptor; one flush; the files are renamed into place and stale files (and the
// empty directories they leave) removed; the manifest is written; one flush; the merge
// bases and the manifest are renamed (not flushed: a next run after a power loss that
// undid those renames only writes them again).
#pragma once

#include "plan/plan.h"
#include "util/log.h"
#include "util/safe_dir.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace config_init::publish {

struct PublishReport {
  size_t files_written = 0;
  uint64_t bytes_written = 0;
  std::vector<std::string> directories_created;
  std::vector<std::string> directories_removed;
  std::vector<std::pair<std::string, std::string>> backups; // (path, backup path)
  // Identity (state::file_identity) of each file written or chmodded, after the change.
  std::map<std::string, std::string> identities;
};

// Returns the manifest to store once the files are in place (nullopt: keep the current one).
using StateWriter = std::function<std::optional<std::string>(const PublishReport&)>;

// Applies `plan` to `dest`. Missing directories are created with `rules.directory_mode`
// and, with `rules.owner`, chowned like the files. Throws IoError on any write, flush,
// rename, removal or verification failure, InputError when a source file changed since it
// was planned; temporaries are removed, and a failure before the renames leaves every file
// as it was (files already renamed stay complete).
// `state` is called once the files are in place; its manifest is renamed last, with the
// merge bases, after the files' renames are durable.
PublishReport publish(const plan::Plan& plan, const SafeDir& dest, const plan::Rules& rules,
                      const StateWriter& state);

// Writes `content` to `relative` atomically and durably (used for config-init's own
// state), creating missing directories 0755 (0700 with `private_dirs`). Throws IoError.
void write_file_atomically(const SafeDir& dest, const std::string& relative,
                           const std::string& content, unsigned mode, bool private_dirs = false);

// True when a run was killed while it had temporary files in `dest` (its in-progress
// marker is still there): then remove_leftover_temporaries has something to find.
bool interrupted_run(const SafeDir& dest);

// Removes temporary files a killed run left in the directories `relatives` of `dest`
// (missing directories are ignored), then the killed run's in-progress marker; returns how
// many temporary files were removed.
size_t remove_leftover_temporaries(const SafeDir& dest, const std::vector<std::string>& relatives,
                                   Log& log);

} // namespace config_init::publish

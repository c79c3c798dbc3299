// Publishing a plan: the app's drifted versions are backed up first; every changed file and
// merge base is written to a temporary name in its own directory and read back through
// its descriptor; one flush; the files are renamed into place and stale files (and the
// empty directories they leave) removed; the manifest is written; one flush; the merge
// bases and the manifest are renamed (not flushed: a next run after a power loss that
// undid those renames only writes them again).
#pragma once

#include "plan/plan.h"
#include "state/manifest.h"
#include "util/error.h"
#include "util/log.h"
#include "util/safe_dir.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace config_init::publish {

// The app replaced or created a structured file after the plan read it (found just before
// the rename that would have replaced its version). The files renamed so far are complete;
// the rest are as they were, no temporaries are left. run::materialize plans again.
class DestinationChanged : public IoError {
public:
  explicit DestinationChanged(const std::string& message) : IoError(message) {}
};

struct PublishReport {
  size_t files_written = 0;
  uint64_t bytes_written = 0;
  std::vector<std::string> directories_created;
  std::vector<std::string> directories_removed;
  std::vector<std::pair<std::string, std::string>> backups; // (path, backup path)
};

// Applies a plan to a destination in two phases, so that the caller can describe the files
// as they are once in place before the state is written:
//   Publisher publisher(dest, rules);
//   const PublishReport report = publisher.publish_files(plan);
//   publisher.publish_state(&manifest_for(report));
// Destroyed before publish_state, it removes its temporaries (the files stay as published).
class Publisher {
public:
  Publisher(const SafeDir& dest, const plan::Rules& rules);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Backs up drifted files, writes and verifies every file and merge base to a temporary,
  // flushes once, renames the files into place and removes stale files. Missing directories
  // are created with `rules.directory_mode` and, with `rules.owner`, chowned like the files.
  // Just before each structured file's rename, checks that DEST/P is still the file the
  // plan merged (its identity; for a new file: that none appeared) and throws
  // DestinationChanged when not.
  // Each change written or chmodded gets the identity (util/identity.h) of DEST/P after
  // the change in its `identity`, for the manifest (none: the app replaced it meanwhile).
  // Throws IoError on any write, flush, rename, removal or verification failure, InputError
  // when a source file changed since it was planned; a failure before the renames leaves
  // every file as it was (files already renamed stay complete).
  PublishReport publish_files(plan::Plan& plan);

  // Writes `manifest` (nullptr: keep the current one; with `files`, their records in place
  // of its own) piece by piece as it is serialized, each piece read back and compared,
  // flushes once, and renames the merge bases and the manifest into place. Call after
  // publish_files. Throws IoError.
  void publish_state(const state::Manifest* manifest, const state::FileRecords* files = nullptr);

private:
  struct Phases;
  const SafeDir& dest_;
  const plan::Rules rules_; // a copy: a temporary Rules may be passed
  std::unique_ptr<Phases> phases_;
};

// Writes `content` to `relative` atomically and durably (used for config-init's own
// state), creating missing directories 0755 (0700 with `private_dirs`). Throws IoError.
void write_file_atomically(const SafeDir& dest, const std::string& relative,
                           const std::string& content, unsigned mode, bool private_dirs = false);

// True when a run was killed while it had temporary files in `dest` (its in-progress
// marker is still there): then remove_leftover_temporaries has something to find.
bool interrupted_run(const SafeDir& dest);

// Removes temporary files a killed run left in the DEST directories `content_directories`
// ("" for DEST itself) and in config-init's own directories for them (missing directories
// are ignored), then the killed run's in-progress marker; returns how many temporary files
// were removed.
size_t remove_leftover_temporaries(const SafeDir& dest,
                                   const std::vector<std::string>& content_directories, Log& log);

} // namespace config_init::publish

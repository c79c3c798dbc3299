// The destination directory of a run: opened without following symlinks, created when
// asked, locked, and put back as it was when a run fails on invalid input.
#pragma once

#include "state/lock.h"
#include "util/log.h"
#include "util/safe_dir.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace config_init::run {

// Opens the destination directory. With `create`, a missing one is created (with its
// parents) and the created directories are appended to `created`, outermost first.
// Returns false when it does not exist and `create` is false.
// Throws InputError when it is a symlink or not a directory, IoError when it cannot be made.
bool open_destination(const std::string& path, bool create, SafeDir& out,
                      std::vector<std::string>* created);

// A destination opened and locked for one run, with what the run created to get there.
class LockedDestination {
public:
  // Opens `path` (creating it when `create`; returns nullopt when it does not exist and
  // `create` is false) and waits for its lock. When the run we waited for removed the
  // directory (its undo on invalid input), opens or creates it again.
  // Throws like open_destination, and IoError when the lock cannot be taken.
  static std::optional<LockedDestination> open(const std::string& path, bool create, Log& log);

  const SafeDir& dir() const { return *dir_; }

  // Removes what opening created (the state directory and lock, the destination and its
  // parents), so that a run that fails on invalid input leaves the filesystem as it was.
  void undo_created();

private:
  LockedDestination() = default;
  std::unique_ptr<SafeDir> dir_; // stable address: the lock and publish keep references
  std::optional<state::DestinationLock> lock_;
  std::vector<std::string> created_dest_;
  bool created_state_dir_ = false;
};

} // namespace config_init::run

// The lock that serialises runs on one destination: flock() on DEST/.config-init/lock.
#pragma once

#include "util/fs.h"
#include "util/log.h"
#include "util/safe_dir.h"

namespace config_init::state {

class DestinationLock {
public:
  // Creates DEST/.config-init/ if needed and waits for the exclusive lock (logging once
  // when another run holds it). `created_state_dir` tells whether this call created the
  // directory. Throws IoError, and Interrupted when a stop is requested while it waits.
  static DestinationLock acquire(const SafeDir& dest, Log& log, bool& created_state_dir);

  // Released on destruction (and by the kernel if the process dies).
private:
  explicit DestinationLock(FileDescriptor fd) : fd_(std::move(fd)) {}
  FileDescriptor fd_;
};

} // namespace config_init::state

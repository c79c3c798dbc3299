#include "state/lock.h"

#include "state/manifest.h"
#include "util/error.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

namespace config_init::state {

DestinationLock DestinationLock::acquire(const SafeDir& dest, Log& log, bool& created_state_dir) {
  created_state_dir = false;
  const std::string shown = dest.path() + "/" + lock_path;
  if (::mkdirat(dest.fd(), state_directory, 0755) == 0) {
    created_state_dir = true;
  } else if (errno != EEXIST) {
    throw IoError(errno_message("cannot create " + dest.path() + "/" + state_directory, errno));
  }
  FileDescriptor state;
  if (const int error = dest.open_directory(state_directory, state)) {
    throw IoError(errno_message("cannot open " + dest.path() + "/" + state_directory, error));
  }
  FileDescriptor fd(::openat(state.get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) throw IoError(errno_message("cannot open " + shown, errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) throw IoError(errno_message("cannot lock " + shown, errno));
    log.info("waiting for another config-init run to release " + shown);
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) throw IoError(errno_message("cannot lock " + shown, errno));
    }
  }
  return DestinationLock(std::move(fd));
}

} // namespace config_init::state

#include "state/lock.h"

#include "state/manifest.h"
#include "util/error.h"
#include "util/stop_signal.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

namespace config_init::state {

DestinationLock DestinationLock::acquire(const SafeDir& dest, Log& log, bool& created_state_dir) {
  const std::string shown = dest.path() + "/" + lock_path;
  bool logged = false;
  for (;;) {
    created_state_dir = false;
    if (::mkdirat(dest.fd(), state_directory, 0755) == 0) {
      created_state_dir = true;
    } else if (errno != EEXIST) {
      throw IoError(errno_message("cannot create " + dest.path() + "/" + state_directory, errno));
    }
    FileDescriptor state;
    if (const int error = dest.open_directory(state_directory, state)) {
      throw IoError(errno_message("cannot open " + dest.path() + "/" + state_directory, error));
    }
    FileDescriptor fd(
        ::openat(state.get(), "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd.valid()) throw IoError(errno_message("cannot open " + shown, errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) throw IoError(errno_message("cannot lock " + shown, errno));
      if (!logged) {
        log.info("waiting for another config-init run to release " + shown);
        log.flush(); // say so now, not when the wait is over
      }
      logged = true;
      if (stop_requested()) throw Interrupted("stopped while waiting for the lock " + shown);
      while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR) throw IoError(errno_message("cannot lock " + shown, errno));
        if (stop_requested()) throw Interrupted("stopped while waiting for the lock " + shown);
      }
    }
    // The run we waited for may have removed the lock file (undoing what it created): the
    // lock held is only valid if it is still the file at .config-init/lock.
    struct stat held {
    }, now{};
    if (::fstat(fd.get(), &held) == 0 && held.st_nlink > 0 &&
        ::fstatat(dest.fd(), lock_path, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
      return DestinationLock(std::move(fd));
    }
    struct stat dir {};
    if (::fstat(dest.fd(), &dir) == 0 && dir.st_nlink == 0) {
      throw IoError("destination " + dest.path() + " was removed while waiting for its lock");
    }
  }
}

} // namespace config_init::state

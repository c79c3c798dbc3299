#include "run/destination.h"

#include "state/manifest.h"
#include "util/error.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::run {

bool open_destination(const std::string& path, bool create, SafeDir& out,
                      std::vector<std::string>* created) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      throw InputError("destination " + path +
                       " is a symlink; give the real directory (config-init never writes through "
                       "symlinks)");
    }
    if (!S_ISDIR(st.st_mode)) throw InputError("destination " + path + " is not a directory");
  } else if (errno == ENOTDIR) {
    throw InputError("destination " + path + ": a leading part of the path is not a directory");
  } else if (errno != ENOENT) {
    throw IoError(errno_message("destination " + path, errno));
  } else if (!create) {
    return false;
  } else {
    // mkdir -p, remembering what we made.
    std::vector<std::string> missing;
    std::string current = path;
    while (!current.empty() && ::lstat(current.c_str(), &st) != 0 && errno == ENOENT) {
      missing.push_back(current);
      const size_t slash = current.find_last_of('/', current.size() > 1 ? current.size() - 2 : 0);
      if (slash == std::string::npos) break;
      current = current.substr(0, slash == 0 ? 1 : slash);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
        throw IoError(errno_message("cannot create destination " + *it, errno));
      }
      if (created) created->push_back(*it);
    }
  }
  if (const int error = SafeDir::open(path, out)) {
    throw IoError(errno_message("cannot open destination " + path, error));
  }
  return true;
}

std::optional<LockedDestination> LockedDestination::open(const std::string& path, bool create,
                                                         Log& log) {
  LockedDestination locked;
  locked.dir_ = std::make_unique<SafeDir>();
  for (int attempt = 1; !locked.lock_; ++attempt) {
    locked.created_dest_.clear();
    if (!open_destination(path, create, *locked.dir_, &locked.created_dest_)) return std::nullopt;
    try {
      locked.lock_.emplace(
          state::DestinationLock::acquire(*locked.dir_, log, locked.created_state_dir_));
    } catch (const IoError&) {
      // The run we waited for removed the destination it had created: open it again.
      struct stat st {};
      if (attempt >= 5 || ::fstat(locked.dir_->fd(), &st) != 0 || st.st_nlink != 0) throw;
    }
  }
  return locked;
}

void LockedDestination::undo_created() {
  if (created_state_dir_) {
    ::unlinkat(dir_->fd(), state::lock_path, 0);
    ::unlinkat(dir_->fd(), state::state_directory, AT_REMOVEDIR);
  }
  for (auto it = created_dest_.rbegin(); it != created_dest_.rend(); ++it)
    ::rmdir(it->c_str());
}

} // namespace config_init::run

// A directory handle through which paths are looked up, read and created without ever
// following a symlink: the destination may hold links the app made, and config-init must
// never write through one. Functions return 0 or an errno value.
#pragma once

#include "util/fs.h"

#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

namespace config_init {

class SafeDir {
public:
  // What a relative path currently is, looked up without following symlinks.
  struct Entry {
    enum class Type { missing, file, directory, symlink, other, blocked } type = Type::missing;
    mode_t mode = 0;     // permission bits (file or directory)
    uint64_t size = 0;   // file size
    struct stat st {};   // the entry's own lstat (when not missing or blocked)
    std::string blocker; // for `blocked`: the leading path that is a symlink or not a directory
  };

  SafeDir() = default;
  // Opens the directory `path`; fails with ENOTDIR when `path` itself is a symlink (Linux
  // reports that for O_DIRECTORY | O_NOFOLLOW; some systems say ELOOP) or not a directory.
  static int open(const std::string& path, SafeDir& out);

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // The directory of the last lookup, kept open so that the next file in the same
  // directory costs one fstatat. Only while nothing renames or removes directories.
  struct LookupCache {
    FileDescriptor directory;
    std::string path;
  };

  // Looks `relative` ('/'-separated) up. `blocked` when a leading element is a symlink or
  // not a directory; lookup errors other than ENOENT are returned.
  int lookup(const std::string& relative, Entry& out, LookupCache* cache = nullptr) const;
  // Opens the directory that holds `relative`, creating missing directories with exactly
  // `directory_mode`; appends each created directory (relative path) to `created`.
  int open_parent(const std::string& relative, unsigned directory_mode, FileDescriptor& out,
                  std::vector<std::string>* created) const;
  // Opens an existing directory below this one, or this one for "".
  int open_directory(const std::string& relative, FileDescriptor& out) const;
  // Opens the regular file `relative` for reading (ELOOP for a symlink).
  int open_file(const std::string& relative, FileDescriptor& out) const;

private:
  FileDescriptor fd_;
  std::string path_;
};

// Visits directories below a SafeDir in path order, keeping every directory of the current
// path open, so that moving to a sibling or a child opens only what differs. Never follows
// a symlink. The SafeDir must outlive it.
class DirectoryCursor {
public:
  explicit DirectoryCursor(const SafeDir& root) : root_(root) {}

  // Opens the directory `relative` ("" for the root) and sets `fd` to it (valid until the
  // next call). With `create_mode`, missing directories are created with exactly that mode
  // and appended to `created` (relative paths, outermost first). Returns 0 or an errno value.
  int open(const std::string& relative, int& fd, const unsigned* create_mode = nullptr,
           std::vector<std::string>* created = nullptr);

private:
  const SafeDir& root_;
  std::vector<std::string> names_;   // the current path, element by element
  std::vector<FileDescriptor> open_; // open_[i]: the directory names_[0..i]
};

// Opens `name` in the open `directory` for reading: a regular file only (ELOOP for a
// symlink, EISDIR or EINVAL for anything else; a FIFO never blocks).
int open_regular_file_at(int directory, const std::string& name, FileDescriptor& out);

// Splits "a/b/c" into its directory "a/b" ("" for none) and name "c".
std::pair<std::string, std::string> split_path(const std::string& relative);

} // namespace config_init

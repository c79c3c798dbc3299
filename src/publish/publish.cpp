#include "publish/publish.h"

#include "publish/atomic_file.h"
#include "state/base_store.h"
#include "state/manifest.h"
#include "util/error.h"
#include "util/identity.h"
#include "util/sha256.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::publish {

namespace {

std::string shown(const SafeDir& dest, const std::string& relative) {
  return dest.path() + "/" + relative;
}

// The directories files are written to, opened (and created) on demand, in path order.
class Directories {
public:
  Directories(const SafeDir& dest, unsigned mode,
              const std::optional<std::pair<unsigned, unsigned>>& owner,
              std::vector<std::string>* created)
      : dest_(dest), mode_(mode), owner_(owner), created_(created), cursor_(dest) {}

  int fd_for(const std::string& file) {
    std::vector<std::string> created;
    int fd = -1;
    if (const int error = cursor_.open(split_path(file).first, fd, &mode_, &created)) {
      throw IoError(errno_message("cannot create the directory of " + shown(dest_, file), error));
    }
    for (const std::string& directory : created) {
      if (owner_ && ::fchownat(dest_.fd(), directory.c_str(), owner_->first, owner_->second,
                               AT_SYMLINK_NOFOLLOW) != 0) {
        throw IoError(errno_message("cannot chown " + shown(dest_, directory), errno));
      }
      if (created_) created_->push_back(directory);
    }
    return fd;
  }

private:
  const SafeDir& dest_;
  unsigned mode_;
  std::optional<std::pair<unsigned, unsigned>> owner_;
  std::vector<std::string>* created_;
  DirectoryCursor cursor_;
};

// Temporary files written, verified and closed, waiting to be renamed into place. Those not
// renamed when this is destroyed (a later file failed) are removed: the destination keeps
// its previous versions. Holds no descriptors: directories are opened again to rename.
class StagedFiles {
public:
  explicit StagedFiles(const SafeDir& dest) : dest_(dest) {}
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  ~StagedFiles() {
    DirectoryCursor cursor(dest_);
    for (size_t i = renamed_; i < staged_.size(); ++i) {
      int fd = -1;
      if (cursor.open(staged_[i].directory, fd) == 0) ::unlinkat(fd, staged_[i].temp.c_str(), 0);
    }
  }

  // `expected`: nullopt to rename unconditionally; "" when DEST/P must not exist; else the
  // identity DEST/P must still have. `identity` (when set) receives DEST/P's identity once
  // renamed.
  void add(const std::string& relative, std::string temp, std::optional<std::string> expected,
           std::string* identity) {
    auto [directory, name] = split_path(relative);
    staged_.push_back(Staged{std::move(directory), std::move(name), std::move(temp),
                             std::move(expected), identity});
  }
  size_t size() const { return staged_.size(); }
  void reserve(size_t count) { staged_.reserve(count); }

  // Renames every staged file into place, in the order added, and records the identities
  // asked for. Throws IoError.
  void rename_all() {
    DirectoryCursor cursor(dest_);
    for (; renamed_ < staged_.size(); ++renamed_) {
      const Staged& file = staged_[renamed_];
      const std::string relative =
          file.directory.empty() ? file.name : file.directory + "/" + file.name;
      int fd = -1;
      struct stat ours {};
      int error = cursor.open(file.directory, fd);
      if (!error && ::fstatat(fd, file.temp.c_str(), &ours, AT_SYMLINK_NOFOLLOW) != 0)
        error = errno;
      if (!error) error = checked_rename(fd, file, relative, ours);
      if (error)
        throw IoError(errno_message("cannot rename into place " + shown(dest_, relative), error));
      if (file.identity) {
        struct stat st {};
        if (::fstatat(fd, file.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
          throw IoError(errno_message("cannot stat " + shown(dest_, relative), errno));
        // Replaced by the app already: no identity, so that the next run reads it.
        *file.identity = st.st_ino == ours.st_ino ? file_identity(st) : std::string();
      }
    }
  }

private:
  struct Staged {
    std::string directory;
    std::string name;
    std::string temp;
    std::optional<std::string> expected;
    std::string* identity; // where DEST/P's identity goes once renamed, or nullptr
  };

  // Renames `file` into place in directory `fd`, checking that DEST/P is what the plan
  // expected. A new file is renamed with RENAME_NOREPLACE. An existing one is checked, then
  // exchanged with the temporary (RENAME_EXCHANGE), so that the file it replaced can be
  // checked again after the fact: when it is not the one the plan merged (the app renamed
  // its own version over it between the check and the exchange), the app's version is put
  // back and DestinationChanged is thrown. Where the filesystem has neither flag, only the
  // check before a plain rename is left (a window of two system calls, docs/contract.md).
  // Returns 0 or an errno value.
  int checked_rename(int fd, const Staged& file, const std::string& relative,
                     const struct stat& ours) const {
    const char* temp = file.temp.c_str();
    const char* name = file.name.c_str();
    if (file.expected && file.expected->empty()) {
      if (::renameat2(fd, temp, fd, name, RENAME_NOREPLACE) == 0) return 0;
      if (errno == EEXIST) throw changed(relative, "was created");
      if (errno != EINVAL && errno != ENOSYS) return errno;
      struct stat st {};
      if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        throw changed(relative, "was created");
    } else if (file.expected) {
      // Checked first, so that a replacement seen here is never hidden, even briefly.
      struct stat st {};
      if (::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
          !same_file_but_ctime(*file.expected, st)) {
        throw changed(relative, "was replaced or changed");
      }
      if (::renameat2(fd, temp, fd, name, RENAME_EXCHANGE) == 0) {
        return check_exchanged(fd, file, relative, ours);
      }
      if (errno == ENOENT) throw changed(relative, "was removed");
      if (errno != EINVAL && errno != ENOSYS) return errno;
    }
    return ::renameat(fd, temp, fd, name) == 0 ? 0 : errno;
  }

  // After the exchange: the temporary name holds what DEST/P was. Removes it when it is the
  // file the plan merged; else puts it back (unless the app replaced P again since, with a
  // newer version) and throws DestinationChanged.
  int check_exchanged(int fd, const Staged& file, const std::string& relative,
                      const struct stat& ours) const {
    const char* temp = file.temp.c_str();
    const char* name = file.name.c_str();
    struct stat replaced {};
    if (::fstatat(fd, temp, &replaced, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    if (same_file_but_ctime(*file.expected, replaced)) {
      return ::unlinkat(fd, temp, 0) == 0 ? 0 : errno;
    }
    struct stat now {};
    if (::fstatat(fd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == ours.st_dev &&
        now.st_ino == ours.st_ino) {
      if (::renameat2(fd, temp, fd, name, RENAME_EXCHANGE) != 0) return errno;
    }
    ::unlinkat(fd, temp, 0); // ours, or an app version older than the one at P now
    throw changed(relative, "was replaced");
  }

  DestinationChanged changed(const std::string& relative, const char* what) const {
    return DestinationChanged(shown(dest_, relative) + " " + what +
                              " by another process while it was being merged");
  }

  const SafeDir& dest_;
  std::vector<Staged> staged_;
  size_t renamed_ = 0;
};

// All files are flushed at once with syncfs(): about one journal commit, where an fdatasync
// per file costs one each. The price: it also waits for whatever else is dirty on the
// destination's filesystem (docs/benchmarks.md).

void flush_filesystem(const SafeDir& dest) {
  if (::syncfs(dest.fd()) != 0) throw IoError(errno_message("cannot flush " + dest.path(), errno));
}

// DEST/.config-init/in-progress, from before the first temporary file is created until the
// last rename or the removal of the temporaries: a run that finds it looks for the
// leftovers of a killed run. (No flush of its own: journaled filesystems persist its
// creation no later than the temporary files created after it.)
// Made on demand: a run with nothing to write touches nothing.
class InProgress {
public:
  explicit InProgress(const SafeDir& dest) : dest_(dest) {}
  InProgress(const InProgress&) = delete;
  InProgress& operator=(const InProgress&) = delete;
  ~InProgress() {
    if (made_) ::unlinkat(dest_.fd(), state::in_progress_path, 0);
  }
  // Before the first temporary file.
  void mark() {
    if (made_) return;
    FileDescriptor fd(::openat(dest_.fd(), state::in_progress_path,
                               O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      throw IoError(errno_message("cannot create " + shown(dest_, state::in_progress_path), errno));
    }
    made_ = true;
  }

private:
  const SafeDir& dest_;
  bool made_ = false;
};

// Stages a written, verified temporary file. (Starting each large file's writeback early
// with sync_file_range was measured: it made writing 200 files of 1 MiB 3x slower.)
void stage(AtomicFile out, const std::string& relative, StagedFiles& staged,
           std::optional<std::string> expected = std::nullopt, std::string* identity = nullptr) {
  staged.add(relative, out.release(), std::move(expected), identity);
}

// What DEST/P must still be just before a structured file's rename: the file the plan read
// (or none, for a new one). Other files are renamed unconditionally.
std::optional<std::string> expected_at_rename(const plan::Change& change) {
  if (!change.has_base()) return std::nullopt;
  if (change.action == plan::Action::create) return std::string();
  if (!change.planned_identity.empty()) return change.planned_identity;
  return std::nullopt;
}

// The identity of the file `fd` (at `relative`), for the manifest.
std::string identity_of(const SafeDir& dest, int fd, const std::string& relative) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw IoError(errno_message("cannot stat " + shown(dest, relative), errno));
  return file_identity(st);
}

// Removes `relative` (a file, or an empty directory with AT_REMOVEDIR) without following
// symlinks on the way. Returns 0 or an errno value.
int remove_entry(const SafeDir& dest, const std::string& relative, int flags) {
  const auto [parent, name] = split_path(relative);
  FileDescriptor dir;
  if (const int error = dest.open_directory(parent, dir)) return error;
  return ::unlinkat(dir.get(), name.c_str(), flags) == 0 ? 0 : errno;
}

// Keeps the app's version of a drifted file under .config-init/backup/ before it is replaced.
std::string back_up(const SafeDir& dest, const std::string& path) {
  FileDescriptor fd;
  std::string content;
  int error = dest.open_file(path, fd);
  if (!error) error = read_all(fd.get(), content);
  if (error)
    throw IoError(errno_message("cannot read " + shown(dest, path) + " to back it up", error));
  const std::string backup = state::backup_path(path);
  write_file_atomically(dest, backup, content, 0600, true);
  return backup;
}

void remove_stale(const SafeDir& dest, const plan::Plan& plan, PublishReport& report) {
  for (const plan::Change& change : plan.changes) {
    if (change.action != plan::Action::remove) continue;
    const int error = remove_entry(dest, change.file.path, 0);
    if (error && error != ENOENT) {
      throw IoError(errno_message("cannot remove " + shown(dest, change.file.path), error));
    }
    remove_entry(dest, state::base_path(change.file.path), 0);
    remove_entry(dest, state::legacy_base_path(change.file.path), 0);
  }
  for (const std::string& directory : plan.directories_to_remove) {
    const int error = remove_entry(dest, directory, AT_REMOVEDIR);
    // Gone already: forget it. ENOTEMPTY: the app keeps files there; it stays ours.
    if (error == 0 || error == ENOENT) report.directories_removed.push_back(directory);
  }
}

} // namespace

struct Publisher::Phases {
  explicit Phases(const SafeDir& dest)
      : in_progress(dest), state_files(dest), state_directories(dest, 0700, std::nullopt, nullptr) {
  }
  InProgress in_progress;
  StagedFiles state_files; // merge bases and the manifest, renamed by publish_state
  Directories state_directories;
  bool files_changed = false;
};

Publisher::Publisher(const SafeDir& dest, const plan::Rules& rules)
    : dest_(dest), rules_(rules), phases_(std::make_unique<Phases>(dest)) {}

Publisher::~Publisher() = default;

PublishReport Publisher::publish_files(plan::Plan& plan) {
  InProgress& in_progress = phases_->in_progress;
  const SafeDir& dest = dest_;
  PublishReport report;
  for (const plan::Change& change : plan.changes) {
    if (!change.backup) continue;
    in_progress.mark();
    report.backups.emplace_back(change.file.path, back_up(dest, change.file.path));
  }

  // 1. Every file to a verified temporary file; nothing is renamed before all are written,
  //    so a failure (or a source that changed) leaves the destination as it was.
  StagedFiles content(dest);
  content.reserve(static_cast<size_t>(
      std::count_if(plan.changes.begin(), plan.changes.end(), [](const plan::Change& change) {
        return plan::writes_content(change.action);
      })));
  Directories directories(dest, rules_.directory_mode, rules_.owner, &report.directories_created);
  for (plan::Change& change : plan.changes) {
    const plan::DesiredFile& file = change.file;
    if (change.action == plan::Action::chmod) {
      FileDescriptor fd;
      int error = dest.open_file(file.path, fd);
      if (!error && ::fchmod(fd.get(), file.mode) != 0) error = errno;
      if (error) throw IoError(errno_message("cannot chmod " + shown(dest, file.path), error));
      change.identity = identity_of(dest, fd.get(), file.path); // a chmod changes the ctime
      continue;
    }
    if (!plan::writes_content(change.action)) continue;

    in_progress.mark();
    AtomicFile out(directories.fd_for(file.path), split_path(file.path).second,
                   shown(dest, file.path), file.mode);
    if (file.in_memory) {
      out.write_verified(file.content);
    } else {
      // Hashed when the layers were read: unchanged since if its identity is the same.
      if (out.copy_from(file.source, file.source) != file.source_identity ||
          out.size() != file.digest.size) {
        throw InputError(file.source + " changed while config-init was reading it; run again");
      }
    }
    if (rules_.owner) out.set_owner(rules_.owner->first, rules_.owner->second);
    report.bytes_written += file.digest.size;
    stage(std::move(out), file.path, content, expected_at_rename(change), &change.identity);
  }
  report.files_written = content.size();

  // The layers' result of each structured file, the base of the next three-way merge
  // (private to config-init: 0600 files in 0700 directories).
  StagedFiles& state_files = phases_->state_files;
  for (const plan::Change& change : plan.changes) {
    if (!change.base || change.base_stored) continue;
    const std::string relative = state::base_path(change.file.path);
    in_progress.mark();
    AtomicFile out(phases_->state_directories.fd_for(relative), split_path(relative).second,
                   shown(dest, relative), 0600);
    out.write_verified(*change.base);
    stage(std::move(out), relative, state_files);
  }

  // 2. Durability before visibility: the data is on disk before any rename.
  if (content.size() + state_files.size() > 0) flush_filesystem(dest);
  content.rename_all();
  remove_stale(dest, plan, report);
  phases_->files_changed = content.size() > 0 || !plan.directories_to_remove.empty() ||
                           plan.count(plan::Action::remove) > 0 ||
                           plan.count(plan::Action::chmod) > 0;
  return report;
}

void Publisher::publish_state(const state::Manifest* manifest, const state::FileRecords* files) {
  // 3. config-init's state describes the files as they are now (a rename changes their
  //    ctime); its data is flushed with the renames above. Merge bases and the manifest
  //    are renamed only once the files' renames are durable: a base must never run ahead
  //    of its file (the next run would take the file's previous content for app edits).
  //    Their own renames are not flushed: if a power loss undoes them, the next run finds
  //    the files as the layers want them, the previous bases and manifest, plans nothing
  //    to write but the state, and writes it again (tests/reliability: crash trials).
  StagedFiles& state_files = phases_->state_files;
  if (manifest) {
    phases_->in_progress.mark();
    AtomicFile out(phases_->state_directories.fd_for(state::manifest_path),
                   split_path(state::manifest_path).second, shown(dest_, state::manifest_path),
                   0644);
    const auto append = [&out](std::string_view piece) { out.append_verified(piece); };
    if (files) {
      state::serialize(*manifest, *files, append);
    } else {
      state::serialize(*manifest, append);
    }
    out.end_verified();
    stage(std::move(out), state::manifest_path, state_files);
  }
  if (phases_->files_changed || state_files.size() > 0) flush_filesystem(dest_);
  state_files.rename_all();
}

void write_file_atomically(const SafeDir& dest, const std::string& relative,
                           const std::string& content, unsigned mode, bool private_dirs) {
  FileDescriptor dir;
  if (const int error = dest.open_parent(relative, private_dirs ? 0700 : 0755, dir, nullptr)) {
    throw IoError(errno_message("cannot create the directory of " + shown(dest, relative), error));
  }
  AtomicFile out(dir.get(), split_path(relative).second, shown(dest, relative), mode);
  out.write_verified(content);
  out.flush();
  out.commit();
  if (::fsync(dir.get()) != 0) {
    throw IoError(errno_message("cannot flush the directory of " + shown(dest, relative), errno));
  }
}

bool interrupted_run(const SafeDir& dest) {
  struct stat st {};
  return ::fstatat(dest.fd(), state::in_progress_path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

size_t remove_leftover_temporaries(const SafeDir& dest,
                                   const std::vector<std::string>& content_directories, Log& log) {
  std::vector<std::string> relatives = content_directories;
  for (std::string& directory : state::state_directories_for(content_directories))
    relatives.push_back(std::move(directory));
  size_t removed = 0;
  for (const std::string& relative : std::set<std::string>(relatives.begin(), relatives.end())) {
    FileDescriptor fd;
    if (dest.open_directory(relative, fd) != 0) continue;
    const int listing = ::dup(fd.get());
    if (listing < 0) continue;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(listing), ::closedir);
    if (!dir) {
      ::close(listing);
      continue;
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(dir.get())) {
      if (is_temporary_name(entry->d_name)) names.push_back(entry->d_name);
    }
    for (const std::string& name : names) {
      const std::string path = relative.empty() ? name : relative + "/" + name;
      if (::unlinkat(fd.get(), name.c_str(), 0) == 0) {
        ++removed;
        log.info("removed " + path + " (temporary file left by an interrupted run)",
                 {{"action", "removed"}, {"path", path}, {"reason", "leftover temporary file"}});
      }
    }
  }
  ::unlinkat(dest.fd(), state::in_progress_path, 0); // the killed run's marker
  return removed;
}

} // namespace config_init::publish

#include "publish/publish.h"

#include "publish/atomic_file.h"
#include "state/base_store.h"
#include "util/error.h"
#include "util/sha256.h"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::publish {

namespace {

// Files are written in batches of this many (bounding open descriptors): each batch is
// written, flushed, then renamed. Small batches are flushed file by file; larger ones with
// one syncfs(), which costs the same as one fsync when the filesystem has little else dirty.
constexpr size_t batch_size = 128;
constexpr size_t max_individual_flushes = 16;

std::string shown(const SafeDir& dest, const std::string& relative) {
  return dest.path() + "/" + relative;
}

// Directory handles by relative path, opened (and created) on demand. Only the most
// recent one stays open: files come in path order, so a directory's files are adjacent.
class Directories {
public:
  Directories(const SafeDir& dest, const plan::Rules& rules, PublishReport& report)
      : dest_(dest), rules_(rules), report_(report) {}

  int fd_for(const std::string& file) {
    const std::string parent = split_path(file).first;
    if (current_.valid() && parent == current_path_) return current_.get();
    const size_t known = report_.directories_created.size();
    if (const int error = dest_.open_parent(file, rules_.directory_mode, current_,
                                            &report_.directories_created)) {
      throw IoError(errno_message("cannot create the directory of " + shown(dest_, file), error));
    }
    if (rules_.owner) {
      for (size_t i = known; i < report_.directories_created.size(); ++i) {
        const std::string& created = report_.directories_created[i];
        if (::fchownat(dest_.fd(), created.c_str(), rules_.owner->first, rules_.owner->second,
                       AT_SYMLINK_NOFOLLOW) != 0) {
          throw IoError(errno_message("cannot chown " + shown(dest_, created), errno));
        }
      }
    }
    current_path_ = parent;
    touched_.insert(parent);
    return current_.get();
  }

  // Flushes every directory that received a file, and the parents of created ones.
  void flush_all() {
    for (const std::string& created : report_.directories_created) {
      touched_.insert(split_path(created).first);
    }
    for (const std::string& relative : touched_) {
      FileDescriptor fd;
      int error = dest_.open_directory(relative, fd);
      if (!error && ::fsync(fd.get()) != 0) error = errno;
      if (error)
        throw IoError(errno_message("cannot flush directory " + shown(dest_, relative), error));
    }
  }

private:
  const SafeDir& dest_;
  const plan::Rules& rules_;
  PublishReport& report_;
  FileDescriptor current_;
  std::string current_path_;
  std::set<std::string> touched_;
};

void check_digest(const AtomicFile& file, const Digest& expected) {
  const Digest digest = file.digest_on_disk();
  if (!(digest == expected)) {
    throw IoError("verification failed for " + file.shown() + ": wrote sha256 " + expected.sha256 +
                  " (" + std::to_string(expected.size) + " bytes), read back " + digest.sha256 +
                  " (" + std::to_string(digest.size) + " bytes); the previous version is kept");
  }
}

// Flushes a batch of written temporary files, reads each back, then renames them into place:
// a file that does not read back as planned never replaces the previous version.
void commit_batch(std::vector<AtomicFile>& batch, std::vector<const plan::DesiredFile*>& files,
                  const SafeDir& dest) {
  if (batch.size() <= max_individual_flushes) {
    for (AtomicFile& file : batch)
      file.flush();
  } else if (::syncfs(dest.fd()) != 0) {
    throw IoError(errno_message("cannot flush " + dest.path(), errno));
  }
  for (size_t i = 0; i < batch.size(); ++i)
    check_digest(batch[i], files[i]->digest);
  for (AtomicFile& file : batch)
    file.commit();
  batch.clear();
  files.clear();
}

void verify_written(const SafeDir& dest, const plan::DesiredFile& file) {
  FileDescriptor fd;
  Digest digest;
  int error = dest.open_file(file.path, fd);
  if (!error) error = hash_fd(fd.get(), digest);
  if (error) throw IoError(errno_message("cannot read back " + shown(dest, file.path), error));
  if (!(digest == file.digest)) {
    throw IoError("verification failed for " + shown(dest, file.path) + ": wrote sha256 " +
                  file.digest.sha256 + " (" + std::to_string(file.digest.size) +
                  " bytes), read back " + digest.sha256 + " (" + std::to_string(digest.size) +
                  " bytes)");
  }
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
  }
  for (const std::string& directory : plan.directories_to_remove) {
    const int error = remove_entry(dest, directory, AT_REMOVEDIR);
    // Gone already: forget it. ENOTEMPTY: the app keeps files there; it stays ours.
    if (error == 0 || error == ENOENT) report.directories_removed.push_back(directory);
  }
}

} // namespace

PublishReport publish(const plan::Plan& plan, const SafeDir& dest, const plan::Rules& rules) {
  PublishReport report;
  for (const plan::Change& change : plan.changes) {
    if (change.backup)
      report.backups.emplace_back(change.file.path, back_up(dest, change.file.path));
  }

  Directories directories(dest, rules, report);
  std::vector<AtomicFile> batch;
  std::vector<const plan::DesiredFile*> batch_files;
  std::vector<const plan::DesiredFile*> written;

  for (const plan::Change& change : plan.changes) {
    const plan::DesiredFile& file = change.file;
    if (change.action == plan::Action::chmod) {
      FileDescriptor fd;
      int error = dest.open_file(file.path, fd);
      if (!error && ::fchmod(fd.get(), file.mode) != 0) error = errno;
      if (error) throw IoError(errno_message("cannot chmod " + shown(dest, file.path), error));
      continue;
    }
    if (!plan::writes_content(change.action)) continue;

    const int dir = directories.fd_for(file.path);
    AtomicFile out(dir, split_path(file.path).second, shown(dest, file.path));
    if (file.merged) {
      out.write(file.content);
    } else {
      const Digest copied = out.copy_from(file.source, file.source);
      if (!(copied == file.digest)) {
        throw InputError(file.source + " changed while config-init was reading it; run again");
      }
    }
    out.set_mode(file.mode);
    if (rules.owner) out.set_owner(rules.owner->first, rules.owner->second);
    report.bytes_written += file.digest.size;
    batch.push_back(std::move(out));
    batch_files.push_back(&file);
    written.push_back(&file);
    // Durability before visibility: a file's data is on disk before its rename.
    if (batch.size() == batch_size) commit_batch(batch, batch_files, dest);
  }
  commit_batch(batch, batch_files, dest);
  directories.flush_all();
  report.files_written = written.size();

  for (const plan::DesiredFile* file : written)
    verify_written(dest, *file);
  remove_stale(dest, plan, report);
  return report;
}

void write_file_atomically(const SafeDir& dest, const std::string& relative,
                           const std::string& content, unsigned mode, bool private_dirs) {
  FileDescriptor dir;
  if (const int error = dest.open_parent(relative, private_dirs ? 0700 : 0755, dir, nullptr)) {
    throw IoError(errno_message("cannot create the directory of " + shown(dest, relative), error));
  }
  AtomicFile out(dir.get(), split_path(relative).second, shown(dest, relative));
  out.write(content);
  out.set_mode(mode);
  out.flush();
  check_digest(out, Digest{Sha256::of(content), content.size()});
  out.commit();
  if (::fsync(dir.get()) != 0) {
    throw IoError(errno_message("cannot flush the directory of " + shown(dest, relative), errno));
  }
}

size_t remove_leftover_temporaries(const SafeDir& dest, const std::vector<std::string>& relatives,
                                   Log& log) {
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
  return removed;
}

} // namespace config_init::publish

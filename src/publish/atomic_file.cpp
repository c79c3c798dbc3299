#include "publish/atomic_file.h"

#include "util/error.h"
#include "util/sha256.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::publish {

namespace {

constexpr const char* temp_prefix = ".config-init-";
constexpr const char* temp_suffix = ".tmp";

std::string next_temp_name() {
  static std::atomic<unsigned> counter{0};
  char name[64];
  std::snprintf(name, sizeof name, "%s%ld-%u%s", temp_prefix, static_cast<long>(::getpid()),
                counter++, temp_suffix);
  return name;
}

} // namespace

bool is_temporary_name(const std::string& name) {
  const std::string prefix = temp_prefix;
  const std::string suffix = temp_suffix;
  if (name.size() <= prefix.size() + suffix.size()) return false;
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  const std::string middle =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  const size_t dash = middle.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == middle.size()) return false;
  return middle.find_first_not_of("0123456789-") == std::string::npos;
}

AtomicFile::AtomicFile(int dir, std::string name, std::string shown)
    : dir_(::fcntl(dir, F_DUPFD_CLOEXEC, 0)), name_(std::move(name)), temp_name_(next_temp_name()),
      shown_(std::move(shown)) {
  if (!dir_.valid()) throw IoError(errno_message("cannot open the directory of " + shown_, errno));
  fd_ = FileDescriptor(::openat(dir_.get(), temp_name_.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd_.valid())
    throw IoError(errno_message("cannot create a temporary file for " + shown_, errno));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : dir_(std::move(other.dir_)), name_(std::move(other.name_)),
      temp_name_(std::move(other.temp_name_)), shown_(std::move(other.shown_)),
      fd_(std::move(other.fd_)), committed_(std::exchange(other.committed_, true)) {}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  fd_.close();
  if (dir_.valid()) ::unlinkat(dir_.get(), temp_name_.c_str(), 0);
}

void AtomicFile::write(const void* data, size_t size) {
  if (const int error = write_all(fd_.get(), data, size)) {
    throw IoError(errno_message("cannot write " + shown_, error));
  }
}

Digest AtomicFile::copy_from(const std::string& source, const std::string& source_shown) {
  FileDescriptor in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) throw InputError(errno_message("cannot read " + source_shown, errno));
  Sha256 sha;
  uint64_t size = 0;
  static thread_local char buffer[128 * 1024];
  for (;;) {
    const ssize_t count = ::read(in.get(), buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR) continue;
      throw InputError(errno_message("cannot read " + source_shown, errno));
    }
    if (count == 0) break;
    sha.update(buffer, static_cast<size_t>(count));
    write(buffer, static_cast<size_t>(count));
    size += static_cast<uint64_t>(count);
  }
  return Digest{sha.hex_digest(), size};
}

void AtomicFile::set_mode(unsigned mode) {
  if (::fchmod(fd_.get(), mode) != 0) throw IoError(errno_message("cannot chmod " + shown_, errno));
}

void AtomicFile::set_owner(unsigned uid, unsigned gid) {
  if (::fchown(fd_.get(), uid, gid) != 0)
    throw IoError(errno_message("cannot chown " + shown_, errno));
}

void AtomicFile::flush() {
  if (::fdatasync(fd_.get()) != 0) throw IoError(errno_message("cannot flush " + shown_, errno));
}

Digest AtomicFile::digest_on_disk() const {
  FileDescriptor in(::openat(dir_.get(), temp_name_.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  Digest digest;
  int error = in.valid() ? 0 : errno;
  if (!error) error = hash_fd(in.get(), digest);
  if (error) throw IoError(errno_message("cannot read back " + shown_, error));
  return digest;
}

void AtomicFile::commit() {
  if (const int error = fd_.close()) throw IoError(errno_message("cannot close " + shown_, error));
  if (::renameat(dir_.get(), temp_name_.c_str(), dir_.get(), name_.c_str()) != 0) {
    throw IoError(errno_message("cannot rename into place " + shown_, errno));
  }
  committed_ = true;
  dir_.close();
}

} // namespace config_init::publish

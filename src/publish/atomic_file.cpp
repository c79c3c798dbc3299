#include "publish/atomic_file.h"

#include "publish/early_writeback.h"
#include "publish/helper_thread.h"
#include "util/error.h"
#include "util/identity.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <future>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::publish {

namespace {

constexpr const char* temp_prefix = ".config-init-";
constexpr const char* temp_suffix = ".tmp";
// Size of the blocks copied, and read back and compared.
constexpr size_t block_size = 128 * 1024;

std::string next_temp_name() {
  static const long pid = static_cast<long>(::getpid());
  static unsigned counter = 0;
  char name[64];
  std::snprintf(name, sizeof name, "%s%ld-%u%s", temp_prefix, pid, counter++, temp_suffix);
  return name;
}

char* scratch_buffer() {
  static thread_local char buffer[block_size + 1];
  return buffer;
}

// Reads [offset, offset + size) of `fd` back and compares it with `expected`; with `at_end`,
// also checks that the file ends there (`written`: its size, for the message). Throws
// IoError naming `shown`.
void compare_back(int fd, const std::string& shown, uint64_t written, uint64_t offset,
                  const char* expected, size_t size, bool at_end) {
  char* buffer = scratch_buffer();
  for (;;) {
    const size_t want = size < block_size ? size : block_size;
    // At the end, one byte more is asked for: nothing may follow what was written (a write
    // that reported more than it wrote), and a short answer proves it with no extra call.
    const size_t ask = want + (at_end && want == size ? 1 : 0);
    if (ask == 0) return;
    const ssize_t count = ::pread(fd, buffer, ask, static_cast<off_t>(offset));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw IoError(errno_message("cannot read back " + shown, errno));
    const auto got = static_cast<size_t>(count);
    if (got > want) {
      throw IoError("verification failed for " + shown + ": longer than the " +
                    std::to_string(written) + " bytes written; the previous version is kept");
    }
    if ((got == 0 && want > 0) || (got > 0 && std::memcmp(buffer, expected, got) != 0)) {
      throw IoError("verification failed for " + shown + ": the bytes read back at offset " +
                    std::to_string(offset) +
                    " differ from the bytes written; the previous version is kept");
    }
    offset += got;
    expected += got;
    size -= got;
    if (size == 0 && (!at_end || got < ask)) return;
  }
}

// Copies [offset, end) of `in` (less when the source ends first) into `out` at `base` +
// the same offsets, reading each block back and comparing it with the block read from the
// source. Returns the offset reached in `in`. Throws InputError (source) or IoError.
uint64_t copy_range(int in, uint64_t offset, uint64_t end, int out, uint64_t base,
                    const std::string& shown, const std::string& source_shown) {
  static thread_local char buffer[block_size];
  while (offset < end) {
    const size_t want = end - offset < block_size ? static_cast<size_t>(end - offset) : block_size;
    const ssize_t count = ::pread(in, buffer, want, static_cast<off_t>(offset));
    if (count < 0) {
      if (errno == EINTR) continue;
      throw InputError(errno_message("cannot read " + source_shown, errno));
    }
    if (count == 0) break;
    const auto got = static_cast<size_t>(count);
    if (const int error = pwrite_all(out, buffer, got, base + offset))
      throw IoError(errno_message("cannot write " + shown, error));
    compare_back(out, shown, base + offset + got, base + offset, buffer, got, false);
    offset += got;
  }
  return offset;
}

// The thread that copies the second half of large files.
HelperThread& copy_helper() {
  static HelperThread helper;
  return helper;
}

// Copies of at least this size are split in two halves, the second copied by a helper
// thread while this one copies the first (reads, read-backs and comparisons run side by side).
constexpr uint64_t split_copy_size = 512 * 1024;

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

AtomicFile::AtomicFile(int dir, std::string name, std::string shown, unsigned mode)
    : dir_(dir), name_(std::move(name)), temp_name_(next_temp_name()), shown_(std::move(shown)) {
  fd_ = FileDescriptor(
      ::openat(dir_, temp_name_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd_.valid())
    throw IoError(errno_message("cannot create a temporary file for " + shown_, errno));
  if ((mode & process_umask()) != 0) set_mode(mode); // the umask took bits away
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : dir_(other.dir_), name_(std::move(other.name_)), temp_name_(std::move(other.temp_name_)),
      shown_(std::move(other.shown_)), fd_(std::move(other.fd_)), size_(other.size_),
      done_(std::exchange(other.done_, true)) {}

AtomicFile::~AtomicFile() {
  if (done_) return;
  fd_.close();
  ::unlinkat(dir_, temp_name_.c_str(), 0);
}

void AtomicFile::append(const void* data, size_t size) {
  if (const int error = write_all(fd_.get(), data, size)) {
    throw IoError(errno_message("cannot write " + shown_, error));
  }
  size_ += size;
}

void AtomicFile::compare_back(uint64_t offset, const char* expected, size_t size, bool at_end) {
  publish::compare_back(fd_.get(), shown_, size_, offset, expected, size, at_end);
}

void AtomicFile::write_verified(const std::string& data) {
  const uint64_t start = size_;
  append(data.data(), data.size());
  compare_back(start, data.data(), data.size(), true);
}

void AtomicFile::append_verified(std::string_view data) {
  const uint64_t start = size_;
  append(data.data(), data.size());
  compare_back(start, data.data(), data.size(), false);
}

void AtomicFile::end_verified() {
  compare_back(size_, nullptr, 0, true);
}

std::string AtomicFile::copy_from(const std::string& source, const std::string& source_shown) {
  FileDescriptor in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) throw InputError(errno_message("cannot read " + source_shown, errno));
  struct stat st {};
  if (::fstat(in.get(), &st) != 0)
    throw InputError(errno_message("cannot read " + source_shown, errno));
  const uint64_t start = size_;
  const auto listed = static_cast<uint64_t>(st.st_size);
  // The second half, from a block boundary to the end of the source, on the helper thread.
  const uint64_t split = listed >= split_copy_size ? listed / 2 / block_size * block_size : 0;
  std::future<uint64_t> tail;
  if (split > 0) {
    auto task = std::make_shared<std::packaged_task<uint64_t()>>([&] {
      return copy_range(in.get(), split, UINT64_MAX, fd_.get(), start, shown_, source_shown);
    });
    tail = task->get_future();
    copy_helper().post([task] { (*task)(); });
  }
  uint64_t reached = 0;
  try {
    reached = copy_range(in.get(), 0, split > 0 ? split : UINT64_MAX, fd_.get(), start, shown_,
                         source_shown);
  } catch (...) {
    if (tail.valid()) tail.wait(); // it uses this frame's descriptors and names
    throw;
  }
  if (split > 0) {
    const uint64_t end = tail.get(); // rethrows the helper's error
    if (reached < split)             // the source shrank under the first half: a hole would follow
      throw InputError(source_shown + " changed while config-init was reading it; run again");
    reached = end;
  }
  size_ = start + reached;
  compare_back(size_, nullptr, 0, true); // nothing after the end
  start_writeback(fd_.get());            // a head start for the flush of the phase
  if (::fstat(in.get(), &st) != 0)
    throw InputError(errno_message("cannot read " + source_shown, errno));
  return source_identity(st);
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

void AtomicFile::commit() {
  if (const int error = fd_.close()) throw IoError(errno_message("cannot close " + shown_, error));
  if (::renameat(dir_, temp_name_.c_str(), dir_, name_.c_str()) != 0) {
    throw IoError(errno_message("cannot rename into place " + shown_, errno));
  }
  done_ = true;
}

std::string AtomicFile::release() {
  if (const int error = fd_.close()) throw IoError(errno_message("cannot close " + shown_, error));
  done_ = true;
  return temp_name_;
}

} // namespace config_init::publish

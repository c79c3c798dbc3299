#include "util/fs.h"

#include "util/sha256.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init {

namespace {
constexpr size_t buffer_size = 128 * 1024;
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  close();
}

int FileDescriptor::close() {
  if (fd_ < 0) return 0;
  const int result = ::close(std::exchange(fd_, -1));
  return result == 0 ? 0 : errno;
}

int read_all(int fd, std::string& out, size_t expected_size) {
  if (expected_size == 0) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno;
    if (S_ISREG(st.st_mode)) expected_size = static_cast<size_t>(st.st_size);
  }
  // Read straight into `out`, asking for one byte more than expected: a short read of
  // exactly the expected size is the end of a regular file, without another call. The
  // string is sized to the file, not to a buffer: callers keep many of them.
  out.clear();
  out.shrink_to_fit();
  out.resize(expected_size + 1);
  size_t used = 0;
  for (;;) {
    if (used == out.size()) // larger than expected: grow
      out.resize(out.size() < buffer_size ? buffer_size : out.size() * 2);
    const ssize_t count = ::read(fd, &out[used], out.size() - used);
    if (count < 0) {
      if (errno == EINTR) continue;
      out.resize(used);
      return errno;
    }
    used += static_cast<size_t>(count);
    if (count == 0 || (used == expected_size && expected_size > 0)) break;
  }
  out.resize(used);
  if (out.capacity() > used + used / 4 + 64) out.shrink_to_fit();
  return 0;
}

int read_file(const std::string& path, std::string& out) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  return read_all(fd.get(), out);
}

int hash_fd(int fd, Digest& out) {
  Sha256 sha;
  uint64_t size = 0;
  static thread_local char buffer[buffer_size];
  for (;;) {
    const ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (count == 0) break;
    sha.update(buffer, static_cast<size_t>(count));
    size += static_cast<uint64_t>(count);
  }
  out.sha256 = sha.hex_digest();
  out.size = size;
  return 0;
}

int hash_file(const std::string& path, Digest& out) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  return hash_fd(fd.get(), out);
}

int write_all(int fd, const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t count = ::write(fd, bytes, size);
    if (count < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes += count;
    size -= static_cast<size_t>(count);
  }
  return 0;
}

int pwrite_all(int fd, const void* data, size_t size, uint64_t offset) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t count = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (count < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes += count;
    size -= static_cast<size_t>(count);
    offset += static_cast<uint64_t>(count);
  }
  return 0;
}

unsigned process_umask() {
  static const unsigned mask = [] {
    const mode_t current = ::umask(0);
    ::umask(current);
    return static_cast<unsigned>(current);
  }();
  return mask;
}

} // namespace config_init

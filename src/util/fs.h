// Small filesystem helpers on top of POSIX calls. They report failure through errno
// values (0 = success) so callers can choose the error class: a layer that cannot be read
// is invalid input (exit 3), a destination that cannot be written is an I/O failure (exit 4).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace config_init {

// Owns a file descriptor; closes it on destruction.
class FileDescriptor {
public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now; returns 0 or the errno of close().
  int close();

private:
  int fd_ = -1;
};

// SHA-256 (hex) and size of some bytes.
struct Digest {
  std::string sha256;
  uint64_t size = 0;
  bool operator==(const Digest& other) const {
    return sha256 == other.sha256 && size == other.size;
  }
};

// Reads all of the open file `fd` into `out`; `expected_size` (its size, when known) saves
// the last read. Returns 0 or an errno value.
int read_all(int fd, std::string& out, size_t expected_size = 0);
// Reads the file at `path` into `out`. Returns 0 or an errno value.
int read_file(const std::string& path, std::string& out);
// Hashes the open file `fd` from its current offset to the end. Returns 0 or an errno value.
int hash_fd(int fd, Digest& out);
// Hashes the file at `path`. Returns 0 or an errno value.
int hash_file(const std::string& path, Digest& out);
// The process's umask (read once: reading it means setting it).
unsigned process_umask();

// Writes all of `size` bytes to `fd`, retrying short writes. Returns 0 or an errno value.
int write_all(int fd, const void* data, size_t size);
// The same at `offset` (pwrite: the descriptor's offset is neither used nor moved).
int pwrite_all(int fd, const void* data, size_t size, uint64_t offset);

} // namespace config_init

// A file written under a temporary name in its target directory and renamed into place,
// so readers see either the old or the new complete file. Everything written is read back
// through the same descriptor and compared before the file can be renamed. The temporary
// file is removed when the object is destroyed neither committed nor released.
#pragma once

#include "util/fs.h"

#include <string>
#include <string_view>

namespace config_init::publish {

// Temporary files are named `.config-init-<pid>-<n>.tmp`; a later run removes leftovers.
bool is_temporary_name(const std::string& name);

class AtomicFile {
public:
  // Creates a temporary file with permission bits exactly `mode` in the open directory
  // `dir` for the final name `name` (a single path element). `dir` must stay open while
  // this object lives. Throws IoError naming `shown`, the path users see.
  AtomicFile(int dir, std::string name, std::string shown, unsigned mode = 0600);
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  // Writes all of `data`, reads it back and compares. Throws IoError (the previous
  // version is kept) when the file does not hold exactly the bytes written.
  void write_verified(const std::string& data);
  // Writes `data` after what is written, reads it back and compares (a file made piece by
  // piece); end_verified() then checks that nothing follows. Throws IoError.
  void append_verified(std::string_view data);
  void end_verified();
  // Copies the file at `source`, reading back each block it writes and comparing it; returns
  // the source's identity (util/identity.h) as it was once copied, so the caller can tell
  // whether it changed since it was hashed. Throws IoError for the destination (including
  // a read-back mismatch) and InputError when the source cannot be read.
  std::string copy_from(const std::string& source, const std::string& source_shown);
  // Sets the permission bits exactly (ignoring the umask). Throws IoError.
  void set_mode(unsigned mode);
  // Sets the owner (needs CAP_CHOWN). Throws IoError.
  void set_owner(unsigned uid, unsigned gid);
  // Flushes the content to stable storage (fdatasync). Throws IoError.
  void flush();
  // Closes and renames over the final name. Throws IoError; the temp file is then removed.
  void commit();
  // Closes the file and hands the temporary name to the caller, who renames or removes it
  // later (through a directory opened again: `dir` may be closed after this). Throws IoError.
  std::string release();

  const std::string& shown() const { return shown_; }
  uint64_t size() const { return size_; }

private:
  void append(const void* data, size_t size);
  // Reads [offset, offset + size) back and compares it with `expected`; with `at_end`,
  // also checks that the file ends there. Throws IoError.
  void compare_back(uint64_t offset, const char* expected, size_t size, bool at_end);

  int dir_;
  std::string name_;
  std::string temp_name_;
  std::string shown_;
  FileDescriptor fd_;
  uint64_t size_ = 0;
  bool done_ = false;
};

} // namespace config_init::publish

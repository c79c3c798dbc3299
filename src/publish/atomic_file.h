// A file written under a temporary name in its target directory and renamed into place,
// so readers see either the old or the new complete file. The temporary file is removed
// when the object is destroyed uncommitted.
#pragma once

#include "util/fs.h"

#include <string>

namespace config_init::publish {

// Temporary files are named `.config-init-<pid>-<n>.tmp`; a later run removes leftovers.
bool is_temporary_name(const std::string& name);

class AtomicFile {
public:
  // Creates a temporary file in the open directory `dir` (duplicated, so the caller may
  // close it) for the final name `name` (a single path element). Throws IoError naming
  // `shown`, the path users see.
  AtomicFile(int dir, std::string name, std::string shown);
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  // Appends bytes. Throws IoError.
  void write(const void* data, size_t size);
  void write(const std::string& data) { write(data.data(), data.size()); }
  // Copies the file at `source` and returns the digest of what was copied.
  // Throws IoError for the destination and InputError when the source cannot be read.
  Digest copy_from(const std::string& source, const std::string& source_shown);
  // Sets the permission bits exactly (ignoring the umask). Throws IoError.
  void set_mode(unsigned mode);
  // Sets the owner (needs CAP_CHOWN). Throws IoError.
  void set_owner(unsigned uid, unsigned gid);
  // Flushes the content to stable storage (fdatasync). Throws IoError.
  void flush();
  // Reads the temporary file back (by name, through the directory) and returns its digest.
  // Throws IoError.
  Digest digest_on_disk() const;
  // Closes and renames over the final name. Throws IoError; the temp file is then removed.
  void commit();

  int fd() const { return fd_.get(); }
  const std::string& shown() const { return shown_; }

private:
  FileDescriptor dir_;
  std::string name_;
  std::string temp_name_;
  std::string shown_;
  FileDescriptor fd_;
  bool committed_ = false;
};

} // namespace config_init::publish

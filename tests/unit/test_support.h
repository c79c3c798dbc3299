// Helpers for unit tests: a temporary directory per test, and small file utilities.
#pragma once

#include <string>

namespace test_support {

// A fresh directory under $TMPDIR, removed (recursively) on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + relative
  std::string operator/(const std::string& relative) const { return path_ + "/" + relative; }

private:
  std::string path_;
};

// Writes `content` to `path`, creating parent directories.
void write_file(const std::string& path, const std::string& content);
// The content of `path` ("" when unreadable).
std::string read_file(const std::string& path);

} // namespace test_support

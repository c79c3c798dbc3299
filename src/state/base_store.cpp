#include "state/base_store.h"

#include "state/manifest.h"
#include "util/error.h"
#include "util/sha256.h"

#include <cerrno>
#include <chrono>
#include <ctime>

namespace config_init::state {

std::string base_path(const std::string& path) {
  return std::string(state_directory) + "/base/" + Sha256::of(path);
}

std::string legacy_base_path(const std::string& path) {
  return std::string(state_directory) + "/base/" + path;
}

std::string backup_path(const std::string& path) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(state_directory) + "/backup/" + path + "." + stamp;
}

std::vector<std::string>
state_directories_for(const std::vector<std::string>& content_directories) {
  std::vector<std::string> directories = {state_directory};
  for (const std::string& directory : content_directories) {
    const std::string suffix = directory.empty() ? "" : "/" + directory;
    directories.push_back(std::string(state_directory) + "/base" + suffix);
    directories.push_back(std::string(state_directory) + "/backup" + suffix);
  }
  return directories;
}

bool read_base(const SafeDir& dest, const std::string& path, std::string& out) {
  for (const std::string& relative : {base_path(path), legacy_base_path(path)}) {
    FileDescriptor fd;
    if (const int error = dest.open_file(relative, fd)) {
      if (error == ENOENT) continue;
      throw IoError(errno_message("cannot read " + dest.path() + "/" + relative, error));
    }
    if (const int error = read_all(fd.get(), out)) {
      throw IoError(errno_message("cannot read " + dest.path() + "/" + relative, error));
    }
    return true;
  }
  return false;
}

} // namespace config_init::state

// Merge bases and backups under DEST/.config-init/: for each structured managed file,
// the layers' result of the last run (the base of the next three-way merge), and the
// app's versions of files that were overwritten after drift.
#pragma once

#include "util/safe_dir.h"

#include <string>
#include <vector>

namespace config_init::state {

// ".config-init/base/<sha256 of path>": one flat directory, whatever the depth of `path`
// (a tree of directories mirroring DEST cost a mkdir for each).
std::string base_path(const std::string& path);
// ".config-init/base/<path>", where earlier builds kept it: still read, removed with the file.
std::string legacy_base_path(const std::string& path);
// ".config-init/backup/<path>.<UTC timestamp>"
std::string backup_path(const std::string& path);

// The directories under .config-init/ where a run writes temporaries for files in the DEST
// directories `content_directories` ("" for DEST itself): .config-init/ (the manifest),
// its flat base directory, and the legacy base and backup trees that mirror DEST.
std::vector<std::string> state_directories_for(const std::vector<std::string>& content_directories);

// Reads the base of `path` into `out` (at base_path, else at legacy_base_path); false
// when there is none. Throws IoError when it exists but cannot be read.
bool read_base(const SafeDir& dest, const std::string& path, std::string& out);

} // namespace config_init::state

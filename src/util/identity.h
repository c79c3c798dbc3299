// A file's identity: what changes whenever its content may have changed. A write, a chmod,
// a rename over it or its replacement all change the ctime, which unprivileged processes
// cannot set back; comparing identities lets a run skip re-reading a file it already knows.
#pragma once

#include <string>
#include <sys/stat.h>

namespace config_init {

// "ino:size:mtime_ns:ctime_ns": a destination file (same filesystem across runs).
std::string file_identity(const struct stat& st);
// True when `identity` (from file_identity) names the file `st` once its ctime is left out:
// same inode, size and mtime. A rename changes the ctime of the file it moves.
bool same_file_but_ctime(const std::string& identity, const struct stat& st);
// "dev:ino:size:mtime_ns:ctime_ns": a layer file (layers are mounted anew on each start).
std::string source_identity(const struct stat& st);

} // namespace config_init

// DEST/.config-init/manifest.json: the record of the last successful run. Written last,
// atomically; read by the next run and by `verify`.
#pragma once

#include "util/safe_dir.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace config_init::state {

// config-init's own directory inside the destination, and the files in it.
constexpr const char* state_directory = ".config-init";
constexpr const char* manifest_path = ".config-init/manifest.json";
constexpr const char* lock_path = ".config-init/lock";
// Exists while a run may have temporary files in DEST (publish::Publisher).
constexpr const char* in_progress_path = ".config-init/in-progress";

// The largest manifest read. Not the 16 MiB limit of structured files: a manifest takes
// about 700 bytes per managed file (more with long layer paths), so 16 MiB would refuse the
// manifest of some 22,000 files and the next run would take every file for one it never
// managed. 1 GiB is some 1,500,000 files (layers::read_layer reads at most 1,000,000
// entries per layer).
constexpr size_t max_manifest_size = 1024 * 1024 * 1024;

struct ManifestFile {
  std::string path; // relative to DEST
  std::string sha256;
  uint64_t size = 0;
  unsigned mode = 0;
  std::vector<std::string> layers; // the layer roots the content came from, lowest first
  std::string policy;
  bool merged = false;
  bool secret = false;
  // The destination file's identity after config-init wrote it (util/identity.h), used to
  // skip re-reading an unchanged file on the next run. Empty when not recorded.
  std::string identity;
  // sha256 of the merge base stored under .config-init/base for this file; empty if none.
  std::string base_sha256;
  // sha256 of the JSON Schema file (--schema) the content passed; several joined by ','
  // in rule order; empty when no schema applies or one was only warned about.
  std::string schema_sha256;
};

struct ManifestLayer {
  std::string root;
  bool present = false;
  bool secret = false;
  size_t files = 0;
  std::string sha256; // over its files' "sha256  path" lines
};

// The digest of a layer file already hashed, so that the next run need not hash it again
// while its identity is unchanged. Keyed by the file's real (absolute) path in the layer,
// not by a destination path.
struct ManifestSource {
  std::string real_path; // JSON "path"
  std::string identity;  // source_identity() when it was hashed
  std::string sha256;
  uint64_t size = 0;
};

struct Manifest {
  int64_t version = 1; // as read: a value out of int range is refused, not truncated
  std::string tool_version;
  std::vector<ManifestLayer> layers;
  std::vector<ManifestFile> files; // sorted by path
  // Directories config-init created in DEST (removed again when they end up empty).
  std::vector<std::string> directories;
  std::vector<ManifestSource> sources; // sorted by real_path; empty when none recorded

  const ManifestFile* find(const std::string& path) const;
  const ManifestSource* find_source(const std::string& real_path) const;
};

// The manifest as JSON (stable: the same manifest gives the same bytes). The optional
// fields (identity, base_sha256, schema_sha256,
// sources) are written only when not empty, so a manifest
// without them gives the bytes it always did. Throws InputError for a string that is not
// valid UTF-8.
std::string serialize(const Manifest& manifest);
// The same bytes, handed to `sink` in pieces of about 64 KiB as they are made: the text of
// a large manifest (some 700 bytes per file) is never held whole.
void serialize(const Manifest& manifest, const std::function<void(std::string_view)>& sink);

// The file records of a manifest made one at a time as they are written, so that a run's
// record of some 100,000 files is never held whole (issue 15): `fill(i, out)` puts the i-th
// of `count` records, in path order, into `out` (a cleared record). Each pass of serialize
// asks for 0, 1, ... count - 1 in turn.
struct FileRecords {
  size_t count = 0;
  std::function<void(size_t, ManifestFile&)> fill;
};
// As serialize(manifest, sink), with the records of `files` in place of `manifest.files`
// (which must be empty).
void serialize(const Manifest& manifest, const FileRecords& files,
               const std::function<void(std::string_view)>& sink);

// Parses manifest JSON. Throws InputError naming `name` when it is not a manifest (also
// for invalid JSON) or is larger than `limit` bytes. Optional fields that are absent parse
// as empty; present, they must have their kind, and a source's path must be absolute.
Manifest parse_manifest(const std::string& text, const std::string& name,
                        size_t limit = max_manifest_size);

// The bytes of DEST's manifest; nullopt when there is none. Throws IoError.
std::optional<std::string> read_manifest_text(const SafeDir& dest);

// Loads DEST's manifest; nullopt when there is none. Throws InputError when it is corrupt
// and IoError when it cannot be read.
std::optional<Manifest> load_manifest(const SafeDir& dest);

} // namespace config_init::state

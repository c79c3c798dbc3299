// Which managed files no longer hold what the manifest recorded (`verify`, `status`).
#pragma once

#include "state/manifest.h"
#include "util/safe_dir.h"

#include <string>
#include <vector>

namespace config_init::state {

struct DriftedFile {
  std::string path;
  std::string problem; // "missing", "content changed (...)", ...
  // The content changed in a structured file with a merge base: the next run three-way
  // merges the app's edit in rather than replacing it.
  bool mergeable_edit = false;
};

struct DriftCheck {
  size_t checked = 0; // seeded files are not checked: the app owns them
  std::vector<DriftedFile> drifted;
  std::vector<std::string> verified;
};

// Re-hashes every managed file of `dest` against `manifest`.
DriftCheck check_drift(const SafeDir& dest, const Manifest& manifest);

} // namespace config_init::state

#include "state/drift.h"

#include "formats/format.h"
#include "util/error.h"
#include "util/fs.h"

#include <cerrno>

namespace config_init::state {

DriftCheck check_drift(const SafeDir& dest, const Manifest& manifest) {
  DriftCheck result;
  for (const ManifestFile& file : manifest.files) {
    if (file.policy == "seed") continue; // written once; the app owns it since
    ++result.checked;
    FileDescriptor fd;
    Digest digest;
    int error = dest.open_file(file.path, fd);
    if (!error) error = hash_fd(fd.get(), digest);
    DriftedFile drifted{file.path, "", false};
    if (error == ENOENT) {
      drifted.problem = "missing";
    } else if (error == ELOOP) {
      drifted.problem = "replaced by a symlink";
    } else if (error) {
      drifted.problem = errno_message("unreadable", error);
    } else if (digest.sha256 != file.sha256 || digest.size != file.size) {
      drifted.problem = "content changed (sha256 " + digest.sha256.substr(0, 12) + ", expected " +
                        file.sha256.substr(0, 12) + ")";
      drifted.mergeable_edit =
          !file.base_sha256.empty() && formats::format_of_path(file.path).has_value();
    }
    if (drifted.problem.empty()) {
      result.verified.push_back(file.path);
    } else {
      result.drifted.push_back(std::move(drifted));
    }
  }
  return result;
}

} // namespace config_init::state

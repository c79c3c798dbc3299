// `config-init verify`: re-hash every managed file and report drift.
#include "cli/commands.h"
#include "run/destination.h"
#include "state/manifest.h"
#include "util/error.h"
#include "util/text.h"

#include <cerrno>

namespace config_init::cli {

int run_verify(const Options& options, Log& log) {
  const auto start = std::chrono::steady_clock::now();
  SafeDir dest;
  if (!run::open_destination(options.dest, false, dest, nullptr)) {
    throw InputError("destination " + options.dest + " does not exist");
  }
  const std::optional<state::Manifest> manifest = state::load_manifest(dest);
  if (!manifest) {
    throw InputError(options.dest + " has no " + state::manifest_path +
                     ": it was never materialized by config-init");
  }
  std::vector<std::string> drifted;
  size_t checked = 0;
  for (const state::ManifestFile& file : manifest->files) {
    if (file.policy == "seed") continue; // written once; the app owns it since
    ++checked;
    FileDescriptor fd;
    Digest digest;
    int error = dest.open_file(file.path, fd);
    if (!error) error = hash_fd(fd.get(), digest);
    std::string problem;
    if (error == ENOENT) {
      problem = "missing";
    } else if (error == ELOOP) {
      problem = "replaced by a symlink";
    } else if (error) {
      problem = errno_message("unreadable", error);
    } else if (digest.sha256 != file.sha256 || digest.size != file.size) {
      problem = "content changed (sha256 " + digest.sha256.substr(0, 12) + ", expected " +
                file.sha256.substr(0, 12) + ")";
    }
    if (problem.empty()) {
      log.info("verified " + file.path, {{"action", "verified"}, {"path", file.path}});
    } else {
      log.warn("drift: " + file.path + ": " + problem,
               {{"action", "drift"}, {"path", file.path}, {"reason", problem}});
      drifted.push_back(file.path);
    }
  }
  const int64_t ms = elapsed_ms(start);
  if (!drifted.empty()) {
    std::string list;
    for (const std::string& path : drifted)
      list += (list.empty() ? "" : ", ") + path;
    throw DriftError(std::to_string(drifted.size()) + " of " + std::to_string(checked) +
                     " managed files changed since the last run: " + list);
  }
  log.notice("verified " + text::count_of(checked, "file") + " in " + options.dest + " in " +
                 std::to_string(ms) + " ms",
             {{"event", "summary"},
              log_number("files", static_cast<int64_t>(checked)),
              log_number("elapsed_ms", ms)});
  return 0;
}

} // namespace config_init::cli

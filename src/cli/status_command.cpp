// `config-init status`: the health of a `watch` (its status file) and of DEST (verified), for
// an exec probe. Prints the status on stdout; the exit code is the verdict.
#include "cli/commands.h"
#include "run/destination.h"
#include "state/drift.h"
#include "state/manifest.h"
#include "util/error.h"
#include "watch/status_file.h"

#include <iostream>

namespace config_init::cli {

namespace {

std::string when(int64_t unix_ms) {
  return unix_ms > 0 ? watch::rfc3339_utc(unix_ms) : std::string("never");
}

} // namespace

int run_status(const Options& options, Log& log) {
  SafeDir dest;
  if (!run::open_destination(options.dest, false, dest, nullptr)) {
    std::cout << "unhealthy: " << options.dest << " does not exist\n";
    return static_cast<int>(ExitCode::failure);
  }
  const std::optional<watch::Status> status = watch::read_status(dest);
  if (!status) {
    std::cout << "unhealthy: " << options.dest << " has no " << watch::status_path
              << " (config-init watch has not finished a run)\n";
    return static_cast<int>(ExitCode::failure);
  }
  std::cout << "last success: " << when(status->last_success_unix_ms) << "\n"
            << "last error:   "
            << (status->last_error_unix_ms > 0
                    ? when(status->last_error_unix_ms) + " (exit " +
                          std::to_string(status->last_error_exit_code) + "): " + status->last_error
                    : std::string("none"))
            << "\n"
            << "runs: " << status->runs << ", failures: " << status->failures
            << ", files: " << status->files << ", last run: " << status->last_duration_ms << " ms ("
            << status->last_trigger << "), pid " << status->pid << "\n";
  if (status->last_success_unix_ms == 0) {
    std::cout << "unhealthy: no run has succeeded yet\n";
    return static_cast<int>(ExitCode::failure);
  }
  if (status->degraded) {
    std::cout << "degraded: the last run failed; " << options.dest
              << " keeps the last good version\n";
    return static_cast<int>(ExitCode::failure);
  }

  const std::optional<state::Manifest> manifest = state::load_manifest(dest);
  if (!manifest) {
    std::cout << "unhealthy: " << options.dest << " has no " << state::manifest_path << "\n";
    return static_cast<int>(ExitCode::failure);
  }
  const state::DriftCheck check = state::check_drift(dest, *manifest);
  size_t edits = 0;
  std::string drift;
  for (const state::DriftedFile& file : check.drifted) {
    if (file.mergeable_edit) {
      ++edits;
      continue;
    }
    log.warn("drift: " + file.path + ": " + file.problem,
             {{"action", "drift"}, {"path", file.path}, {"reason", file.problem}});
    drift += (drift.empty() ? "" : ", ") + file.path;
  }
  if (!drift.empty()) {
    std::cout << "drift: managed files changed and will not be merged: " << drift << "\n";
    return static_cast<int>(ExitCode::drift);
  }
  std::cout << "healthy: " << check.checked << " managed files verified";
  if (edits > 0) std::cout << " (" << edits << " with app edits the next run merges)";
  std::cout << "\n";
  return 0;
}

} // namespace config_init::cli

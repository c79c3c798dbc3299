// `config-init verify`: re-hash every managed file and report drift.
#include "cli/commands.h"
#include "run/destination.h"
#include "state/drift.h"
#include "state/manifest.h"
#include "util/error.h"
#include "util/text.h"

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
  const state::DriftCheck check = state::check_drift(dest, *manifest);
  for (const std::string& path : check.verified)
    log.info("verified " + path, {{"action", "verified"}, {"path", path}});
  for (const state::DriftedFile& file : check.drifted) {
    log.warn("drift: " + file.path + ": " + file.problem,
             {{"action", "drift"}, {"path", file.path}, {"reason", file.problem}});
  }
  const int64_t ms = elapsed_ms(start);
  if (!check.drifted.empty()) {
    std::string list;
    for (const state::DriftedFile& file : check.drifted)
      list += (list.empty() ? "" : ", ") + file.path;
    throw DriftError(std::to_string(check.drifted.size()) + " of " + std::to_string(check.checked) +
                     " managed files changed since the last run: " + list);
  }
  log.notice("verified " + text::count_of(check.checked, "file") + " in " + options.dest + " in " +
                 std::to_string(ms) + " ms",
             {{"event", "summary"},
              log_number("files", static_cast<int64_t>(check.checked)),
              log_number("elapsed_ms", ms)});
  return 0;
}

} // namespace config_init::cli

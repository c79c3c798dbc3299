// `config-init materialize`: the main job, one run.
#include "cli/commands.h"
#include "run/run.h"

namespace config_init::cli {

int run_materialize(const Options& options, Log& log) {
  run::materialize(run_settings(options), log);
  return 0;
}

} // namespace config_init::cli

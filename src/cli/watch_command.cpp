// `config-init watch`: materialize, then keep DEST up to date (src/watch/).
#include "cli/commands.h"
#include "watch/watch_loop.h"

namespace config_init::cli {

int run_watch(const Options& options, Log& log) {
  return watch::watch(run_settings(options),
                      watch::WatchSettings{options.debounce, options.resync, options.http_bind},
                      log);
}

} // namespace config_init::cli

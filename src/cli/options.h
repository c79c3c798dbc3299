// The command line: subcommand, flags and their CONFIG_INIT_* environment equivalents.
// Boost.Program_options is used here only.
#pragma once

#include "layers/layer.h"
#include "plan/plan.h"
#include "plan/rules.h"
#include "run/run.h"
#include "util/log.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace config_init::cli {

struct Options {
  std::string command = "materialize";
  std::vector<layers::LayerSpec> layers; // lowest precedence first
  std::string dest;
  std::optional<std::string> spec;
  plan::Rules rules;
  plan::OnDrift on_drift = plan::OnDrift::overwrite;
  LogFormat log_format = LogFormat::text;
  std::optional<std::string> termination_log; // nullopt: /dev/termination-log if it exists
  std::string target;                         // PATH of render and explain
  bool quiet = false;
  std::chrono::milliseconds resync{60000};  // watch
  std::chrono::milliseconds debounce{1000}; // watch
  std::string http_bind;                    // watch; empty: none
  bool help = false;
  bool version = false;
};

// Parses argv, then fills what no flag gave from CONFIG_INIT_* variables (a flag wins over
// its variable), then reads the spec file if any. Throws UsageError with a one-line cause.
Options parse_options(int argc, const char* const* argv);

// What a run reads and writes, from `options`.
run::Settings run_settings(const Options& options);

// The log format asked for by --log-format (the last valid one) or CONFIG_INIT_LOG_FORMAT,
// read straight from argv so that a usage error is reported in it too; else the default.
LogFormat requested_log_format(int argc, const char* const* argv);

// The help text: commands, flags with their variables, exit codes, an example.
std::string help_text();

// The termination-log path to use when the run fails, or "" for none.
std::string termination_log_path(const Options& options);

} // namespace config_init::cli

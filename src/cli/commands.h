// The subcommands, from one table; the help text is generated from it.
#pragma once

#include "cli/options.h"
#include "util/log.h"

#include <string>
#include <vector>

namespace config_init::cli {

struct Command {
  const char* name;
  const char* synopsis;                         // arguments after the name
  const char* summary;                          // one line for --help
  int (*run)(const Options& options, Log& log); // returns the exit code
};

// All commands, in the order --help lists them.
const std::vector<Command>& commands();
// The command called `name`, or nullptr.
const Command* find_command(const std::string& name);

int run_materialize(const Options& options, Log& log);
int run_plan(const Options& options, Log& log);
int run_render(const Options& options, Log& log);
int run_explain(const Options& options, Log& log);
int run_verify(const Options& options, Log& log);
int run_watch(const Options& options, Log& log);
int run_status(const Options& options, Log& log);

// Runs config-init: parses, dispatches, and turns any error into its message, its
// termination-log entry and its exit code. This is the one place errors are caught.
int main(int argc, const char* const* argv);

} // namespace config_init::cli

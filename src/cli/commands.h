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
// The command `name` is probably a misspelling of (at most two letters added, dropped,
// changed or swapped, e.g. "materialise", "paln"), or nullptr.
const Command* suggest_command(const std::string& name);

int run_materialize(const Options& options, Log& log);
int run_plan(const Options& options, Log& log);
int run_render(const Options& options, Log& log);
int run_explain(const Options& options, Log& log);
int run_verify(const Options& options, Log& log);
int run_watch(const Options& options, Log& log);
int run_status(const Options& options, Log& log);

// Runs config-init: parses, dispatches, and turns any error into its message, its
// termination-log entry and its exit code: the one place where an error ends the program.
// (Elsewhere errors are caught only to add context, undo, retry or log and go on.)
int main(int argc, const char* const* argv);

} // namespace config_init::cli

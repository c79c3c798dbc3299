#include "cli/commands.h"

#include "util/error.h"
#include "util/fs.h"

#include <algorithm>
#include <fcntl.h>
#include <iostream>
#include <unistd.h>

namespace config_init::cli {

namespace {

// Most the termination message may hold (the kubelet reads 4 KiB; the contract says 1 KiB).
constexpr size_t max_termination_message = 1024;

const char* exit_code_meaning(ExitCode code) {
  switch (code) {
  case ExitCode::ok:
    return "success";
  case ExitCode::failure:
    return "unexpected failure";
  case ExitCode::usage:
    return "usage error";
  case ExitCode::input:
    return "invalid input; the destination was not changed";
  case ExitCode::io:
    return "I/O failure; every file is either its old or its new complete version";
  case ExitCode::drift:
    return "managed files changed since the last run";
  }
  return "failure";
}

// The cause, cut to fit, then a one-line summary; at most max_termination_message bytes.
std::string termination_message(const std::string& command, const std::string& cause,
                                ExitCode code) {
  const std::string summary = "config-init " + command + " failed (exit " +
                              std::to_string(static_cast<int>(code)) + ": " +
                              exit_code_meaning(code) + ")\n";
  std::string body = cause;
  const size_t room = max_termination_message - std::min(summary.size(), max_termination_message);
  if (body.size() + 1 > room) body = body.substr(0, room > 4 ? room - 4 : 0) + "...";
  return body + "\n" + summary;
}

void write_termination_log(const std::string& path, const std::string& message) {
  if (path.empty()) return;
  FileDescriptor fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644));
  if (fd.valid()) write_all(fd.get(), message.data(), message.size());
}

} // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"materialize", "[FLAGS]", "write the merged layers into --dest (the default command)",
       run_materialize},
      {"plan", "[FLAGS]", "show what materialize would change, as a diff; writes nothing",
       run_plan},
      {"render", "[FLAGS] PATH", "print the merged content of one file", run_render},
      {"explain", "[FLAGS] PATH", "print each key (and combined array element) with its layer",
       run_explain},
      {"verify", "--dest DIR", "re-hash the managed files; exit 5 naming any that changed",
       run_verify},
      {"watch", "[FLAGS]", "materialize, then again on each layer change (a sidecar)", run_watch},
      {"status", "--dest DIR", "health of a watch: exit 0 when its last run succeeded", run_status},
  };
  return table;
}

const Command* find_command(const std::string& name) {
  for (const Command& command : commands()) {
    if (name == command.name) return &command;
  }
  return nullptr;
}

const Command* suggest_command(const std::string& name) {
  // Optimal string alignment distance (Levenshtein plus adjacent transpositions).
  const auto distance = [](const std::string& a, const std::string& b) {
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i)
      d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j)
      d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.size()][b.size()];
  };
  const Command* best = nullptr;
  size_t best_distance = 3; // more than two edits: no suggestion
  for (const Command& command : commands()) {
    const size_t d = distance(name, command.name);
    if (d < best_distance) {
      best = &command;
      best_distance = d;
    }
  }
  return best;
}

int main(int argc, const char* const* argv) {
  Options options;
  options.log_format = requested_log_format(argc, argv);
  std::string command = "materialize";
  for (int i = 1; i < argc; ++i) {
    if (find_command(argv[i])) {
      command = argv[i];
      break;
    }
  }
  try {
    options = parse_options(argc, argv);
    if (options.help) {
      std::cout << help_text();
      return 0;
    }
    if (options.version) {
      std::cout << "config-init " CONFIG_INIT_VERSION "\n";
      return 0;
    }
    Log configured(options.log_format);
    configured.set_quiet(options.quiet);
    return find_command(options.command)->run(options, configured);
  } catch (const Error& error) {
    Log log(options.log_format);
    log.error(error.what(),
              {{"event", "failure"}, log_number("exit_code", static_cast<int>(error.exit_code()))});
    write_termination_log(termination_log_path(options),
                          termination_message(command, error.what(), error.exit_code()));
    return static_cast<int>(error.exit_code());
  } catch (const std::exception& error) {
    Log log(options.log_format);
    log.error(std::string("unexpected: ") + error.what());
    write_termination_log(termination_log_path(options),
                          termination_message(command, error.what(), ExitCode::failure));
    return static_cast<int>(ExitCode::failure);
  }
}

} // namespace config_init::cli

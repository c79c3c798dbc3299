// The one error hierarchy of config-init. Orchestration code throws these;
// main() catches them once, prints the message and exits with exit_code().
#pragma once

#include <stdexcept>
#include <string>

namespace config_init {

// Process exit codes, exactly as the contract lists them.
enum class ExitCode : int {
  ok = 0,
  failure = 1, // anything else
  usage = 2,   // bad flags or spec
  input = 3,   // invalid input: parse error, forbidden symlink, policy or requirement violated
  io = 4,      // I/O failure writing or verifying the destination
  drift = 5,   // `verify` found managed files that changed
};

// Base of all config-init errors; what() is one line naming the file and the cause.
class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode exit_code() const { return code_; }

private:
  ExitCode code_;
};

// A bad command line or spec file (exit 2).
class UsageError : public Error {
public:
  explicit UsageError(const std::string& message) : Error(ExitCode::usage, message) {}
};

// Invalid input: a layer, a file in it, or a violated requirement (exit 3).
class InputError : public Error {
public:
  explicit InputError(const std::string& message) : Error(ExitCode::input, message) {}
};

// A failure to write, flush or verify the destination (exit 4).
class IoError : public Error {
public:
  explicit IoError(const std::string& message) : Error(ExitCode::io, message) {}
};

// `verify` found drift (exit 5).
class DriftError : public Error {
public:
  explicit DriftError(const std::string& message) : Error(ExitCode::drift, message) {}
};

// A run gave up waiting because SIGTERM or SIGINT asked `watch` to stop (util/stop_signal.h);
// nothing was written. `watch` exits 0 on it.
class Interrupted : public Error {
public:
  explicit Interrupted(const std::string& message) : Error(ExitCode::ok, message) {}
};

// "<what>: <strerror(errnum)>", for messages about failed system calls.
std::string errno_message(const std::string& what, int errnum);

} // namespace config_init

// Logs to stderr: human text on a terminal, JSON lines otherwise.
// Every line has a human message; JSON lines also carry structured fields.
// Lines are buffered: info lines reach the stream when the buffer passes 64 KiB, with the
// next notice, warning or error, on flush(), and when the Log is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace config_init {

enum class LogFormat { text, json };

// One structured field of a log line; `number` fields are emitted unquoted in JSON.
struct LogField {
  std::string key;
  std::string value;
  bool number = false;
};
using LogFields = std::vector<LogField>;
LogField log_number(std::string key, int64_t value);

class Log {
public:
  enum class Level { info, notice, warn, error }; // notice: info that --quiet keeps

  // Writes to `out` (stderr by default) in `format`.
  explicit Log(LogFormat format);
  Log(LogFormat format, std::ostream& out);
  // Writes out what is still buffered.
  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  void info(const std::string& message, const LogFields& fields = {}) {
    write(Level::info, message, fields);
  }
  void notice(const std::string& message, const LogFields& fields = {}) {
    write(Level::notice, message, fields);
  }
  void warn(const std::string& message, const LogFields& fields = {}) {
    write(Level::warn, message, fields);
  }
  void error(const std::string& message, const LogFields& fields = {}) {
    write(Level::error, message, fields);
  }
  void write(Level level, const std::string& message, const LogFields& fields);

  // Writes the buffered lines to the stream and flushes it. Call it before blocking or
  // waiting, so that the lines logged so far are seen.
  void flush();

  // Suppresses info lines (notices, warnings and errors still print).
  void set_quiet(bool quiet) { quiet_ = quiet; }
  LogFormat format() const { return format_; }

private:
  LogFormat format_;
  std::ostream& out_;
  bool quiet_ = false;
  std::string buffer_; // lines not yet written to out_
};

// Milliseconds since `start`, for the timings logs report.
int64_t elapsed_ms(std::chrono::steady_clock::time_point start);

// text when stderr is a terminal, json otherwise (the contract's default).
LogFormat default_log_format();

} // namespace config_init

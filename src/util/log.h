// Logs to stderr: human text on a terminal, JSON lines otherwise.
// Every line has a human message; JSON lines also carry structured fields.
#pragma once

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

  // Suppresses info lines (notices, warnings and errors still print).
  void set_quiet(bool quiet) { quiet_ = quiet; }
  LogFormat format() const { return format_; }

private:
  LogFormat format_;
  std::ostream& out_;
  bool quiet_ = false;
};

// text when stderr is a terminal, json otherwise (the contract's default).
LogFormat default_log_format();

} // namespace config_init

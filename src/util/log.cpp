#include "util/log.h"

#include <chrono>
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace config_init {

namespace {

const char* level_name(Log::Level level) {
  switch (level) {
  case Log::Level::info:
  case Log::Level::notice:
    return "info";
  case Log::Level::warn:
    return "warn";
  case Log::Level::error:
    return "error";
  }
  return "info";
}

// UTC time as RFC 3339 with milliseconds, e.g. 2026-11-28T12:00:00.123Z.
std::string utc_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t seconds = system_clock::to_time_t(now);
  const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  const size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(length), buffer,
                static_cast<int>(millis));
  return out;
}

} // namespace

LogField log_number(std::string key, int64_t value) {
  return LogField{std::move(key), std::to_string(value), true};
}

Log::Log(LogFormat format) : Log(format, std::cerr) {}

Log::Log(LogFormat format, std::ostream& out) : format_(format), out_(out) {}

void Log::write(Level level, const std::string& message, const LogFields& fields) {
  if (quiet_ && level == Level::info) return;
  if (format_ == LogFormat::text) {
    std::string line = "config-init: ";
    if (level == Level::warn) line += "warning: ";
    if (level == Level::error) line += "error: ";
    line += message;
    line += '\n';
    out_ << line << std::flush;
    return;
  }
  nlohmann::ordered_json json;
  json["time"] = utc_timestamp();
  json["level"] = level_name(level);
  json["msg"] = message;
  for (const LogField& field : fields) {
    if (field.number) {
      json[field.key] = std::stoll(field.value);
    } else {
      json[field.key] = field.value;
    }
  }
  out_ << json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" << std::flush;
}

LogFormat default_log_format() {
  return isatty(STDERR_FILENO) ? LogFormat::text : LogFormat::json;
}

} // namespace config_init

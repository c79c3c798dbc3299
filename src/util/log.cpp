#include "util/log.h"

#include "util/json.h"

#include <chrono>
#include <ctime>
#include <iostream>
#include <unistd.h>

namespace config_init {

namespace {

// The buffer is written out once it holds more than this many bytes.
constexpr size_t flush_threshold = 64 * 1024;

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

// The value of a number field as nlohmann-json printed it: the integer std::stoll reads
// (which throws std::invalid_argument / std::out_of_range for a non-number, as before).
std::string number_text(const std::string& value) {
  return std::to_string(std::stoll(value));
}

// `"key":value` of one member of a JSON line (the value quoted unless it is a number).
void append_member(std::string& line, const std::string& key, const std::string& value,
                   bool number) {
  line += '"';
  json::append_string(line, key);
  line += "\":";
  if (number) {
    line += number_text(value);
  } else {
    line += '"';
    json::append_string(line, value);
    line += '"';
  }
}

// One JSON log line, as nlohmann::ordered_json built it: keys in the order first set
// (time, level, msg, then the fields), and a key set again (a field named "msg", or the
// same field twice) keeps its first place and takes its last value.
void append_json_line(std::string& line, Log::Level level, const std::string& message,
                      const LogFields& fields) {
  for (const LogField& field : fields) {
    // Every number is checked (and may throw), even one a later field replaces.
    if (field.number) static_cast<void>(std::stoll(field.value));
  }
  // The last field named `key` at index `from` or after, or nullptr.
  const auto last_field = [&fields](const std::string& key, size_t from) -> const LogField* {
    for (size_t i = fields.size(); i > from; --i) {
      if (fields[i - 1].key == key) return &fields[i - 1];
    }
    return nullptr;
  };
  static const std::string fixed_keys[] = {"time", "level", "msg"};
  const std::string time = utc_timestamp();
  const std::string level_text = level_name(level);
  const std::string* const fixed_values[] = {&time, &level_text, &message};
  line += '{';
  for (size_t i = 0; i < 3; ++i) {
    if (i > 0) line += ',';
    if (const LogField* field = last_field(fixed_keys[i], 0)) {
      append_member(line, fixed_keys[i], field->value, field->number);
    } else {
      append_member(line, fixed_keys[i], *fixed_values[i], false);
    }
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& key = fields[i].key;
    bool placed = key == fixed_keys[0] || key == fixed_keys[1] || key == fixed_keys[2];
    for (size_t j = 0; j < i && !placed; ++j)
      placed = fields[j].key == key;
    if (placed) continue; // at its first occurrence, with its last value
    const LogField& last = *last_field(key, i);
    line += ',';
    append_member(line, key, last.value, last.number);
  }
  line += "}\n";
}

} // namespace

LogField log_number(std::string key, int64_t value) {
  return LogField{std::move(key), std::to_string(value), true};
}

Log::Log(LogFormat format) : Log(format, std::cerr) {}

Log::Log(LogFormat format, std::ostream& out) : format_(format), out_(out) {}

Log::~Log() {
  try {
    flush();
  } catch (...) { // a stream set to throw must not end the program from a destructor
  }
}

void Log::write(Level level, const std::string& message, const LogFields& fields) {
  if (quiet_ && level == Level::info) return;
  if (format_ == LogFormat::text) {
    buffer_ += "config-init: ";
    if (level == Level::warn) buffer_ += "warning: ";
    if (level == Level::error) buffer_ += "error: ";
    buffer_ += message;
    buffer_ += '\n';
  } else {
    // A number field that is not a number throws: the buffer is left as it was.
    const size_t before = buffer_.size();
    try {
      append_json_line(buffer_, level, message, fields);
    } catch (...) {
      buffer_.resize(before);
      throw;
    }
  }
  if (level != Level::info || buffer_.size() > flush_threshold) flush();
}

void Log::flush() {
  if (!buffer_.empty()) {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }
  out_.flush();
}

LogFormat default_log_format() {
  return isatty(STDERR_FILENO) ? LogFormat::text : LogFormat::json;
}

int64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

} // namespace config_init

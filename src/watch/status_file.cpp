#include "watch/status_file.h"

#include "publish/publish.h"
#include "util/error.h"
#include "util/fs.h"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace config_init::watch {

namespace {

nlohmann::json time_or_null(int64_t unix_ms) {
  return unix_ms > 0 ? nlohmann::json(rfc3339_utc(unix_ms)) : nlohmann::json(nullptr);
}

} // namespace

std::string rfc3339_utc(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(unix_ms % 1000));
  return std::string(text) + millis;
}

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string serialize_status(const Status& status) {
  nlohmann::ordered_json json;
  json["healthy"] = status.last_success_unix_ms > 0 && !status.degraded;
  json["degraded"] = status.degraded;
  json["last_success"] = time_or_null(status.last_success_unix_ms);
  json["last_success_unix_ms"] = status.last_success_unix_ms;
  json["last_error"] =
      status.last_error_unix_ms > 0 ? nlohmann::json(status.last_error) : nlohmann::json(nullptr);
  json["last_error_exit_code"] = status.last_error_exit_code;
  json["last_error_time"] = time_or_null(status.last_error_unix_ms);
  json["last_error_unix_ms"] = status.last_error_unix_ms;
  json["runs"] = status.runs;
  json["failures"] = status.failures;
  json["files"] = status.files;
  json["last_duration_ms"] = status.last_duration_ms;
  json["last_trigger"] = status.last_trigger;
  json["pid"] = status.pid;
  return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Status parse_status(const std::string& text, const std::string& shown) {
  try {
    const nlohmann::json json = nlohmann::json::parse(text);
    Status status;
    status.degraded = json.at("degraded").get<bool>();
    status.last_success_unix_ms = json.at("last_success_unix_ms").get<int64_t>();
    status.last_error_unix_ms = json.at("last_error_unix_ms").get<int64_t>();
    if (json.at("last_error").is_string()) status.last_error = json.at("last_error");
    status.last_error_exit_code = json.at("last_error_exit_code").get<int>();
    status.runs = json.at("runs").get<int64_t>();
    status.failures = json.at("failures").get<int64_t>();
    status.files = json.at("files").get<int64_t>();
    status.last_duration_ms = json.at("last_duration_ms").get<int64_t>();
    status.last_trigger = json.at("last_trigger").get<std::string>();
    status.pid = json.at("pid").get<int64_t>();
    return status;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(shown + ": not a status written by config-init watch (" + error.what() + ")");
  }
}

void write_status(const SafeDir& dest, const Status& status) {
  publish::write_file_atomically(dest, status_path, serialize_status(status), 0644);
}

std::optional<Status> read_status(const SafeDir& dest) {
  FileDescriptor fd;
  std::string text;
  int error = dest.open_file(status_path, fd);
  if (error == ENOENT) return std::nullopt;
  if (!error) error = read_all(fd.get(), text);
  const std::string shown = dest.path() + "/" + status_path;
  if (error) throw InputError(errno_message("cannot read " + shown, error));
  return parse_status(text, shown);
}

} // namespace config_init::watch

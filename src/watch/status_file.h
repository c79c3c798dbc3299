// DEST/.config-init/status.json: what `watch` reports after every run, for `status` (the
// exec probe) to read. Written atomically (temporary file + rename), so a reader sees the
// last status or the one before, never a torn one.
#pragma once

#include "util/safe_dir.h"

#include <cstdint>
#include <optional>
#include <string>

namespace config_init::watch {

constexpr const char* status_path = ".config-init/status.json";

struct Status {
  int64_t pid = 0;
  int64_t runs = 0;                 // runs since `watch` started, the first one included
  int64_t failures = 0;             // runs that failed
  bool degraded = false;            // the last run failed
  int64_t last_success_unix_ms = 0; // 0: never
  int64_t last_error_unix_ms = 0;   // 0: no failure yet
  std::string last_error;           // the message of the last failure
  int last_error_exit_code = 0;     // its exit code (3 input, 4 I/O, ...)
  int64_t files = 0;                // files managed after the last success
  int64_t last_duration_ms = 0;     // of the last run
  std::string last_trigger;         // why the last run started ("resync", ...)
};

// The JSON text of `status` (times also as RFC 3339 UTC strings, for people).
std::string serialize_status(const Status& status);
// Parses what serialize_status wrote; throws InputError naming `shown` otherwise.
Status parse_status(const std::string& text, const std::string& shown);

// Writes DEST/.config-init/status.json atomically. Throws IoError.
void write_status(const SafeDir& dest, const Status& status);
// Reads it; nullopt when there is none. Throws InputError when it is not valid.
std::optional<Status> read_status(const SafeDir& dest);

// "2026-12-01T05:10:00.123Z".
std::string rfc3339_utc(int64_t unix_ms);
// Milliseconds since the epoch, now.
int64_t now_unix_ms();

} // namespace config_init::watch

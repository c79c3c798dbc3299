// util::json's string escaper and util::utf8's decoder against nlohmann-json, then
// Log: the hand-built JSON lines against nlohmann-json (the oracle: the lines were built
// with nlohmann::ordered_json before), and the buffering rules.
#include "util/json.h"
#include "util/log.h"
#include "util/utf8.h"

#include <cstdint>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

using config_init::Log;
using config_init::log_number;
using config_init::LogField;
using config_init::LogFields;
using config_init::LogFormat;

namespace {

// What nlohmann-json writes for `text` as a JSON string, quotes included.
std::string oracle(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Whether nlohmann-json takes `text` as valid UTF-8: its `replace` and `ignore` handlers
// differ exactly when there is something to replace (and no exception is thrown, which
// would make the exhaustive cases slow).
bool oracle_valid(const std::string& text) {
  const nlohmann::json json(text);
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) ==
         json.dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore);
}

std::string ours(const std::string& text, bool* valid = nullptr) {
  std::string out = "\"";
  const bool ok = config_init::json::append_string(out, text);
  if (valid) *valid = ok;
  return out + "\"";
}

// Checks one string; returns whether it matched (CHECKs on mismatch, with the bytes).
bool same_as_oracle(const std::string& text) {
  bool valid = false;
  const std::string got = ours(text, &valid);
  const std::string want = oracle(text);
  if (got == want && valid == oracle_valid(text) && valid == config_init::valid_utf8(text))
    return true;
  std::string bytes;
  for (unsigned char c : text) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%02x ", c);
    bytes += hex;
  }
  CAPTURE(bytes);
  CHECK(got == want);
  CHECK(valid == oracle_valid(text));
  CHECK(config_init::valid_utf8(text) == oracle_valid(text)); // the one decoder, both uses
  return false;
}

// Bytes that matter to UTF-8 decoding and JSON escaping.
const std::vector<unsigned char> interesting = {
    0x00, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x20, 0x22, 0x41, 0x5c, 0x7f,
    0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
    0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};

// A random string mixing random bytes, control characters, quotes, backslashes, valid
// multibyte characters, and truncated or invalid sequences.
std::string random_text(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "\"",
      "\\",
      "\n",
      "\t",
      "\x01",
      "\x1f",
      "\x7f",
      "/",
      "é",
      "€",
      "𝄞",
      "日本",
      "\xc3",
      "\xe2\x82",
      "\xf0\x9d\x84",
      "\xed\xa0\x80",
      "\xc0\xaf",
      "\xe0\x80\xaf",
      "\xf4\x90\x80\x80",
      "\xef\xbf\xbd",
      "\xef\xbf\xbf",
      "\xf8\x88\x80",
      "\x80\x80",
      "plain ascii",
  };
  std::uniform_int_distribution<int> length(0, 24);
  std::uniform_int_distribution<int> kind(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<size_t> pick(0, interesting.size() - 1);
  std::string text;
  for (int n = length(rng); n > 0; --n) {
    switch (kind(rng)) {
    case 0:
      text += static_cast<char>(byte(rng));
      break;
    case 1:
      text += static_cast<char>(interesting[pick(rng)]);
      break;
    case 2:
      text += pieces[piece(rng)];
      break;
    default:
      text += static_cast<char>(0x20 + byte(rng) % 0x5f);
      break;
    }
  }
  return text;
}

// The line the Log wrote before (nlohmann::ordered_json), for the same time, level,
// message and fields.
std::string oracle_line(const std::string& time, const char* level, const std::string& message,
                        const LogFields& fields) {
  nlohmann::ordered_json json;
  json["time"] = time;
  json["level"] = level;
  json["msg"] = message;
  for (const LogField& field : fields) {
    if (field.number) {
      json[field.key] = std::stoll(field.value);
    } else {
      json[field.key] = field.value;
    }
  }
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The time our line carries (its first member, always valid text).
std::string time_of(const std::string& line) {
  REQUIRE(line.rfind("{\"time\":\"", 0) == 0);
  return line.substr(9, 24);
}

} // namespace

TEST_SUITE("util::json and util::utf8") {
  TEST_CASE("JSON strings are escaped exactly as nlohmann-json escapes them") {
    CHECK(ours("plain") == "\"plain\"");
    CHECK(ours("a\"b\\c\b\f\n\r\t\x01\x1f\x7f") ==
          "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    CHECK(ours(std::string("\0", 1)) == "\"\\u0000\"");
    CHECK(ours("é€𝄞") == "\"é€𝄞\"");
    CHECK(ours("\xff") == "\"\xEF\xBF\xBD\"");
    for (const char* text : {"", "\"", "\\", "\xc3", "\xc3(", "\xe2\x82", "\xe2\x82(",
                             "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xf0\x9d\x84\"",
                             "a\xe2\x82\xac\xe2\x82", "\xe0\x80\xaf", "\x80\xbf\xc2"}) {
      CHECK(same_as_oracle(text));
    }
  }

  TEST_CASE("every string of up to two bytes matches nlohmann-json") {
    size_t mismatches = 0;
    for (int a = 0; a < 256 && mismatches < 10; ++a) {
      if (!same_as_oracle(std::string(1, static_cast<char>(a)))) ++mismatches;
      for (int b = 0; b < 256 && mismatches < 10; ++b) {
        const char two[] = {static_cast<char>(a), static_cast<char>(b)};
        if (!same_as_oracle(std::string(two, 2))) ++mismatches;
      }
    }
    CHECK(mismatches == 0);
  }

  TEST_CASE("every four-byte string of the bytes that matter matches nlohmann-json") {
    size_t mismatches = 0;
    std::string text(4, '\0');
    for (unsigned char a : interesting) {
      for (unsigned char b : interesting) {
        for (unsigned char c : interesting) {
          for (unsigned char d : interesting) {
            text[0] = static_cast<char>(a);
            text[1] = static_cast<char>(b);
            text[2] = static_cast<char>(c);
            text[3] = static_cast<char>(d);
            if (mismatches < 10 && !same_as_oracle(text)) ++mismatches;
          }
        }
      }
    }
    CHECK(mismatches == 0);
  }

  TEST_CASE("random strings (fixed seed) match nlohmann-json") {
    std::mt19937 rng(20261128);
    size_t mismatches = 0;
    for (int i = 0; i < 50000 && mismatches < 10; ++i) {
      if (!same_as_oracle(random_text(rng))) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
}

TEST_SUITE("util::log") {
  TEST_CASE("JSON lines equal nlohmann's dump of the old ordered_json") {
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
      const std::string message = random_text(rng);
      LogFields fields;
      const int count = static_cast<int>(rng() % 5);
      for (int f = 0; f < count; ++f) {
        if (rng() % 3 == 0) {
          fields.push_back(log_number(random_text(rng), static_cast<int64_t>(rng()) - 2000000000));
        } else {
          fields.push_back({random_text(rng), random_text(rng)});
        }
      }
      std::ostringstream out;
      {
        Log log(LogFormat::json, out);
        log.warn(message, fields);
      }
      const std::string line = out.str();
      CHECK(line == oracle_line(time_of(line), "warn", message, fields));
    }
  }

  TEST_CASE("a key set twice keeps its first place and its last value, as ordered_json did") {
    const std::vector<std::pair<Log::Level, const char*>> levels = {{Log::Level::info, "info"},
                                                                    {Log::Level::notice, "info"},
                                                                    {Log::Level::warn, "warn"},
                                                                    {Log::Level::error, "error"}};
    const std::vector<LogFields> cases = {
        {},
        {{"path", "a"}, log_number("size", 3)},
        {{"msg", "replaced"}},
        {{"path", "a"}, {"other", "b"}, {"path", "c"}},
        {log_number("level", 5), {"time", "then"}},
        {{"n", "1"}, log_number("n", -9)},
        {log_number("n", INT64_MIN), log_number("m", INT64_MAX)},
        {{"n", "+5", true}, {"m", "007", true}, {"k", " 12", true}},
        {{"", ""}, {"\xff", "\xfe"}, {"\xef\xbf\xbd", "x"}}};
    for (const auto& [level, name] : levels) {
      for (const LogFields& fields : cases) {
        std::ostringstream out;
        {
          Log log(LogFormat::json, out);
          log.write(level, "the message \"quoted\"", fields);
        }
        const std::string line = out.str();
        CHECK(line == oracle_line(time_of(line), name, "the message \"quoted\"", fields));
      }
    }
  }

  TEST_CASE("the time is RFC 3339 UTC with milliseconds") {
    std::ostringstream out;
    Log(LogFormat::json, out).notice("x");
    const std::string time = time_of(out.str());
    CHECK(time.size() == 24);
    CHECK(time[4] == '-');
    CHECK(time[10] == 'T');
    CHECK(time[19] == '.');
    CHECK(time[23] == 'Z');
    CHECK(out.str().substr(33) == "\",\"level\":\"info\",\"msg\":\"x\"}\n");
  }

  TEST_CASE("a number field that is not a number throws and writes nothing, as before") {
    std::ostringstream out;
    {
      Log log(LogFormat::json, out);
      CHECK_THROWS_AS(log.warn("m", {{"n", "abc", true}, {"n", "1", true}}), std::invalid_argument);
      CHECK_THROWS_AS(log.warn("m", {{"n", "99999999999999999999", true}}), std::out_of_range);
      log.flush();
      CHECK(out.str().empty());
    }
    CHECK(out.str().empty());
  }

  TEST_CASE("text lines are unchanged") {
    std::ostringstream out;
    {
      Log log(LogFormat::text, out);
      log.info("one", {{"path", "x"}});
      log.notice("two");
      log.warn("three");
      log.error("four");
    }
    CHECK(out.str() == "config-init: one\nconfig-init: two\nconfig-init: warning: three\n"
                       "config-init: error: four\n");
  }

  TEST_CASE("info lines wait in the buffer until flush, a notice or the destructor") {
    for (const LogFormat format : {LogFormat::json, LogFormat::text}) {
      CAPTURE(format == LogFormat::json);
      std::ostringstream out;
      {
        Log log(format, out);
        log.info("first");
        log.info("second");
        CHECK(out.str().empty());
        log.flush();
        CHECK(out.str().find("second") != std::string::npos);
        const size_t flushed = out.str().size();
        log.info("third");
        CHECK(out.str().size() == flushed);
        log.notice("fourth");
        CHECK(out.str().find("third") < out.str().find("fourth"));
        log.info("fifth");
        CHECK(out.str().find("fifth") == std::string::npos);
      }
      CHECK(out.str().find("fifth") != std::string::npos);
    }
  }

  TEST_CASE("warnings and errors are written at once, after the info lines before them") {
    for (const LogFormat format : {LogFormat::json, LogFormat::text}) {
      std::ostringstream out;
      Log log(format, out);
      log.info("before");
      log.warn("careful");
      CHECK(out.str().find("before") < out.str().find("careful"));
      log.info("again");
      log.error("failed");
      CHECK(out.str().find("again") < out.str().find("failed"));
    }
  }

  TEST_CASE("the buffer is written out once it passes 64 KiB") {
    std::ostringstream out;
    Log log(LogFormat::text, out);
    const std::string message(1000, 'x');
    size_t written = 0;
    int lines = 0;
    while (out.str().empty()) {
      log.info(message);
      written += 1000 + 14; // "config-init: " and the newline
      ++lines;
      REQUIRE(lines < 100);
    }
    CHECK(written > 64 * 1024);
    CHECK(written - 1014 <= 64 * 1024);
    CHECK(out.str().size() == written);
  }

  TEST_CASE("quiet drops info lines but keeps notices") {
    std::ostringstream out;
    {
      Log log(LogFormat::text, out);
      log.set_quiet(true);
      log.info("hidden");
      log.notice("shown");
    }
    CHECK(out.str() == "config-init: shown\n");
  }
}

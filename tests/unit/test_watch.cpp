#include "util/error.h"
#include "watch/duration.h"
#include "watch/schedule.h"
#include "watch/status_file.h"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using config_init::watch::Schedule;

TEST_SUITE("watch::parse_duration") {
  TEST_CASE("an integer with ms, s or m") {
    using config_init::watch::parse_duration;
    CHECK(parse_duration("500ms", "debounce") == 500ms);
    CHECK(parse_duration("60s", "resync") == 60000ms);
    CHECK(parse_duration("2m", "resync") == 120000ms);
    CHECK(parse_duration("0s", "resync") == 0ms);
    for (const char* bad : {"", "s", "10", "1.5s", "-1s", "10h", "5 s", "1234567890s"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(parse_duration(bad, "resync"), config_init::UsageError);
    }
  }
}

TEST_SUITE("watch::Schedule") {
  const Schedule::Clock::time_point t0{};

  TEST_CASE("idle: sleeps until the resync, then runs one") {
    Schedule schedule(1000ms, 60000ms, t0);
    CHECK(schedule.timeout_ms(t0) == 60000);
    CHECK_FALSE(schedule.due(t0 + 59999ms));
    CHECK(schedule.due(t0 + 60000ms) == std::string("resync"));
    schedule.ran(t0 + 60100ms);
    CHECK(schedule.timeout_ms(t0 + 60100ms) == 60000);
  }

  TEST_CASE("no resync: sleeps forever until an event") {
    Schedule schedule(1000ms, 0ms, t0);
    CHECK(schedule.timeout_ms(t0) == -1);
    CHECK_FALSE(schedule.due(t0 + 1000000ms));
  }

  TEST_CASE("events inside the debounce window make one run, named by their triggers") {
    Schedule schedule(1000ms, 60000ms, t0);
    schedule.on_event("..data swapped in layer 2", t0 + 10ms);
    CHECK(schedule.timeout_ms(t0 + 10ms) == 1000);
    schedule.on_event("..data swapped in layer 2", t0 + 500ms);
    schedule.on_event("file changed in layer 1: a.toml", t0 + 900ms);
    // The window opened by the first event does not move: a steady stream still runs.
    CHECK(schedule.timeout_ms(t0 + 900ms) == 110);
    CHECK_FALSE(schedule.due(t0 + 1009ms));
    CHECK(schedule.due(t0 + 1010ms) ==
          std::string("..data swapped in layer 2; file changed in layer 1: a.toml"));
    schedule.ran(t0 + 1100ms);
    CHECK_FALSE(schedule.due(t0 + 2000ms));
    CHECK(schedule.timeout_ms(t0 + 1100ms) == 60000);
  }

  TEST_CASE("many distinct triggers are counted, not listed") {
    Schedule schedule(0ms, 0ms, t0);
    for (int i = 0; i < 5; ++i)
      schedule.on_event("file changed in layer 1: f" + std::to_string(i), t0);
    CHECK(schedule.due(t0) == std::string("file changed in layer 1: f0; file changed in layer "
                                          "1: f1; file changed in layer 1: f2 and 2 more"));
  }
}

TEST_SUITE("watch::status_file") {
  TEST_CASE("serialize and parse round-trip") {
    config_init::watch::Status status;
    status.pid = 42;
    status.runs = 7;
    status.failures = 2;
    status.degraded = true;
    status.last_success_unix_ms = 1796101367657;
    status.last_error_unix_ms = 1796101368000;
    status.last_error = "l2/config.toml:1:5: expected \"=\"";
    status.last_error_exit_code = 3;
    status.files = 5;
    status.last_duration_ms = 12;
    status.last_trigger = "..data swapped in layer 2";
    const std::string text = config_init::watch::serialize_status(status);
    CHECK(text.find("\"last_success\": \"2026-12-01T05:02:47.657Z\"") != std::string::npos);
    CHECK(text.find("\"healthy\": false") != std::string::npos);
    const auto back = config_init::watch::parse_status(text, "status.json");
    CHECK(back.pid == 42);
    CHECK(back.runs == 7);
    CHECK(back.failures == 2);
    CHECK(back.degraded);
    CHECK(back.last_success_unix_ms == 1796101367657);
    CHECK(back.last_error == status.last_error);
    CHECK(back.last_error_exit_code == 3);
    CHECK(back.last_trigger == status.last_trigger);
    CHECK_THROWS_AS(config_init::watch::parse_status("{}", "status.json"), config_init::InputError);
    CHECK_THROWS_AS(config_init::watch::parse_status("not json", "status.json"),
                    config_init::InputError);
  }
}

// util::text: the small text jobs shared by the formats, the merge and the logs.
#include "util/text.h"

#include <cstdlib>
#include <doctest/doctest.h>
#include <string>

using namespace config_init;

TEST_SUITE("util::text") {
  TEST_CASE("shortest_float is the shortest round-trip text, always in a float form") {
    CHECK(text::shortest_float(1.0) == "1.0");
    CHECK(text::shortest_float(-2.0) == "-2.0");
    CHECK(text::shortest_float(0.1) == "0.1");
    CHECK(text::shortest_float(-0.0) == "-0.0");
    CHECK(text::shortest_float(1e300) == "1e+300");
    CHECK(text::shortest_float(1.5e-7) == "1.5e-07");
    CHECK(text::shortest_float(123456789012.5) == "123456789012.5");
    for (const double number : {0.1, 1.0 / 3.0, 6.02214076e23, 5e-324, 1.7976931348623157e308}) {
      CHECK(std::strtod(text::shortest_float(number).c_str(), nullptr) == number);
    }
  }

  TEST_CASE("line_column counts lines from 1 and bytes in the line from 1") {
    CHECK(text::line_column("abc", 0) == "1:1");
    CHECK(text::line_column("abc", 2) == "1:3");
    CHECK(text::line_column("a\nbc", 2) == "2:1");
    CHECK(text::line_column("a\nbc\n", 4) == "2:3");
    CHECK(text::line_column("a\n\xc3\xa9x", 4) == "2:3"); // é is two bytes
    CHECK(text::line_column("ab", 99) == "1:3");          // past the end: the end
  }

  TEST_CASE("short_escape gives the escapes JSON and TOML share, and nothing else") {
    CHECK(std::string(text::short_escape('"')) == "\\\"");
    CHECK(std::string(text::short_escape('\\')) == "\\\\");
    CHECK(std::string(text::short_escape('\n')) == "\\n");
    CHECK(std::string(text::short_escape('\t')) == "\\t");
    CHECK(std::string(text::short_escape('\r')) == "\\r");
    CHECK(std::string(text::short_escape('\b')) == "\\b");
    CHECK(std::string(text::short_escape('\f')) == "\\f");
    CHECK(text::short_escape('a') == nullptr);
    CHECK(text::short_escape('\x01') == nullptr);
    CHECK(text::short_escape('\x7f') == nullptr);
  }

  TEST_CASE("shown_key_path and shown_bytes are what messages print") {
    CHECK(text::shown_key_path("") == "(top level)");
    CHECK(text::shown_key_path("a.b") == "a.b");
    CHECK(text::shown_bytes("plain name.toml") == "plain name.toml");
    CHECK(text::shown_bytes("bad\xff\x01.toml") == "bad\\xff\\x01.toml");
  }
}

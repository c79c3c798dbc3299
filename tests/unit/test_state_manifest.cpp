// The manifest: a golden text for a hand-built manifest, serialize-then-parse round trips
// on random manifests, the errors of bad manifests (exact messages, in the tables' order),
// and the optional fields.
#include "formats/format.h"
#include "state/manifest.h"
#include "util/error.h"

#include <algorithm>
#include <cstdint>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace config_init;
using state::Manifest;
using state::ManifestFile;
using state::ManifestLayer;
using state::ManifestSource;

namespace {

const std::string name = "/dest/.config-init/manifest.json";

bool same_records(const Manifest& a, const Manifest& b) {
  if (a.version != b.version || a.tool_version != b.tool_version ||
      a.layers.size() != b.layers.size() || a.files.size() != b.files.size() ||
      a.directories != b.directories || a.sources.size() != b.sources.size()) {
    return false;
  }
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const ManifestLayer &x = a.layers[i], &y = b.layers[i];
    if (x.root != y.root || x.present != y.present || x.secret != y.secret || x.files != y.files ||
        x.sha256 != y.sha256) {
      return false;
    }
  }
  for (size_t i = 0; i < a.files.size(); ++i) {
    const ManifestFile &x = a.files[i], &y = b.files[i];
    if (x.path != y.path || x.sha256 != y.sha256 || x.size != y.size || x.mode != y.mode ||
        x.layers != y.layers || x.policy != y.policy || x.merged != y.merged ||
        x.secret != y.secret || x.identity != y.identity || x.base_sha256 != y.base_sha256 ||
        x.schema_sha256 != y.schema_sha256) {
      return false;
    }
  }
  for (size_t i = 0; i < a.sources.size(); ++i) {
    const ManifestSource &x = a.sources[i], &y = b.sources[i];
    if (x.real_path != y.real_path || x.identity != y.identity || x.sha256 != y.sha256 ||
        x.size != y.size) {
      return false;
    }
  }
  return true;
}

// The error parse_manifest throws for `text` ("" when it parses).
std::string error_of(const std::string& text) {
  try {
    state::parse_manifest(text, name);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

// "<name>: not a config-init manifest (field '<field>' missing or not <kind>)"
std::string missing(const std::string& field, const std::string& kind) {
  return name + ": not a config-init manifest (field '" + field + "' missing or not " + kind + ")";
}

// A manifest with every kind of field, and the text it must be written as (by hand).
Manifest golden_manifest() {
  Manifest m;
  m.tool_version = "1.2.3";
  m.layers.push_back({"/etc/config-init/defaults", true, false, 2, "a1"});
  m.layers.push_back({"/run/cm \"q\" \\ \x01", false, true, 0, "b2"});
  ManifestFile config;
  config.path = "app/config.toml";
  config.sha256 = "c3";
  config.size = 120;
  config.mode = 0644;
  config.layers = {"/etc/config-init/defaults", "/run/cm \"q\" \\ \x01"};
  config.policy = "merge";
  config.merged = true;
  config.identity = "2049:17:1700000000:1700000001";
  config.base_sha256 = "d4";
  config.schema_sha256 = "f6,f7";
  m.files.push_back(config);
  ManifestFile other;
  other.path = "tab\there/\xc3\xbcn\xc3\xaf.json"; // "ünï"
  other.sha256 = "e5";
  other.size = 18446744073709551615u; // written as -1
  other.mode = 04755;
  other.policy = "replace";
  other.secret = true;
  m.files.push_back(other);
  m.directories = {"app", "tab\there"};
  m.sources.push_back(
      {"/etc/config-init/defaults/app/config.toml", "2049:9:1:2:3", "f6", 18446744073709551615u});
  return m;
}

const char* const golden_text = R"json({
  "version": 1,
  "tool": "config-init 1.2.3",
  "layers": [
    {
      "root": "/etc/config-init/defaults",
      "present": true,
      "secret": false,
      "files": 2,
      "sha256": "a1"
    },
    {
      "root": "/run/cm \"q\" \\ \u0001",
      "present": false,
      "secret": true,
      "files": 0,
      "sha256": "b2"
    }
  ],
  "files": [
    {
      "path": "app/config.toml",
      "sha256": "c3",
      "size": 120,
      "mode": "0644",
      "layers": [
        "/etc/config-init/defaults",
        "/run/cm \"q\" \\ \u0001"
      ],
      "policy": "merge",
      "merged": true,
      "secret": false,
      "identity": "2049:17:1700000000:1700000001",
      "base_sha256": "d4",
      "schema_sha256": "f6,f7"
    },
    {
      "path": "tab\there/ünï.json",
      "sha256": "e5",
      "size": -1,
      "mode": "4755",
      "layers": [],
      "policy": "replace",
      "merged": false,
      "secret": true
    }
  ],
  "directories": [
    "app",
    "tab\there"
  ],
  "sources": [
    {
      "path": "/etc/config-init/defaults/app/config.toml",
      "identity": "2049:9:1:2:3",
      "sha256": "f6",
      "size": 18446744073709551615
    }
  ]
}
)json";

// A small valid manifest as JSON with `files` as its files' array.
std::string with_files(const std::string& files) {
  return "{\"version\": 1, \"layers\": [], \"files\": " + files + "}";
}

// One file entry with the required fields; `extra` is added (", ..." members) or replaces
// fields given in it (a member given twice keeps its last value).
std::string file_entry(const std::string& extra = "") {
  return R"({"path": "a", "sha256": "s", "size": 1, "mode": "0644", "layers": [],
            "policy": "replace")" +
         extra + "}";
}

// A random manifest that can be written and read back: valid UTF-8, paths inside the
// destination, absolute source paths, version 1, files and sources sorted and unique.
Manifest random_manifest(std::mt19937& rng) {
  const std::vector<std::string> pieces = {"a",    " ", "\"",   "\\", "\n",     "\x01", "\xc3\xa9",
                                           "日本", "🎉", "\x7f", ".",  "config", "\t",   "-"};
  const auto text = [&] {
    std::string s;
    for (int n = static_cast<int>(rng() % 6); n > 0; --n)
      s += pieces[rng() % pieces.size()];
    return s;
  };
  const auto element = [&] {
    std::string s = "e" + text();
    return s;
  };
  const auto relative = [&] {
    std::string s = element();
    for (int n = static_cast<int>(rng() % 3); n > 0; --n)
      s += "/" + element();
    return s;
  };
  const auto u64 = [&] { return (uint64_t{rng()} << 32) | rng(); };
  Manifest m;
  m.tool_version = text();
  for (int n = static_cast<int>(rng() % 4); n > 0; --n)
    m.layers.push_back({"/" + text(), rng() % 2 == 0, rng() % 2 == 0, u64(), text()});
  std::set<std::string> paths;
  for (int n = static_cast<int>(rng() % 6); n > 0; --n)
    paths.insert(relative());
  for (const std::string& path : paths) {
    ManifestFile file;
    file.path = path;
    file.sha256 = text();
    file.size = u64();
    file.mode = static_cast<unsigned>(rng() % 010000000);
    for (int k = static_cast<int>(rng() % 3); k > 0; --k)
      file.layers.push_back(text());
    file.policy = text();
    file.merged = rng() % 2 == 0;
    file.secret = rng() % 2 == 0;
    if (rng() % 2 == 0) file.identity = text();
    if (rng() % 2 == 0) file.base_sha256 = text();
    if (rng() % 2 == 0) file.schema_sha256 = text();
    m.files.push_back(file);
  }
  for (int n = static_cast<int>(rng() % 3); n > 0; --n)
    m.directories.push_back(relative());
  std::set<std::string> sources;
  for (int n = static_cast<int>(rng() % 4); n > 0; --n)
    sources.insert("/" + text());
  for (const std::string& path : sources)
    m.sources.push_back({path, text(), text(), u64()});
  return m;
}

} // namespace

TEST_SUITE("state::manifest") {
  TEST_CASE("a manifest is written as the hand-written golden text, and read back from it") {
    const Manifest m = golden_manifest();
    CHECK(state::serialize(m) == golden_text);
    const Manifest parsed = state::parse_manifest(golden_text, name);
    CHECK(same_records(parsed, m));
  }

  TEST_CASE("written in pieces, a manifest is the same bytes, never held whole") {
    std::string joined;
    size_t pieces = 0;
    state::serialize(golden_manifest(), [&](std::string_view piece) {
      joined += piece;
      ++pieces;
    });
    CHECK(joined == golden_text);
    CHECK(pieces == 1); // smaller than one piece

    // 3,000 files: some 900 KB of text, handed over in pieces of about 64 KiB, each ending
    // where a record ends.
    Manifest large = golden_manifest();
    for (int i = 0; i < 3000; ++i) {
      state::ManifestFile file = large.files[0];
      file.path = "skills/s" + std::to_string(100000 + i) + "/SKILL.md";
      large.files.push_back(file);
    }
    std::sort(
        large.files.begin(), large.files.end(),
        [](const state::ManifestFile& a, const state::ManifestFile& b) { return a.path < b.path; });
    joined.clear();
    size_t largest = 0;
    std::vector<char> last_bytes;
    state::serialize(large, [&](std::string_view piece) {
      joined += piece;
      largest = std::max(largest, piece.size());
      last_bytes.push_back(piece.back());
    });
    CHECK(joined == state::serialize(large));
    CHECK(same_records(state::parse_manifest(joined, name), large));
    CHECK(last_bytes.size() > 10);
    CHECK(largest < 80 * 1024);
    for (size_t i = 0; i + 1 < last_bytes.size(); ++i)
      CHECK(last_bytes[i] == '}');
    CHECK(last_bytes.back() == '\n');
  }

  TEST_CASE("an empty manifest is written with empty arrays and without sources") {
    CHECK(state::serialize(Manifest{}) == "{\n  \"version\": 1,\n  \"tool\": \"config-init \",\n"
                                          "  \"layers\": [],\n  \"files\": [],\n"
                                          "  \"directories\": []\n}\n");
  }

  TEST_CASE("empty optional fields are not written, so older manifests keep their bytes") {
    Manifest m = golden_manifest();
    m.files[0].identity.clear();
    m.files[0].base_sha256.clear();
    m.files[0].schema_sha256.clear();
    m.sources.clear();
    const std::string text = state::serialize(m);
    CHECK(text.find("identity") == std::string::npos);
    CHECK(text.find("schema_sha256") == std::string::npos);
    CHECK(text.find("base_sha256") == std::string::npos);
    CHECK(text.find("sources") == std::string::npos);
    CHECK(text.find("      \"secret\": false\n    },\n") != std::string::npos);
    const std::string end = "  \"directories\": [\n    \"app\",\n    \"tab\\there\"\n  ]\n}\n";
    CHECK(text.compare(text.size() - end.size(), end.size(), end) == 0);
    const Manifest parsed = state::parse_manifest(text, name);
    CHECK(same_records(parsed, m));
  }

  TEST_CASE("random manifests round-trip: serialize, parse, serialize gives the same") {
    std::mt19937 rng(424242);
    for (int round = 0; round < 300; ++round) {
      const Manifest m = random_manifest(rng);
      const std::string text = state::serialize(m);
      CAPTURE(text);
      const Manifest parsed = state::parse_manifest(text, name);
      REQUIRE(same_records(parsed, m));
      REQUIRE(state::serialize(parsed) == text);
      // The layout is nlohmann-json's dump(2) of the same document (manifests on disk were
      // written that way): an unchanged manifest is never rewritten.
      REQUIRE(nlohmann::ordered_json::parse(text).dump(2, ' ', false) + "\n" == text);
    }
  }

  TEST_CASE("parsing sorts files and sources; find and find_source look them up") {
    const Manifest parsed = state::parse_manifest(
        R"({"version": 1, "layers": [], "files": [)" + file_entry(R"(, "path": "z")") + "," +
            file_entry(R"(, "path": "b/c")") + "," + file_entry(R"(, "path": "b")") +
            R"(], "sources": [{"path": "/z/last", "identity": "1", "sha256": "s", "size": 1},
                {"path": "/a/first", "identity": "2", "sha256": "s", "size": 2}]})",
        name);
    REQUIRE(parsed.files.size() == 3);
    CHECK(parsed.files[0].path == "b");
    CHECK(parsed.files[1].path == "b/c");
    CHECK(parsed.files[2].path == "z");
    REQUIRE(parsed.find("b/c") != nullptr);
    CHECK(parsed.find("b/c") == &parsed.files[1]);
    CHECK(parsed.find("b/") == nullptr);
    CHECK(parsed.find("") == nullptr);
    REQUIRE(parsed.sources.size() == 2);
    CHECK(parsed.sources[0].real_path == "/a/first");
    REQUIRE(parsed.find_source("/z/last") != nullptr);
    CHECK(parsed.find_source("/z/last")->identity == "1");
    CHECK(parsed.find_source("/z/las") == nullptr);
    CHECK(Manifest{}.find_source("/a") == nullptr);
  }

  TEST_CASE("a string that is not UTF-8 is refused, naming the first bad byte") {
    Manifest m = golden_manifest();
    m.files[1].policy = "bad\xff";
    CHECK_THROWS_WITH_AS(state::serialize(m),
                         ".config-init/manifest.json: cannot write JSON: "
                         "[json.exception.type_error.316] invalid UTF-8 byte at index 3: 0xFF",
                         InputError);
    m = golden_manifest();
    m.sources[0].real_path = "/a\xc3(";
    CHECK_THROWS_WITH_AS(state::serialize(m),
                         ".config-init/manifest.json: cannot write JSON: "
                         "[json.exception.type_error.316] invalid UTF-8 byte at index 3: 0x28",
                         InputError);
    m = golden_manifest();
    m.tool_version = "\xed\xa0\x80"; // a surrogate
    CHECK_THROWS_AS(state::serialize(m), InputError);
  }

  TEST_CASE("a mode is written as at least 4 and at most 7 octal digits") {
    Manifest m;
    m.files.push_back({"f", "s", 0, 0, {}, "p", false, false, "", "", ""});
    CHECK(state::serialize(m).find("\"mode\": \"0000\"") != std::string::npos);
    m.files[0].mode = 01777;
    CHECK(state::serialize(m).find("\"mode\": \"1777\"") != std::string::npos);
    m.files[0].mode = 0xFFFFFFFFu; // 37777777777: cut to 7 digits, as always
    const std::string text = state::serialize(m);
    CHECK(text.find("\"mode\": \"3777777\"") != std::string::npos);
    CHECK(state::parse_manifest(text, name).files[0].mode == 03777777);
  }

  TEST_CASE("what is not an object, or lacks a top-level field, is refused by name") {
    CHECK(error_of("[]") == name + ": not a config-init manifest (not an object)");
    CHECK(error_of("\"manifest\"") == name + ": not a config-init manifest (not an object)");
    CHECK(error_of("null") == name + ": not a config-init manifest (not an object)");
    CHECK(error_of("{}") == missing("version", "an integer"));
    CHECK(error_of(R"({"version": 1.0})") == missing("version", "an integer"));
    CHECK(error_of(R"({"version": "1"})") == missing("version", "an integer"));
    CHECK(error_of(R"({"version": 18446744073709551615})") == missing("version", "an integer"));
    CHECK(error_of(R"({"version": 2})") ==
          name + ": manifest version 2 is not supported by this config-init");
    CHECK(error_of(R"({"version": -1, "layers": []})") ==
          name + ": manifest version -1 is not supported by this config-init");
    // Not truncated to 1 on its way into the record.
    CHECK(error_of(R"({"version": 4294967297, "layers": []})") ==
          name + ": manifest version 4294967297 is not supported by this config-init");
    CHECK(error_of(R"({"version": 1})") == missing("layers", "an array"));
    CHECK(error_of(R"({"version": 1, "layers": {}})") == missing("layers", "an array"));
    CHECK(error_of(R"({"version": 1, "layers": []})") == missing("files", "an array"));
    CHECK(error_of(R"({"version": 1, "layers": [], "files": {}})") == missing("files", "an array"));
    CHECK(error_of(R"({"version": 1, "layers": [], "files": [], "sources": {}})") ==
          missing("sources", "an array"));
    CHECK(error_of(R"({"version": 1, "layers": [], "files": [], "sources": null})") ==
          missing("sources", "an array"));
    CHECK(error_of(R"({"version": 1, "layers": [], "files": []})") == "");
  }

  TEST_CASE("a bad layer entry names its field") {
    const auto with_layers = [](const std::string& layers) {
      return "{\"version\": 1, \"layers\": " + layers + ", \"files\": []}";
    };
    CHECK(error_of(with_layers("[1]")) == missing("root", "a string"));
    CHECK(error_of(with_layers("[[]]")) == missing("root", "a string"));
    CHECK(error_of(with_layers(R"([{"root": 1}])")) == missing("root", "a string"));
    CHECK(error_of(with_layers(R"([{"root": "r", "sha256": "s"}])")) ==
          missing("files", "an integer"));
    CHECK(error_of(with_layers(R"([{"root": "r", "files": 1.5, "sha256": "s"}])")) ==
          missing("files", "an integer"));
    CHECK(error_of(with_layers(R"([{"root": "r", "files": 1, "sha256": ["s"]}])")) ==
          missing("sha256", "a string"));
    // present and secret read anything but true as false.
    const Manifest parsed = state::parse_manifest(
        with_layers(R"([{"root": "r", "files": 3, "sha256": "s", "present": 1, "secret": true},
                        {"root": "q", "files": 0, "sha256": "t", "present": true, "secret": {}}])"),
        name);
    REQUIRE(parsed.layers.size() == 2);
    CHECK(parsed.layers[0].root == "r");
    CHECK(parsed.layers[0].files == 3);
    CHECK(!parsed.layers[0].present);
    CHECK(parsed.layers[0].secret);
    CHECK(parsed.layers[1].present);
    CHECK(!parsed.layers[1].secret);
  }

  TEST_CASE("a bad file entry names its field, its path or its mode") {
    CHECK(error_of(with_files("[{}]")) == missing("path", "a string"));
    for (const char* path : {"/abs", "a/../b", ".config-init/m", "a//b", "a/", "./a", ""}) {
      CAPTURE(path);
      CHECK(error_of(with_files(R"([{"path": ")" + std::string(path) + "\"}]")) ==
            name + ": invalid path '" + path + "' (not inside the destination)");
    }
    CHECK(error_of(with_files(R"([{"path": "a"}])")) == missing("sha256", "a string"));
    CHECK(error_of(with_files(R"([{"path": "a", "sha256": "s", "size": -1.0}])")) ==
          missing("size", "an integer"));
    CHECK(error_of(with_files("[" + file_entry(R"(, "mode": 420)") + "]")) ==
          missing("mode", "a string"));
    for (const char* mode : {"rw", "", "0644x", "12345670", "-644"}) {
      CAPTURE(mode);
      CHECK(error_of(with_files("[" + file_entry(R"(, "mode": ")" + std::string(mode) + "\"") +
                                "]")) == name + ": invalid mode '" + mode + "' for a");
    }
    CHECK(error_of(with_files("[" + file_entry(R"(, "layers": {})") + "]")) ==
          missing("layers", "an array"));
    CHECK(error_of(with_files("[" + file_entry(R"(, "policy": null)") + "]")) ==
          missing("policy", "a string"));
    CHECK(error_of(with_files("[" + file_entry(R"(, "identity": 5)") + "]")) ==
          missing("identity", "a string"));
    CHECK(error_of(with_files("[" + file_entry(R"(, "identity": ["x"])") + "]")) ==
          missing("identity", "a string"));
    CHECK(error_of(with_files("[" + file_entry(R"(, "base_sha256": null)") + "]")) ==
          missing("base_sha256", "a string"));
    // The first bad entry is the one reported.
    CHECK(error_of(with_files("[" + file_entry() + R"(, {"path": "b/../c"}, {"path": 1}])")) ==
          name + ": invalid path 'b/../c' (not inside the destination)");
  }

  TEST_CASE("a file entry reads its fields; optional ones absent are empty") {
    const Manifest parsed = state::parse_manifest(
        with_files("[" +
                   file_entry(R"(, "size": -2, "mode": "1777", "layers": [1, "x", ["y"], {}, "z"],
                                 "merged": 1, "secret": true, "other": {"path": 5})") +
                   "]"),
        name);
    REQUIRE(parsed.files.size() == 1);
    const ManifestFile& file = parsed.files[0];
    CHECK(file.path == "a");
    CHECK(file.sha256 == "s");
    CHECK(file.size == 18446744073709551614u); // -2, as written for a size above INT64_MAX
    CHECK(file.mode == 01777);
    CHECK(file.layers == std::vector<std::string>{"x", "z"});
    CHECK(file.policy == "replace");
    CHECK(!file.merged);
    CHECK(file.secret);
    CHECK(file.identity.empty());
    CHECK(file.base_sha256.empty());
  }

  TEST_CASE("source paths must be absolute, and sizes take the whole unsigned range") {
    const auto with_sources = [](const std::string& sources) {
      return "{\"version\": 1, \"layers\": [], \"files\": [], \"sources\": " + sources + "}";
    };
    CHECK(error_of(with_sources(R"([{"path": "/etc/../.config-init/x", "identity": "i",
                                     "sha256": "s", "size": 0}])")) == "");
    CHECK(error_of(with_sources(R"([{"path": "rel/x", "identity": "i", "sha256": "s",
                                     "size": 1}])")) ==
          name + ": invalid source path 'rel/x' (not absolute)");
    CHECK(error_of(with_sources(R"([{"path": "", "identity": "i", "sha256": "s", "size": 1}])")) ==
          name + ": invalid source path '' (not absolute)");
    CHECK(error_of(with_sources("[7]")) == missing("path", "a string"));
    CHECK(error_of(with_sources(R"([{"path": "/a", "sha256": "s", "size": 1}])")) ==
          missing("identity", "a string"));
    CHECK(error_of(with_sources(R"([{"path": "/a", "identity": "i", "size": 1}])")) ==
          missing("sha256", "a string"));
    CHECK(error_of(with_sources(R"([{"path": "/a", "identity": "i", "sha256": "s",
                                     "size": -1}])")) == missing("size", "an integer"));
    CHECK(error_of(with_sources(R"([{"path": "/a", "identity": "i", "sha256": "s",
                                     "size": 1.5}])")) == missing("size", "an integer"));
    const Manifest parsed =
        state::parse_manifest(with_sources(R"([{"path": "/a", "identity": "i", "sha256": "s",
                          "size": 18446744073709551615, "extra": [1, {"path": 2}]}])"),
                              name);
    REQUIRE(parsed.sources.size() == 1);
    CHECK(parsed.sources[0].size == 18446744073709551615u);
  }

  TEST_CASE("directories: paths inside the destination; anything else is skipped") {
    CHECK(error_of(R"({"version": 1, "layers": [], "files": [], "directories": ["d", "../d"]})") ==
          name + ": invalid path '../d' (not inside the destination)");
    CHECK(state::parse_manifest(
              R"({"version": 1, "layers": [], "files": [], "directories": ["d", 3, ["e"], "f"]})",
              name)
              .directories == std::vector<std::string>{"d", "f"});
    CHECK(state::parse_manifest(
              R"({"version": 1, "layers": [], "files": [], "directories": {"a": "../d"}})", name)
              .directories.empty());
  }

  TEST_CASE("tool is read back only in the form it is written") {
    const auto tool_of = [](const std::string& tool) {
      return state::parse_manifest(
                 R"({"version": 1, "layers": [], "files": [], "tool": )" + tool + "}", name)
          .tool_version;
    };
    CHECK(tool_of("\"config-init 0.4.1\"") == "0.4.1");
    CHECK(tool_of("\"config-init \"") == "");
    CHECK(tool_of("\"other 0.4.1\"") == "");
    CHECK(tool_of("5") == "");
    CHECK(tool_of("[\"config-init 1\"]") == "");
  }

  TEST_CASE("errors come in the tables' order, whatever the order of the text") {
    CHECK(error_of(R"({"files": [{"path": "/abs"}], "layers": [{}], "version": 1})") ==
          missing("root", "a string"));
    CHECK(error_of(R"({"files": [{"path": "/abs"}], "layers": [], "version": 1})") ==
          name + ": invalid path '/abs' (not inside the destination)");
    CHECK(error_of(R"({"layers": [{}], "version": 3})") ==
          name + ": manifest version 3 is not supported by this config-init");
    CHECK(error_of(with_files("[" + file_entry(R"(, "mode": "x", "path": "/b", "sha256": 1)") +
                              "]")) == name + ": invalid path '/b' (not inside the destination)");
  }

  TEST_CASE("a member given twice keeps its last value") {
    CHECK(error_of(R"({"version": 2, "version": 1, "layers": [], "files": []})") == "");
    CHECK(error_of(R"({"version": 1, "version": 2, "layers": [], "files": []})") ==
          name + ": manifest version 2 is not supported by this config-init");
    CHECK(error_of(R"({"version": 1, "layers": [1], "layers": [], "files": []})") == "");
    CHECK(error_of(R"({"version": 1, "layers": [], "layers": 1, "files": []})") ==
          missing("layers", "an array"));
    const Manifest parsed = state::parse_manifest(
        with_files("[" +
                   file_entry(R"(, "layers": ["x"], "layers": ["y"], "path": 1, "path": "b")") +
                   "]"),
        name);
    REQUIRE(parsed.files.size() == 1);
    CHECK(parsed.files[0].path == "b");
    CHECK(parsed.files[0].layers == std::vector<std::string>{"y"});
    CHECK(state::parse_manifest(R"({"version": 1, "layers": [], "files": [)" + file_entry() +
                                    R"(], "files": []})",
                                name)
              .files.empty());
  }

  TEST_CASE("invalid JSON names the file, the line and the column") {
    CHECK(error_of("{\n  \"version\": 1,\n  \"layers\": [,]\n}") ==
          name + ":3:14: syntax error while parsing value - unexpected ','; expected '[', '{', "
                 "or a literal");
    CHECK(error_of("{\"version\": tru}") ==
          name + ":1:16: syntax error while parsing value - invalid literal; last read: "
                 "'\"version\": tru}'");
    CHECK(error_of("") == name + ":1:1: syntax error while parsing value - unexpected end of "
                                 "input; expected '[', '{', or a literal");
    for (const std::string text : {"{", "\xc3", "[1,]", "{} {}", "{\"a\": \"\\x\"}", "{\"a\": 01}",
                                   "{\"version\": 1} trailing"}) {
      CAPTURE(text);
      const std::string error = error_of(text);
      CHECK(error.rfind(name + ":1:", 0) == 0);
      CHECK(error.find("syntax error") != std::string::npos);
    }
  }

  TEST_CASE("nesting deeper than 256 levels is refused where it starts") {
    CHECK(error_of("{\"x\": " + std::string(256, '[') + std::string(256, ']') + "}") ==
          name + ":1:262: nesting deeper than 256 levels");
    CHECK(error_of("{\"x\": " + std::string(255, '[') + std::string(255, ']') + "}") ==
          missing("version", "an integer"));
  }

  TEST_CASE("a manifest over the size limit is refused before it is parsed") {
    // (The limit is 1 GiB: a smaller one here, not a 1 GiB string.)
    const std::string text = "{\"version\": 1, \"x\": \"" + std::string(4096, 'x') + "\"}";
    CHECK_THROWS_WITH_AS(state::parse_manifest(text, name, 4096),
                         (name + ": 4119 bytes is larger than the limit for manifests (4096 "
                                 "bytes)")
                             .c_str(),
                         InputError);
    CHECK_NOTHROW(state::parse_manifest("{\"version\": 1, \"tool\": \"config-init\", "
                                        "\"layers\": [], \"files\": []}",
                                        name, 4096));
    CHECK(state::max_manifest_size == 1024u * 1024 * 1024);
  }

  TEST_CASE("a manifest larger than the limit for structured files is read (45,000 files)") {
    // The manifest of some 22,000 files passes 16 MiB: it once was refused, and the next run
    // took every file for one it never managed (and backed each one up).
    Manifest manifest;
    manifest.version = 1;
    for (int i = 0; i < 45000; ++i) {
      ManifestFile file;
      file.path = "skills/c" + std::to_string(i % 100) + "/s" + std::to_string(i) + "/SKILL.md";
      file.sha256 = std::string(64, 'a');
      file.size = 100;
      file.mode = 0644;
      file.layers = {"/etc/a/fairly/long/layer/root/for/the/skills/library"};
      file.policy = "merge";
      file.identity = "10248213:1762:1796115081740041158:1796115083420964092";
      manifest.files.push_back(file);
    }
    std::sort(manifest.files.begin(), manifest.files.end(),
              [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
    const std::string text = state::serialize(manifest);
    REQUIRE(text.size() > formats::max_structured_file_size);
    const Manifest read = state::parse_manifest(text, name);
    CHECK(read.files.size() == 45000);
    CHECK(state::serialize(read) == text);
  }

  TEST_CASE("randomly damaged manifests parse or give an InputError naming the file") {
    std::mt19937 rng(1128);
    const std::string good = golden_text;
    const std::string alphabet = "{}[],:\"\\ 0123456789-.etfnulasx\n\xc3\xff";
    size_t parsed = 0, refused = 0;
    for (int round = 0; round < 2000; ++round) {
      std::string damaged = good;
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
        const size_t at = rng() % damaged.size();
        switch (rng() % 3) {
        case 0:
          damaged.erase(at, 1);
          break;
        case 1:
          damaged.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          damaged[at] = alphabet[rng() % alphabet.size()];
          break;
        }
      }
      try {
        const Manifest m = state::parse_manifest(damaged, name);
        ++parsed;
        // What parses can be written again, unless a string is no longer UTF-8.
        try {
          CHECK(same_records(state::parse_manifest(state::serialize(m), name), m));
        } catch (const InputError& error) {
          CHECK(std::string(error.what()).find("invalid UTF-8") != std::string::npos);
        }
      } catch (const InputError& error) {
        ++refused;
        CHECK(std::string(error.what()).rfind(name + ":", 0) == 0);
      }
    }
    CHECK(parsed > 50);
    CHECK(refused > 500);
  }
}

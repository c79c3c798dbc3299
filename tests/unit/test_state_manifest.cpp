// The manifest: serialize() against the document-tree code it replaced (kept here as the
// oracle), parse_manifest() against the document-tree parser it replaced (also kept here),
// the optional fields, and the identities.
#include "formats/format.h"
#include "state/manifest.h"
#include "util/error.h"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace config_init;
using state::Manifest;
using state::ManifestFile;
using state::ManifestLayer;
using state::ManifestSource;

namespace {

// --- the oracles: the code before serialize and parse_manifest were rewritten ----------

namespace old {

using formats::Array;
using formats::Table;
using formats::Value;

const Value& member(const Value& table, const char* key, formats::Kind kind,
                    const std::string& name) {
  const Value* found = table.find(key);
  if (!found || found->kind() != kind) {
    throw InputError(name + ": not a config-init manifest (field '" + key + "' missing or not " +
                     formats::kind_with_article(kind) + ")");
  }
  return *found;
}

const std::string& text(const Value& table, const char* key, const std::string& name) {
  return std::get<std::string>(member(table, key, formats::Kind::string, name).data);
}

int64_t number(const Value& table, const char* key, const std::string& name) {
  return std::get<int64_t>(member(table, key, formats::Kind::integer, name).data);
}

bool flag(const Value& table, const char* key) {
  const Value* found = table.find(key);
  return found && found->kind() == formats::Kind::boolean && std::get<bool>(found->data);
}

Array strings(const std::vector<std::string>& items) {
  Array array;
  for (const std::string& item : items)
    array.emplace_back(item);
  return array;
}

std::string serialize(const Manifest& manifest) {
  Value root = Table{};
  root.set("version", int64_t{manifest.version});
  root.set("tool", "config-init " + manifest.tool_version);
  Array layers;
  for (const ManifestLayer& layer : manifest.layers) {
    Value entry = Table{};
    entry.set("root", layer.root);
    entry.set("present", layer.present);
    entry.set("secret", layer.secret);
    entry.set("files", static_cast<int64_t>(layer.files));
    entry.set("sha256", layer.sha256);
    layers.push_back(std::move(entry));
  }
  root.set("layers", std::move(layers));
  Array files;
  for (const ManifestFile& file : manifest.files) {
    Value entry = Table{};
    entry.set("path", file.path);
    entry.set("sha256", file.sha256);
    entry.set("size", static_cast<int64_t>(file.size));
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", file.mode);
    entry.set("mode", std::string(mode));
    entry.set("layers", strings(file.layers));
    entry.set("policy", file.policy);
    entry.set("merged", file.merged);
    entry.set("secret", file.secret);
    files.push_back(std::move(entry));
  }
  root.set("files", std::move(files));
  root.set("directories", strings(manifest.directories));
  return formats::emit(formats::Format::json, root, state::manifest_path);
}

Manifest parse_manifest(const std::string& content, const std::string& name) {
  const Value root = formats::parse(formats::Format::json, content, name);
  if (!root.is_table()) throw InputError(name + ": not a config-init manifest (not an object)");
  Manifest manifest;
  manifest.version = static_cast<int>(number(root, "version", name));
  if (manifest.version != 1) {
    throw InputError(name + ": manifest version " + std::to_string(manifest.version) +
                     " is not supported by this config-init");
  }
  for (const Value& entry : member(root, "layers", formats::Kind::array, name).array()) {
    ManifestLayer layer;
    layer.root = text(entry, "root", name);
    layer.present = flag(entry, "present");
    layer.secret = flag(entry, "secret");
    layer.files = static_cast<size_t>(number(entry, "files", name));
    layer.sha256 = text(entry, "sha256", name);
    manifest.layers.push_back(std::move(layer));
  }
  const auto checked_path = [&](const std::string& path) {
    bool ok = !path.empty() && path.front() != '/' && path.rfind(".config-init", 0) != 0;
    for (size_t start = 0; ok;) {
      const size_t slash = path.find('/', start);
      const std::string element = path.substr(start, slash - start);
      ok = !element.empty() && element != "." && element != "..";
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!ok) throw InputError(name + ": invalid path '" + path + "' (not inside the destination)");
    return path;
  };
  for (const Value& entry : member(root, "files", formats::Kind::array, name).array()) {
    ManifestFile file;
    file.path = checked_path(text(entry, "path", name));
    file.sha256 = text(entry, "sha256", name);
    file.size = static_cast<uint64_t>(number(entry, "size", name));
    file.mode = static_cast<unsigned>(std::stoul(text(entry, "mode", name), nullptr, 8));
    for (const Value& layer : member(entry, "layers", formats::Kind::array, name).array()) {
      if (layer.kind() == formats::Kind::string)
        file.layers.push_back(std::get<std::string>(layer.data));
    }
    file.policy = text(entry, "policy", name);
    file.merged = flag(entry, "merged");
    file.secret = flag(entry, "secret");
    manifest.files.push_back(std::move(file));
  }
  if (const Value* directories = root.find("directories"); directories && directories->is_array()) {
    for (const Value& directory : directories->array()) {
      if (directory.kind() == formats::Kind::string) {
        manifest.directories.push_back(checked_path(std::get<std::string>(directory.data)));
      }
    }
  }
  std::sort(manifest.files.begin(), manifest.files.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
  return manifest;
}

} // namespace old

// --- helpers ------------------------------------------------------------------------

const std::string name = "/dest/.config-init/manifest.json";

bool same_records(const Manifest& a, const Manifest& b, bool compare_tool = true) {
  if (a.version != b.version || (compare_tool && a.tool_version != b.tool_version) ||
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
        x.secret != y.secret || x.identity != y.identity || x.base_sha256 != y.base_sha256) {
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

// The outcome of parsing with one of the parsers: the manifest, or the error's type and
// message.
struct Outcome {
  Manifest manifest;
  std::string error; // "" when parsed
};

template <typename Parse>
Outcome outcome_of(Parse parse, const std::string& text) {
  Outcome result;
  try {
    result.manifest = parse(text, name);
  } catch (const InputError& error) {
    result.error = std::string("InputError: ") + error.what();
  } catch (const std::invalid_argument& error) {
    result.error = std::string("invalid_argument: ") + error.what();
  } catch (const std::out_of_range& error) {
    result.error = std::string("out_of_range: ") + error.what();
  }
  return result;
}

// Parses `text` with both parsers; true when they agree (the old one ignores "tool"). The
// old parser's duplicate-key error is not kept: such texts are skipped.
// `seen`, when given, collects the old parser's outcomes (the error without the position).
bool parsers_agree(const std::string& text, std::set<std::string>* seen = nullptr) {
  const Outcome was = outcome_of(old::parse_manifest, text);
  if (seen) {
    const size_t cause = was.error.rfind(": ");
    seen->insert(cause == std::string::npos ? was.error : was.error.substr(cause));
  }
  if (was.error.find("duplicate key") != std::string::npos) return true;
  const Outcome now = outcome_of(state::parse_manifest, text);
  CAPTURE(text);
  // The old parser let std::stoul's exceptions escape for a mode that is not octal (exit 1,
  // "unexpected"), and took the octal prefix of one like "0644x"; now a mode must be 1 to 7
  // octal digits, else an InputError like every other bad field.
  if (was.error.rfind("invalid_argument: stoul", 0) == 0 ||
      was.error.rfind("out_of_range: stoul", 0) == 0) {
    CHECK(now.error.rfind("InputError: " + name + ": invalid mode '", 0) == 0);
    return now.error.rfind("InputError: ", 0) == 0;
  }
  // The oracle reads JSON with formats::parse, which refuses an integer beyond 64 bits
  // (formats/json_format.h); the manifest reader refuses it too, as a field that is not an
  // integer, or at a later error in the text.
  if (was.error.find(" is out of the 64-bit range ") != std::string::npos) {
    return now.error.rfind("InputError: ", 0) == 0;
  }
  if (was.error.empty() && now.error.rfind("InputError: " + name + ": invalid mode '", 0) == 0) {
    const size_t start = now.error.find('\'') + 1;
    const std::string mode = now.error.substr(start, now.error.find('\'', start) - start);
    CHECK(mode.find_first_not_of("01234567") != std::string::npos);
    return true;
  }
  CHECK(now.error == was.error);
  if (now.error != was.error) return false;
  const bool same = was.error.empty() ? same_records(now.manifest, was.manifest, false) : true;
  CHECK(same);
  return same;
}

std::string sha(char c) {
  return std::string(64, c);
}

// A manifest with the fields of before, its strings as awkward as paths get.
Manifest tricky_manifest() {
  Manifest m;
  m.tool_version = "0.1.0";
  m.layers.push_back({"/etc/config-init/image defaults", true, false, 3, sha('a')});
  m.layers.push_back({"/var/run/configmap \"quoted\" \\ back", false, true, 0, sha('b')});
  m.layers.push_back({"/layers/ünïcödé/日本/🎉", true, true, 18446744073709551615u, sha('c')});
  const std::vector<std::string> paths = {
      "a b/c d.toml",
      "quote\"d/back\\slash.json",
      "ctl/\x01\x02\x1f\x7f.txt",
      "ctl/tab\there/new\nline/cr\rfeed\f/bs\b.yaml",
      "ünï/cödé/日本語.toml",
      "emoji/🎉🚀.txt",
      "nul-free/\xef\xbf\xbd replacement.txt",
      "slash/at/end-less",
      "-dash/.hidden/..dots",
      "x",
  };
  unsigned mode = 0;
  uint64_t size = 0;
  for (const std::string& path : paths) {
    ManifestFile file;
    file.path = path;
    file.sha256 = sha(static_cast<char>('0' + mode % 10));
    file.size = size;
    file.mode = mode;
    if (mode % 3 != 0) file.layers.push_back(m.layers[0].root);
    if (mode % 2 == 0) file.layers.push_back(m.layers[2].root);
    file.policy = mode % 2 ? "merge" : "replace \"policy\"";
    file.merged = mode % 2 == 1;
    file.secret = mode % 3 == 1;
    m.files.push_back(file);
    mode = (mode * 8 + 07) & 07777;
    size = size * 977 + 13;
  }
  m.files[1].size = 18446744073709551615u; // written as -1, as before
  m.files[2].mode = 01777;
  std::sort(m.files.begin(), m.files.end(),
            [](const ManifestFile& a, const ManifestFile& b) { return a.path < b.path; });
  m.directories = {"a b", "ctl", "ünï", "ünï/cödé", "quote\"d"};
  return m;
}

// A manifest with every optional field.
Manifest full_manifest() {
  Manifest m = tricky_manifest();
  m.files[0].identity = "1234:56:1700000000123456789:1700000000987654321";
  m.files[0].base_sha256 = sha('e');
  m.files[1].identity = "7:0:0:0";
  m.files[2].base_sha256 = sha('f');
  m.sources.push_back(
      {"/etc/config-init/image defaults/a b/c d.toml", "2049:1234:56:1:2", sha('1'), 56});
  m.sources.push_back({"/layers/ünïcödé/日本/🎉/x", "1:2:3:4:5", sha('2'), 0});
  m.sources.push_back({"/var/run/\"q\"\\b\n", "1:2:3:4:5", sha('3'), 18446744073709551615u});
  return m;
}

} // namespace

TEST_SUITE("state::manifest") {
  TEST_CASE("serialize gives the bytes the document tree gave") {
    const Manifest m = tricky_manifest();
    CHECK(state::serialize(m) == old::serialize(m));
    Manifest empty;
    CHECK(state::serialize(empty) == old::serialize(empty));
    CHECK(state::serialize(empty) == "{\n  \"version\": 1,\n  \"tool\": \"config-init \",\n"
                                     "  \"layers\": [],\n  \"files\": [],\n"
                                     "  \"directories\": []\n}\n");
    Manifest one_each;
    one_each.version = -7;
    one_each.layers.push_back({"", false, false, 0, ""});
    one_each.files.push_back({"f", "", 0, 0644, {}, "", false, false, "", ""});
    one_each.directories = {"d"};
    CHECK(state::serialize(one_each) == old::serialize(one_each));
  }

  TEST_CASE("serialize matches the document tree on random manifests") {
    std::mt19937 rng(424242);
    const std::vector<std::string> pieces = {"a", "/",    " ", "\"",   "\\", "\n",     "\x01",
                                             "é", "日本", "🎉", "\x7f", ".",  "config", "\t"};
    const auto text = [&] {
      std::string s;
      for (int n = static_cast<int>(rng() % 12); n > 0; --n)
        s += pieces[rng() % pieces.size()];
      return s;
    };
    for (int round = 0; round < 300; ++round) {
      Manifest m;
      m.version = static_cast<int>(rng() % 3);
      m.tool_version = text();
      for (int n = static_cast<int>(rng() % 4); n > 0; --n)
        m.layers.push_back({text(), rng() % 2 == 0, rng() % 2 == 0, rng(), text()});
      for (int n = static_cast<int>(rng() % 6); n > 0; --n) {
        ManifestFile file;
        file.path = text();
        file.sha256 = text();
        file.size = uint64_t{rng()} << 32;
        file.size |= rng();
        file.mode = static_cast<unsigned>(rng() % 070000);
        for (int k = static_cast<int>(rng() % 3); k > 0; --k)
          file.layers.push_back(text());
        file.policy = text();
        file.merged = rng() % 2 == 0;
        file.secret = rng() % 2 == 0;
        m.files.push_back(file);
      }
      for (int n = static_cast<int>(rng() % 3); n > 0; --n)
        m.directories.push_back(text());
      REQUIRE(state::serialize(m) == old::serialize(m));
    }
  }

  TEST_CASE("a string that is not UTF-8 is refused with the message of before") {
    for (const char* bad : {"bad\xff", "trunc\xe2\x82", "\xc3(", "ok/\xed\xa0\x80"}) {
      Manifest m = tricky_manifest();
      m.files[4].policy = bad;
      std::string before, now;
      try {
        old::serialize(m);
      } catch (const InputError& error) {
        before = error.what();
      }
      try {
        state::serialize(m);
      } catch (const InputError& error) {
        now = error.what();
      }
      CHECK(!before.empty());
      CHECK(now == before);
    }
    Manifest m;
    m.sources.push_back({"/a\xff", "i", "s", 1});
    CHECK_THROWS_AS(state::serialize(m), InputError);
  }

  TEST_CASE("a manifest of before parses and serializes to the same bytes") {
    const std::string text = old::serialize(tricky_manifest());
    const Manifest parsed = state::parse_manifest(text, name);
    CHECK(same_records(parsed, tricky_manifest(), false));
    CHECK(parsed.tool_version == "0.1.0");
    CHECK(parsed.sources.empty());
    for (const ManifestFile& file : parsed.files) {
      CHECK(file.identity.empty());
      CHECK(file.base_sha256.empty());
    }
    CHECK(same_records(parsed, old::parse_manifest(text, name), false));
    CHECK(state::serialize(parsed) == text);
  }

  TEST_CASE("a mode of more than 7 octal digits is cut to 7, as before") {
    Manifest m = tricky_manifest();
    m.files[3].mode = 0xFFFFFFFFu;
    const std::string text = state::serialize(m);
    CHECK(text == old::serialize(m));
    CHECK(text.find("\"mode\": \"3777777\"") != std::string::npos);
    CHECK(state::parse_manifest(text, name).files[3].mode == 03777777);
  }

  TEST_CASE("the optional fields round-trip, in their places") {
    const Manifest m = full_manifest();
    const std::string text = state::serialize(m);
    const Manifest parsed = state::parse_manifest(text, name);
    CHECK(same_records(parsed, m));
    CHECK(state::serialize(parsed) == text);
    const auto secret = [&m](size_t i) {
      return std::string("\"secret\": ") + (m.files[i].secret ? "true" : "false") + ",\n      ";
    };
    CHECK(text.find(secret(0) +
                    "\"identity\": \"1234:56:1700000000123456789:1700000000987654321\",\n"
                    "      \"base_sha256\": \"eeee") != std::string::npos);
    CHECK(text.find(secret(1) + "\"identity\": \"7:0:0:0\"\n    },") != std::string::npos);
    CHECK(text.find(secret(2) + "\"base_sha256\": \"ffff") != std::string::npos);
    CHECK(text.find("\"directories\": [\n    \"a b\",\n") != std::string::npos);
    CHECK(text.find("\n  ],\n  \"sources\": [\n    {\n      \"path\": \"/etc/config-init/image "
                    "defaults/a b/c d.toml\",\n      \"identity\": \"2049:1234:56:1:2\",\n"
                    "      \"sha256\": \"1111") != std::string::npos);
    CHECK(text.find("\"size\": 18446744073709551615\n    }\n  ]\n}\n") != std::string::npos);
    // What nlohmann-json reads from it is the same as well.
    const nlohmann::ordered_json json = nlohmann::ordered_json::parse(text);
    CHECK(json.dump(2, ' ', false) + "\n" == text);
    // Without the optional fields, the bytes of before.
    Manifest stripped = m;
    stripped.sources.clear();
    for (ManifestFile& file : stripped.files) {
      file.identity.clear();
      file.base_sha256.clear();
    }
    CHECK(state::serialize(stripped) == old::serialize(stripped));
  }

  TEST_CASE("sources are sorted on parse and found by their real path") {
    Manifest m;
    m.sources.push_back({"/z/last", "1:2:3:4:5", sha('1'), 1});
    m.sources.push_back({"/a/first", "1:2:3:4:6", sha('2'), 2});
    m.sources.push_back({"/m/middle", "1:2:3:4:7", sha('3'), 3});
    const Manifest parsed = state::parse_manifest(state::serialize(m), name);
    REQUIRE(parsed.sources.size() == 3);
    CHECK(parsed.sources[0].real_path == "/a/first");
    CHECK(parsed.sources[1].real_path == "/m/middle");
    CHECK(parsed.sources[2].real_path == "/z/last");
    REQUIRE(parsed.find_source("/m/middle") != nullptr);
    CHECK(parsed.find_source("/m/middle")->size == 3);
    CHECK(parsed.find_source("/m/middl") == nullptr);
    CHECK(parsed.find_source("/zz") == nullptr);
    CHECK(parsed.find_source("") == nullptr);
    CHECK(Manifest{}.find_source("/a") == nullptr);
  }

  TEST_CASE("source paths must be absolute; checked_path does not apply to them") {
    const auto with_sources = [](const std::string& sources) {
      return "{\"version\": 1, \"layers\": [], \"files\": [], \"sources\": " + sources + "}";
    };
    const auto error_of = [](const std::string& text) {
      try {
        state::parse_manifest(text, name);
      } catch (const InputError& error) {
        return std::string(error.what());
      }
      return std::string();
    };
    const std::string ok = R"({"path": "/etc/../.config-init/x", "identity": "i",
                               "sha256": "s", "size": 0})";
    CHECK(error_of(with_sources("[" + ok + "]")) == "");
    CHECK(error_of(with_sources(R"([{"path": "rel/x", "identity": "i", "sha256": "s",
                                     "size": 1}])")) ==
          name + ": invalid source path 'rel/x' (not absolute)");
    CHECK(error_of(with_sources(R"([{"path": "", "identity": "i", "sha256": "s", "size": 1}])")) ==
          name + ": invalid source path '' (not absolute)");
    CHECK(error_of(with_sources(R"([{"identity": "i", "sha256": "s", "size": 1}])")) ==
          name + ": not a config-init manifest (field 'path' missing or not a string)");
    CHECK(error_of(with_sources(R"([{"path": "/a", "sha256": "s", "size": 1}])")) ==
          name + ": not a config-init manifest (field 'identity' missing or not a string)");
    CHECK(error_of(with_sources(R"([{"path": "/a", "identity": "i", "size": 1}])")) ==
          name + ": not a config-init manifest (field 'sha256' missing or not a string)");
    CHECK(error_of(with_sources(R"([{"path": "/a", "identity": "i", "sha256": "s",
                                     "size": -1}])")) ==
          name + ": not a config-init manifest (field 'size' missing or not an integer)");
    CHECK(error_of(with_sources(R"([{"path": "/a", "identity": "i", "sha256": "s",
                                     "size": 1.5}])")) ==
          name + ": not a config-init manifest (field 'size' missing or not an integer)");
    CHECK(error_of(with_sources("[7]")) ==
          name + ": not a config-init manifest (field 'path' missing or not a string)");
    CHECK(error_of(with_sources("{}")) ==
          name + ": not a config-init manifest (field 'sources' missing or not an array)");
    CHECK(error_of(with_sources("null")) ==
          name + ": not a config-init manifest (field 'sources' missing or not an array)");
    CHECK(error_of(with_sources("[]")) == "");
    const Manifest parsed =
        state::parse_manifest(with_sources(R"([{"path": "/a", "identity": "i", "sha256": "s",
                          "size": 18446744073709551615, "extra": [1, {"path": 2}]}])"),
                              name);
    REQUIRE(parsed.sources.size() == 1);
    CHECK(parsed.sources[0].size == 18446744073709551615u);
  }

  TEST_CASE("identity and base_sha256 are optional, but strings when present") {
    const auto file_with = [](const std::string& extra) {
      return R"({"version": 1, "layers": [], "files": [{"path": "a", "sha256": "s",
                 "size": 1, "mode": "0644", "layers": [], "policy": "replace")" +
             extra + "}]}";
    };
    const Manifest absent = state::parse_manifest(file_with(""), name);
    CHECK(absent.files[0].identity.empty());
    CHECK(absent.files[0].base_sha256.empty());
    const Manifest present =
        state::parse_manifest(file_with(R"(, "identity": "1:2:3:4", "base_sha256": "b")"), name);
    CHECK(present.files[0].identity == "1:2:3:4");
    CHECK(present.files[0].base_sha256 == "b");
    CHECK_THROWS_WITH_AS(
        state::parse_manifest(file_with(R"(, "identity": 5)"), name),
        (name + ": not a config-init manifest (field 'identity' missing or not a string)").c_str(),
        InputError);
    CHECK_THROWS_WITH_AS(
        state::parse_manifest(file_with(R"(, "base_sha256": null)"), name),
        (name + ": not a config-init manifest (field 'base_sha256' missing or not a string)")
            .c_str(),
        InputError);
    CHECK_THROWS_AS(state::parse_manifest(file_with(R"(, "identity": ["x"])"), name), InputError);
  }

  TEST_CASE("bad manifests give the errors of before") {
    const std::string good = old::serialize(tricky_manifest());
    const std::vector<std::string> texts = {
        "",
        " ",
        "{",
        "[]",
        "\"manifest\"",
        "null",
        "{}",
        "\xff",
        "{\"version\": \"\xc3\"}",
        "{\"version\": 1",
        "{\"version\": 1} trailing",
        "{\"version\": 2}",
        "{\"version\": 4294967297, \"layers\": [], \"files\": []}",
        "{\"version\": 1.0}",
        "{\"version\": 18446744073709551615}",
        "{\"version\": 1}",
        "{\"version\": 1, \"layers\": {}}",
        "{\"version\": 1, \"layers\": [], \"files\": {}}",
        "{\"version\": 1, \"layers\": [], \"files\": []}",
        "{\"version\": 1, \"layers\": [1], \"files\": []}",
        "{\"version\": 1, \"layers\": [[]], \"files\": []}",
        "{\"version\": 1, \"layers\": [{\"root\": 1}], \"files\": []}",
        "{\"version\": 1, \"layers\": [{\"root\": \"r\", \"files\": -2, \"sha256\": \"s\"}], "
        "\"files\": []}",
        "{\"version\": 1, \"layers\": [{\"root\": \"r\", \"files\": 1, \"sha256\": [\"s\"]}], "
        "\"files\": 3}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"/abs\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a/../b\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \".config-init/m\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a//b\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a/\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"./a\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a\", \"sha256\": \"s\", "
        "\"size\": 1, \"mode\": \"rw\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a\", \"sha256\": \"s\", "
        "\"size\": 1, \"mode\": \"99999999999999999999999\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a\", \"sha256\": \"s\", "
        "\"size\": 1, \"mode\": \"0644\", \"layers\": {}, \"policy\": \"p\"}]}",
        "{\"version\": 1, \"layers\": [], \"files\": [{\"path\": \"a\", \"sha256\": \"s\", "
        "\"size\": 1, \"mode\": \"0644\", \"layers\": [1, \"x\", [\"y\"], {}, null], "
        "\"policy\": \"p\", \"merged\": 1, \"secret\": true}], \"directories\": [\"d\", 3]}",
        "{\"version\": 1, \"layers\": [], \"files\": [], \"directories\": [\"../d\"]}",
        "{\"version\": 1, \"layers\": [], \"files\": [], \"directories\": {\"a\": \"../d\"}}",
        "{\"version\": 1, \"layers\": [], \"files\": [], \"tool\": 5, \"other\": [[{}]]}",
        "{\"a\": 1, \"a\": 2}",
        std::string(300, '[') + std::string(300, ']'),
        "{\"x\": " + std::string(256, '[') + std::string(256, ']') + "}",
        "{\"x\": " + std::string(255, '[') + std::string(255, ']') + "}",
        "{\"version\": 1, \"layers\": [], \"files\": [], \"s\": \"\\ud800\"}",
        good,
        good.substr(0, good.size() / 2),
    };
    for (const std::string& text : texts)
      CHECK(parsers_agree(text));
  }

  TEST_CASE("invalid JSON is an InputError naming the file, never a nlohmann exception") {
    for (const std::string text : {"", "{", "{\"version\": tru}", "\xc3", "[1,]", "{} {}",
                                   "{\"a\": \"\\x\"}", "{\"a\": 01}"}) {
      try {
        state::parse_manifest(text, name);
        FAIL("parsed: " << text);
      } catch (const InputError& error) {
        CHECK(std::string(error.what()).rfind(name + ":", 0) == 0);
      }
    }
  }

  TEST_CASE("a manifest over the size limit is refused as before") {
    const std::string text =
        "{\"version\": 1, \"x\": \"" + std::string(formats::max_structured_file_size, 'x') + "\"}";
    CHECK(parsers_agree(text));
  }

  TEST_CASE("randomly damaged manifests give the results of before") {
    std::mt19937 rng(1128);
    Manifest small = tricky_manifest();
    small.files.resize(4);
    small.layers.resize(2);
    const std::string good = old::serialize(small);
    const nlohmann::ordered_json document = nlohmann::ordered_json::parse(good);
    const std::vector<nlohmann::ordered_json> replacements = {
        nullptr,
        true,
        false,
        0,
        1,
        -1,
        1.5,
        "x",
        "/abs",
        "a/../b",
        "0644",
        "z",
        nlohmann::ordered_json::array(),
        nlohmann::ordered_json::object(),
        nlohmann::ordered_json::array({"s", 1}),
        18446744073709551615u,
        4294967297};
    size_t disagreements = 0;
    std::set<std::string> structural, textual; // the outcomes the damage reached
    // Structural damage: a member deleted or a value of another kind.
    for (int round = 0; round < 3000 && disagreements < 5; ++round) {
      nlohmann::ordered_json damaged = document;
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
        nlohmann::ordered_json* node = &damaged;
        while ((node->is_object() || node->is_array()) && !node->empty() && rng() % 4 != 0) {
          const size_t index = rng() % node->size();
          if (node->is_array()) {
            node = &(*node)[index];
          } else {
            auto it = node->begin();
            std::advance(it, static_cast<std::ptrdiff_t>(index));
            if (rng() % 5 == 0) {
              node->erase(it);
              break;
            }
            node = &it.value();
          }
        }
        if (rng() % 2 == 0) *node = replacements[rng() % replacements.size()];
      }
      if (!parsers_agree(damaged.dump(rng() % 2 ? 2 : -1), &structural)) ++disagreements;
    }
    // Textual damage: bytes deleted, inserted or replaced.
    const std::string alphabet = "{}[],:\"\\ 0123456789-.etfnulasx\n\xc3\xff";
    for (int round = 0; round < 3000 && disagreements < 5; ++round) {
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
      if (!parsers_agree(damaged, &textual)) ++disagreements;
    }
    CHECK(disagreements == 0);
    CHECK(structural.size() >= 15);
    CHECK(textual.size() >= 15);
  }
}

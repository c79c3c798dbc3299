// plan::compose on layers in temporary directories: copies, deep merges, policies, secret
// layers, conflicts, the layer digests and the source digests reused from a manifest.
#include "formats/format.h"
#include "layers/layer.h"
#include "plan/compose.h"
#include "test_support.h"
#include "util/error.h"
#include "util/sha256.h"

#include <doctest/doctest.h>
#include <sstream>

using namespace config_init;
using plan::Composition;
using plan::DesiredFile;
using test_support::TempDir;
using test_support::write_file;

namespace {

// Layers l0, l1, ... below a temporary directory; `secret` marks secret layers.
struct Layers {
  TempDir tmp;
  std::string root(int index) const { return tmp / ("l" + std::to_string(index)); }
  void write(int index, const std::string& path, const std::string& content) const {
    write_file(root(index) + "/" + path, content);
  }
  std::vector<layers::Layer> read(int count, const std::vector<bool>& secret = {}) const {
    std::vector<layers::Layer> out;
    for (int i = 0; i < count; ++i) {
      const bool is_secret =
          static_cast<size_t>(i) < secret.size() && secret[static_cast<size_t>(i)];
      out.push_back(layers::read_layer({root(i), is_secret}, i));
    }
    return out;
  }
};

struct Composed {
  std::ostringstream out;
  Log log{LogFormat::text, out};
  Composition composition;
  std::string logged() {
    log.flush();
    return out.str();
  }
};

const DesiredFile& file_named(const Composition& composition, const std::string& path) {
  for (const DesiredFile& file : composition.files) {
    if (file.path == path) return file;
  }
  FAIL("no file " << path);
  throw std::logic_error("unreachable");
}

formats::Value toml(const std::string& text) {
  return formats::parse(formats::Format::toml, text, "expected.toml");
}

const std::string abc_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

} // namespace

TEST_SUITE("plan::compose") {
  TEST_CASE("a file one layer provides is copied from it, with its digest and default mode") {
    Layers layers;
    layers.write(0, "bin/plain.txt", "abc");
    const std::vector<layers::Layer> read = layers.read(1);
    Composed c;
    const Composition composition = plan::compose(read, plan::Rules{}, c.log);
    REQUIRE(composition.files.size() == 1);
    const DesiredFile& file = composition.files[0];
    CHECK(file.path == "bin/plain.txt");
    CHECK(file.source == read[0].files[0].real_path);
    CHECK(file.source_identity == read[0].files[0].identity);
    CHECK(file.layers == std::vector<int>{0});
    CHECK_FALSE(file.merged);
    CHECK(file.digest.sha256 == abc_sha256);
    CHECK(file.digest.size == 3);
    CHECK(file.mode == 0644);
    CHECK_FALSE(file.secret);
    CHECK(file.policy == plan::Policy::merge);
    // Recorded for the next run, which need not hash it again.
    REQUIRE(composition.sources.size() == 1);
    CHECK(composition.sources[0].real_path == read[0].files[0].real_path);
    CHECK(composition.sources[0].sha256 == abc_sha256);
    CHECK(composition.sources[0].size == 3);
  }

  TEST_CASE("a structured file in several layers is deep-merged, highest layer winning") {
    Layers layers;
    layers.write(0, "config.toml", "a = 1\n[t]\nx = 1\nz = \"low\"\n");
    layers.write(1, "config.toml", "b = 2\n[t]\ny = 2\nz = \"high\"\n");
    layers.write(1, "other.txt", "abc");
    Composed c;
    const Composition composition = plan::compose(layers.read(2), plan::Rules{}, c.log);
    REQUIRE(composition.files.size() == 2);
    const DesiredFile& file = file_named(composition, "config.toml");
    CHECK(file.merged);
    CHECK(file.in_memory);
    CHECK(file.layers == std::vector<int>{0, 1});
    CHECK(formats::parse(formats::Format::toml, file.content, "config.toml") ==
          toml("a = 1\nt = { x = 1, z = \"high\", y = 2 }\nb = 2\n"));
    CHECK(file.digest.sha256 == Sha256::of(file.content));
    CHECK(file.digest.size == file.content.size());
    // Structured files are parsed on each run: only other.txt is recorded as a source.
    REQUIRE(composition.sources.size() == 1);
    CHECK(composition.sources[0].sha256 == abc_sha256);
  }

  TEST_CASE("policy replace takes the highest layer whole, but every layer is validated") {
    Layers layers;
    layers.write(0, "config.toml", "a = 1\n");
    layers.write(1, "config.toml", "b = 2\n");
    plan::Rules rules;
    rules.files.push_back({"config.toml", plan::Policy::replace, 0600, {}, {}, {}, "test"});
    Composed c;
    const std::vector<layers::Layer> read = layers.read(2);
    const Composition composition = plan::compose(read, rules, c.log);
    REQUIRE(composition.files.size() == 1);
    const DesiredFile& file = composition.files[0];
    CHECK_FALSE(file.merged);
    CHECK(file.layers == std::vector<int>{1});
    CHECK(file.source == read[1].files[0].real_path);
    CHECK(file.digest.sha256 == Sha256::of("b = 2\n"));
    CHECK(file.mode == 0600); // the rule's mode

    layers.write(0, "config.toml", "a = [\n");
    Composed again;
    CHECK_THROWS_WITH_AS(plan::compose(layers.read(2), rules, again.log),
                         doctest::Contains((layers.root(0) + "/config.toml:").c_str()), InputError);
  }

  TEST_CASE("policy ignore leaves a file out, and says so") {
    Layers layers;
    layers.write(0, "cache/x.log", "never read");
    layers.write(0, "keep.txt", "abc");
    plan::Rules rules;
    rules.files.push_back({"*.log", plan::Policy::ignore, {}, {}, {}, {}, "test"});
    Composed c;
    const Composition composition = plan::compose(layers.read(1), rules, c.log);
    REQUIRE(composition.files.size() == 1);
    CHECK(composition.files[0].path == "keep.txt");
    CHECK(c.logged().find("ignored cache/x.log (policy ignore)") != std::string::npos);
  }

  TEST_CASE("a secret layer's files are secret, 0600, and its parse errors redacted") {
    Layers layers;
    layers.write(0, "token.txt", "abc");
    layers.write(1, "token.txt", "s3cr3t");
    const std::vector<layers::Layer> read = layers.read(2, {false, true});
    Composed c;
    const Composition composition = plan::compose(read, plan::Rules{}, c.log);
    REQUIRE(composition.files.size() == 1);
    CHECK(composition.files[0].secret);
    CHECK(composition.files[0].mode == 0600);
    CHECK(composition.files[0].layers == std::vector<int>{1});
    // Only the plain layer's file is recorded as a source.
    REQUIRE(composition.sources.size() == 1);
    CHECK(composition.sources[0].real_path == read[0].files[0].real_path);

    layers.write(1, "auth.json", "{\"password\": hunter2}");
    Composed again;
    try {
      plan::compose(layers.read(2, {false, true}), plan::Rules{}, again.log);
      FAIL("composed");
    } catch (const InputError& error) {
      const std::string message = error.what();
      CHECK(message.rfind(layers.root(1) + "/auth.json:1:", 0) == 0);
      const std::string end = ": invalid json (details redacted: secret layer)";
      CHECK(message.compare(message.size() - end.size(), end.size(), end) == 0);
      CHECK(message.find("hunter2") == std::string::npos);
    }
  }

  TEST_CASE("a path that is a file in one layer and a directory in another is refused") {
    Layers layers;
    layers.write(0, "a", "file");
    layers.write(1, "a/b", "nested");
    Composed c;
    CHECK_THROWS_WITH_AS(
        plan::compose(layers.read(2), plan::Rules{}, c.log),
        (layers.root(0) + "/a is a file, but " + layers.root(1) + "/a/b needs it to be a directory")
            .c_str(),
        InputError);
  }

  TEST_CASE("a type conflict is a warning, and an error under strict") {
    Layers layers;
    layers.write(0, "config.toml", "t = 1\n");
    layers.write(1, "config.toml", "[t]\nx = 1\n");
    Composed c;
    const Composition composition = plan::compose(layers.read(2), plan::Rules{}, c.log);
    CHECK(c.logged().find("config.toml: type conflict at t: a lower layer has an integer, a "
                          "higher one a table; the higher layer wins") != std::string::npos);
    REQUIRE(composition.files.size() == 1);
    CHECK(composition.files[0].conflicts.size() == 1);
    plan::Rules strict;
    strict.strict = true;
    Composed again;
    CHECK_THROWS_WITH_AS(plan::compose(layers.read(2), strict, again.log),
                         "config.toml: type conflict at t: a lower layer has an integer, a "
                         "higher one a table; an error under --strict (without it, the higher "
                         "layer would win)",
                         InputError);
  }

  TEST_CASE("each layer's digest covers its files' digests and paths") {
    Layers layers;
    layers.write(0, "b.txt", "abc");
    layers.write(0, "a.txt", "xyz");
    layers.write(1, "a.txt", "abc");
    Composed c;
    const Composition composition = plan::compose(layers.read(2), plan::Rules{}, c.log);
    REQUIRE(composition.layer_digests.size() == 2);
    CHECK(composition.layer_digests[0].size == 2);
    CHECK(composition.layer_digests[0].sha256 ==
          Sha256::of(Sha256::of("xyz") + "  a.txt\n" + abc_sha256 + "  b.txt\n"));
    CHECK(composition.layer_digests[1].size == 1);
    CHECK(composition.layer_digests[1].sha256 == Sha256::of(abc_sha256 + "  a.txt\n"));
  }

  TEST_CASE("a source the last manifest recorded with the same identity is not hashed again") {
    Layers layers;
    layers.write(0, "big.bin", "abc");
    const std::vector<layers::Layer> read = layers.read(1);
    state::Manifest known;
    known.sources.push_back(
        {read[0].files[0].real_path, read[0].files[0].identity, "recorded-digest", 3});
    Composed c;
    Composition composition = plan::compose(read, plan::Rules{}, c.log, &known);
    REQUIRE(composition.files.size() == 1);
    CHECK(composition.files[0].digest.sha256 == "recorded-digest");
    // Another identity: hashed again.
    known.sources[0].identity = "0:0:0:0:0";
    Composed again;
    composition = plan::compose(read, plan::Rules{}, again.log, &known);
    CHECK(composition.files[0].digest.sha256 == abc_sha256);
  }

  TEST_CASE("merge_document merges one structured file, naming what it cannot") {
    Layers layers;
    layers.write(0, "settings.json", "{\"a\": 1, \"list\": [1]}");
    layers.write(1, "settings.json", "{\"b\": 2, \"list\": [2]}");
    layers.write(1, "notes.txt", "abc");
    const std::vector<layers::Layer> read = layers.read(2);
    const plan::MergedDocument merged = plan::merge_document(read, plan::Rules{}, "settings.json");
    CHECK(merged.format == formats::Format::json);
    CHECK(merged.layers == std::vector<int>{0, 1});
    CHECK(merged.tree == formats::parse(formats::Format::json,
                                        "{\"a\": 1, \"list\": [2], \"b\": 2}", "expected.json"));
    CHECK_THROWS_WITH_AS(plan::merge_document(read, plan::Rules{}, "notes.txt"),
                         "notes.txt: not a structured file (.toml, .yaml, .yml or .json)",
                         InputError);
    CHECK_THROWS_WITH_AS(plan::merge_document(read, plan::Rules{}, "none.yaml"),
                         "none.yaml: no layer provides this file", InputError);
    CHECK(plan::describe_layer(read[1]) == "layer 2 (" + layers.root(1) + ")");
  }
}

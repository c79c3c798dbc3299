// Golden tests: tests/golden/<format>/<case>/ holds layer1.<ext>, layer2.<ext>, ... and
// expected.<ext>, written by hand, and optionally rules.txt with lines
//   arrays <replace|append|union>          the file's default array strategy
//   array <key.path> <replace|append|union> a per key path strategy
//   delete <key.path>                      a deletion applied after the merge
// Each case's layers are parsed, merged in order, and emitted; the text must equal
// expected.<ext> byte for byte. The directory is $CONFIG_INIT_GOLDEN_DIR, by default
// tests/golden of the source tree.
#include "formats/format.h"
#include "merge/merge.h"

#include <algorithm>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace config_init;
namespace fs = std::filesystem;

namespace {

fs::path golden_dir() {
  const char* configured = std::getenv("CONFIG_INIT_GOLDEN_DIR");
  return configured && *configured ? fs::path(configured)
                                   : fs::path(CONFIG_INIT_SOURCE_DIR) / "tests" / "golden";
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

merge::MergeRules read_rules(const fs::path& path) {
  merge::MergeRules rules;
  if (!fs::exists(path)) return rules;
  std::istringstream lines(read(path));
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string verb, first, second;
    words >> verb >> first >> second;
    if (verb.empty() || verb[0] == '#') continue;
    if (verb == "arrays") {
      rules.arrays = merge::parse_array_strategy(first);
    } else if (verb == "array") {
      rules.array_paths.emplace_back(merge::parse_key_path(first),
                                     merge::parse_array_strategy(second));
    } else if (verb == "delete") {
      rules.deletions.push_back(merge::parse_key_path(first));
    } else {
      FAIL("unknown rule in " << path << ": " << line);
    }
  }
  return rules;
}

// The merged, emitted text of one case directory.
std::string render_case(const fs::path& dir, const std::string& extension) {
  const formats::Format format = *formats::format_of_path(extension);
  const merge::MergeRules rules = read_rules(dir / "rules.txt");
  formats::Value merged;
  std::vector<merge::TypeConflict> conflicts;
  for (int layer = 1; fs::exists(dir / ("layer" + std::to_string(layer) + extension)); ++layer) {
    const fs::path path = dir / ("layer" + std::to_string(layer) + extension);
    formats::Value tree = formats::parse(format, read(path), path.string());
    formats::set_origin(tree, layer - 1);
    if (layer == 1) {
      merged = std::move(tree);
    } else {
      merge::merge_into(merged, tree, rules, conflicts);
    }
  }
  merge::apply_deletions(merged, rules);
  return formats::emit(format, merged, (dir / ("expected" + extension)).string());
}

} // namespace

TEST_SUITE("golden") {
  TEST_CASE("merged layers equal the hand-written expected file, byte for byte") {
    const fs::path root = golden_dir();
    REQUIRE_MESSAGE(fs::is_directory(root), "no golden directory at "
                                                << fs::absolute(root)
                                                << " (set CONFIG_INIT_GOLDEN_DIR)");
    const std::pair<const char*, const char*> formats[] = {
        {"toml", ".toml"}, {"yaml", ".yaml"}, {"json", ".json"}};
    for (const auto& [name, extension] : formats) {
      std::vector<fs::path> cases;
      for (const fs::directory_entry& entry : fs::directory_iterator(root / name)) {
        if (entry.is_directory()) cases.push_back(entry.path());
      }
      std::sort(cases.begin(), cases.end());
      CAPTURE(name);
      CHECK(cases.size() >= 3);
      for (const fs::path& dir : cases) {
        CAPTURE(dir.string());
        REQUIRE(fs::exists(dir / (std::string("layer2") + extension)));
        CHECK(render_case(dir, extension) == read(dir / (std::string("expected") + extension)));
      }
    }
  }
}

// `config-init render` and `explain`: one merged file, and where each of its keys came from.
#include "cli/commands.h"
#include "plan/compose.h"
#include "run/inputs.h"

#include <iostream>

namespace config_init::cli {

namespace {

bool is_secret(const std::vector<layers::Layer>& layers, const plan::MergedDocument& merged) {
  for (int index : merged.layers) {
    if (layers[static_cast<size_t>(index)].spec.secret) return true;
  }
  return false;
}

} // namespace

int run_render(const Options& options, Log& log) {
  const std::vector<layers::Layer> layers = run::read_layers(options.layers, options.rules, log);
  const plan::MergedDocument merged = plan::merge_document(layers, options.rules, options.target);
  // render is how a user sees the real file; a secret's content goes to stdout only.
  std::cout << formats::emit(merged.format, merged.tree, options.target) << std::flush;
  return 0;
}

int run_explain(const Options& options, Log& log) {
  const std::vector<layers::Layer> layers = run::read_layers(options.layers, options.rules, log);
  const plan::MergedDocument merged = plan::merge_document(layers, options.rules, options.target);
  const bool secret = is_secret(layers, merged);
  std::string out;
  for (const merge::Leaf& leaf : merge::leaves(merged.tree)) {
    std::string origin = "?";
    if (leaf.origin >= 0) {
      const layers::Layer& layer = layers[static_cast<size_t>(leaf.origin)];
      origin =
          "layer " + std::to_string(leaf.origin + 1) + ":" + layer.spec.root + "/" + options.target;
    }
    const bool redacted =
        secret && leaf.origin >= 0 && layers[static_cast<size_t>(leaf.origin)].spec.secret;
    out += origin + "\t" + leaf.key_path + " = " + (redacted ? "<redacted>" : leaf.value) + "\n";
  }
  std::cout << out << std::flush;
  return 0;
}

} // namespace config_init::cli

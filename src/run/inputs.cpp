#include "run/inputs.h"

#include "run/input_checks.h"
#include "util/error.h"
#include "util/text.h"

#include <algorithm>

namespace config_init::run {

std::vector<layers::Layer> read_layers(const std::vector<layers::LayerSpec>& specs,
                                       const plan::Rules& rules, Log& log) {
  std::vector<layers::Layer> result;
  for (size_t i = 0; i < specs.size(); ++i) {
    layers::Layer layer = layers::read_layer(specs[i], static_cast<int>(i));
    const std::string name = "layer " + std::to_string(i + 1) + " " + layer.spec.root;
    LogFields fields = {{"layer", layer.spec.root},
                        log_number("index", static_cast<int64_t>(i + 1))};
    if (!layer.present) {
      log.info(name + ": does not exist, skipped", fields);
    } else {
      fields.push_back(log_number("files", static_cast<int64_t>(layer.files.size())));
      log.info(name + ": " + text::count_of(layer.files.size(), "file") +
                   (layer.kubelet ? " (kubelet volume)" : "") +
                   (layer.spec.secret ? " (secret)" : ""),
               fields);
    }
    result.push_back(std::move(layer));
  }
  check_inputs(rules, result, log);
  return result;
}

Inputs read_and_compose(const std::vector<layers::LayerSpec>& specs, const plan::Rules& rules,
                        Log& log, const state::Manifest* known) {
  for (int attempt = 1;; ++attempt) {
    Inputs inputs{read_layers(specs, rules, log), {}};
    try {
      inputs.composition = plan::compose(inputs.layers, rules, log, known);
    } catch (const InputError& error) {
      const bool moved =
          std::any_of(inputs.layers.begin(), inputs.layers.end(),
                      [](const layers::Layer& layer) { return layers::changed_since_read(layer); });
      if (!moved || attempt >= layers::max_kubelet_attempts) throw;
      log.warn(std::string(error.what()) +
               "; a kubelet volume was updated while it was read: reading again");
      continue;
    }
    return inputs;
  }
}

} // namespace config_init::run

// Reading the layers and composing them: everything a run needs from its inputs.
#pragma once

#include "layers/layer.h"
#include "plan/compose.h"
#include "plan/rules.h"
#include "state/manifest.h"
#include "util/log.h"

#include <vector>

namespace config_init::run {

// Reads every layer of `specs` in order, logging each (files, or skipped when missing), then
// checks them against `rules` (run/input_checks.h). Throws InputError (see
// layers::read_layer, and check_inputs under --strict).
std::vector<layers::Layer> read_layers(const std::vector<layers::LayerSpec>& specs,
                                       const plan::Rules& rules, Log& log);

// Reads the layers and composes them (plan::compose). When that fails and a kubelet
// volume published an update meanwhile, reads everything again, up to
// layers::max_kubelet_attempts times in all.
// `known`: the last run's manifest, whose recorded digests spare re-hashing (may be null).
struct Inputs {
  std::vector<layers::Layer> layers;
  plan::Composition composition;
};
Inputs read_and_compose(const std::vector<layers::LayerSpec>& specs, const plan::Rules& rules,
                        Log& log, const state::Manifest* known = nullptr);

} // namespace config_init::run

// Steps the commands share: reading the layers and opening the destination.
#pragma once

#include "cli/options.h"
#include "layers/layer.h"
#include "plan/compose.h"
#include "state/manifest.h"
#include "util/log.h"
#include "util/safe_dir.h"

#include <chrono>
#include <string>
#include <vector>

namespace config_init::cli {

// Reads every layer of `options` in order, logging each (files, or skipped when missing).
// Throws InputError (see layers::read_layer).
std::vector<layers::Layer> read_layers(const Options& options, Log& log);

// Reads the layers and composes them (plan::compose). When that fails and a kubelet
// volume published an update meanwhile, reads everything again (a few times at most).
// `known`: the last run's manifest, whose recorded digests spare re-hashing (may be null).
struct Inputs {
  std::vector<layers::Layer> layers;
  plan::Composition composition;
};
Inputs read_and_compose(const Options& options, Log& log, const state::Manifest* known = nullptr);

// Opens the destination directory. With `create`, a missing one is created (with its
// parents) and the created directories are appended to `created`, outermost first.
// Returns false when it does not exist and `create` is false.
// Throws InputError when it is a symlink or not a directory, IoError when it cannot be made.
bool open_destination(const std::string& path, bool create, SafeDir& out,
                      std::vector<std::string>* created);

// Milliseconds since `start`.
int64_t elapsed_ms(std::chrono::steady_clock::time_point start);

} // namespace config_init::cli

#include "cli/pipeline.h"

#include "cli/input_checks.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>

namespace config_init::cli {

std::vector<layers::Layer> read_layers(const Options& options, Log& log) {
  std::vector<layers::Layer> result;
  for (size_t i = 0; i < options.layers.size(); ++i) {
    layers::Layer layer = layers::read_layer(options.layers[i], static_cast<int>(i));
    const std::string name = "layer " + std::to_string(i + 1) + " " + layer.spec.root;
    LogFields fields = {{"layer", layer.spec.root},
                        log_number("index", static_cast<int64_t>(i + 1))};
    if (!layer.present) {
      log.info(name + ": does not exist, skipped", fields);
    } else {
      fields.push_back(log_number("files", static_cast<int64_t>(layer.files.size())));
      log.info(name + ": " + std::to_string(layer.files.size()) + " file" +
                   (layer.files.size() == 1 ? "" : "s") +
                   (layer.kubelet ? " (kubelet volume)" : "") +
                   (layer.spec.secret ? " (secret)" : ""),
               fields);
    }
    result.push_back(std::move(layer));
  }
  check_inputs(options, result, log);
  return result;
}

Inputs read_and_compose(const Options& options, Log& log, const state::Manifest* known) {
  constexpr int max_attempts = 3;
  for (int attempt = 1;; ++attempt) {
    Inputs inputs{read_layers(options, log), {}};
    try {
      inputs.composition = plan::compose(inputs.layers, options.rules, log, known);
    } catch (const InputError& error) {
      const bool moved =
          std::any_of(inputs.layers.begin(), inputs.layers.end(),
                      [](const layers::Layer& layer) { return layers::changed_since_read(layer); });
      if (!moved || attempt == max_attempts) throw;
      log.warn(std::string(error.what()) +
               "; a kubelet volume was updated while it was read: reading again");
      continue;
    }
    return inputs;
  }
}

bool open_destination(const std::string& path, bool create, SafeDir& out,
                      std::vector<std::string>* created) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      throw InputError("destination " + path +
                       " is a symlink; give the real directory (config-init never writes through "
                       "symlinks)");
    }
    if (!S_ISDIR(st.st_mode)) throw InputError("destination " + path + " is not a directory");
  } else if (errno == ENOTDIR) {
    throw InputError("destination " + path + ": a leading part of the path is not a directory");
  } else if (errno != ENOENT) {
    throw IoError(errno_message("destination " + path, errno));
  } else if (!create) {
    return false;
  } else {
    // mkdir -p, remembering what we made.
    std::vector<std::string> missing;
    std::string current = path;
    while (!current.empty() && ::lstat(current.c_str(), &st) != 0 && errno == ENOENT) {
      missing.push_back(current);
      const size_t slash = current.find_last_of('/', current.size() > 1 ? current.size() - 2 : 0);
      if (slash == std::string::npos) break;
      current = current.substr(0, slash == 0 ? 1 : slash);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
        throw IoError(errno_message("cannot create destination " + *it, errno));
      }
      if (created) created->push_back(*it);
    }
  }
  if (const int error = SafeDir::open(path, out)) {
    throw IoError(errno_message("cannot open destination " + path, error));
  }
  return true;
}

int64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

} // namespace config_init::cli

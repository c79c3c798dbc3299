// Discovering and reading layers: plain directory trees and kubelet volumes
// (ConfigMap, Secret, projected), lowest precedence first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace config_init::layers {

// A layer as given on the command line.
struct LayerSpec {
  std::string root;    // directory, as given
  bool secret = false; // files default to 0600 and their content never reaches logs
};

// One regular file found in a layer.
struct SourceFile {
  std::string path;      // relative, '/'-separated ("profiles/dev/agent.toml")
  std::string real_path; // where to read it (symlinks resolved, inside the layer root)
  uint64_t size = 0;
  std::string identity; // source_identity() when listed (util/identity.h)
};

// The files of one layer, sorted by path.
struct Layer {
  LayerSpec spec;
  int index = 0;           // position on the command line, 0 = lowest precedence
  bool present = false;    // false: the directory does not exist and was skipped
  bool kubelet = false;    // a kubelet volume (has ..data)
  std::string data_target; // where ..data pointed when the files were listed
  std::vector<SourceFile> files;
};

// Reads one layer recursively. A kubelet volume (a root with a `..data` symlink) is read
// from the directory `..data` names, one whole version, and re-read when `..data` changed
// meanwhile; the per-key links at its root are not followed. Top-level entries whose names
// begin with `..` are skipped; symlinks are followed only while the target stays inside the
// layer root.
// Throws InputError naming the path for an escaping or dangling symlink, a loop, a FIFO,
// socket or device node, an unreadable directory, or a root that is not a directory.
// A missing root gives present = false.
Layer read_layer(const LayerSpec& spec, int index);

// How many times a kubelet volume is read in all when the kubelet swaps `..data` meanwhile
// (the one retry policy: read_layer, and a run's composition, see run/inputs.h).
constexpr int max_kubelet_attempts = 5;

// True when `layer` is a kubelet volume whose `..data` has moved since it was read (the
// kubelet published an update: files listed before may be gone).
bool changed_since_read(const Layer& layer);

} // namespace config_init::layers

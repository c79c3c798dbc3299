// inotify on the layer roots, for `watch`. A kubelet volume (a root holding `..data`) is
// watched at its root only: the kubelet publishes every update by renaming `..data`. A
// plain tree is watched recursively (every directory; new ones are added by the next
// arm()). A root that does not exist yet is waited for through its nearest existing
// ancestor. The destination is never watched: neither config-init's writes nor the app's
// edits there start a run. One descriptor for all of it; no polling.
#pragma once

#include "util/fs.h"
#include "util/log.h"

#include <map>
#include <string>
#include <vector>

namespace config_init::watch {

class LayerWatcher {
public:
  // `roots` in layer order (logged as layer 1, 2, ...); `dest` is excluded from watching.
  // Throws IoError when inotify is unavailable.
  LayerWatcher(std::vector<std::string> roots, std::string dest);

  // The descriptor to poll() for input.
  int fd() const { return fd_.get(); }

  // Sets the watches for what is on disk now, dropping those no longer needed. Called
  // before each run, so that the run reads nothing a watch did not cover. A directory that
  // cannot be watched (the inotify watch limit) is logged once; the resync covers it.
  void arm(Log& log);

  // Reads the pending events and returns what they mean for a run, one description per
  // event that should start one ("..data swapped in layer 2", "file changed in layer 1:
  // a/b.toml", "layer 3 appeared", "inotify queue overflow"). Never blocks.
  std::vector<std::string> read_events(Log& log);

  size_t watch_count() const { return watches_.size(); }

private:
  enum class Kind { kubelet_root, tree, ancestor };
  struct Watch {
    size_t layer;
    Kind kind;
    std::string relative; // tree: the directory below the root ("" for the root)
    std::string awaited;  // ancestor: the name whose creation brings the root closer
  };

  void arm_layer(size_t layer, std::map<int, std::vector<Watch>>& watches, Log& log);
  void arm_tree(size_t layer, const std::string& relative,
                std::map<int, std::vector<Watch>>& watches, Log& log);
  bool add(const std::string& path, uint32_t mask, Watch watch,
           std::map<int, std::vector<Watch>>& watches, Log& log);
  std::string layer_name(size_t layer) const;

  std::vector<std::string> roots_;
  std::string dest_;
  FileDescriptor fd_;
  std::map<int, std::vector<Watch>> watches_; // by watch descriptor
  bool limit_logged_ = false;
  dev_t dest_dev_ = 0;
  ino_t dest_ino_ = 0;
};

} // namespace config_init::watch

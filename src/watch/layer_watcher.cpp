#include "watch/layer_watcher.h"

#include "util/error.h"

#include <cerrno>
#include <climits>
#include <dirent.h>
#include <memory>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init::watch {

namespace {

constexpr uint32_t kubelet_mask =
    IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr uint32_t tree_mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
                               IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                               IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
constexpr uint32_t ancestor_mask = IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR;
constexpr const char* kubelet_data = "..data";

std::string join(const std::string& root, const std::string& relative) {
  return relative.empty() ? root : root + "/" + relative;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// The parent of an absolute or relative path ("." for a bare name).
std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

LayerWatcher::LayerWatcher(std::vector<std::string> roots, std::string dest)
    : roots_(std::move(roots)), dest_(std::move(dest)),
      fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (!fd_.valid()) throw IoError(errno_message("cannot start inotify", errno));
  for (std::string& root : roots_) {
    while (root.size() > 1 && root.back() == '/')
      root.pop_back();
  }
}

std::string LayerWatcher::layer_name(size_t layer) const {
  return "layer " + std::to_string(layer + 1);
}

void LayerWatcher::arm(Log& log) {
  struct stat st {};
  if (::stat(dest_.c_str(), &st) == 0) {
    dest_dev_ = st.st_dev;
    dest_ino_ = st.st_ino;
  }
  std::map<int, std::vector<Watch>> watches;
  for (size_t layer = 0; layer < roots_.size(); ++layer)
    arm_layer(layer, watches, log);
  for (const auto& entry : watches_) {
    if (!watches.count(entry.first)) ::inotify_rm_watch(fd_.get(), entry.first);
  }
  watches_ = std::move(watches);
}

void LayerWatcher::arm_layer(size_t layer, std::map<int, std::vector<Watch>>& watches, Log& log) {
  const std::string& root = roots_[layer];
  if (is_directory(root)) {
    if (is_symlink(root + "/" + kubelet_data)) {
      add(root, kubelet_mask, Watch{layer, Kind::kubelet_root, "", ""}, watches, log);
    } else {
      arm_tree(layer, "", watches, log);
    }
    return;
  }
  // Not there yet: wait for the next missing path element in the nearest existing ancestor.
  std::string missing = root;
  for (int depth = 0; depth < PATH_MAX; ++depth) {
    const std::string parent = parent_of(missing);
    if (is_directory(parent)) {
      add(parent, ancestor_mask, Watch{layer, Kind::ancestor, "", name_of(missing)}, watches, log);
      return;
    }
    if (parent == missing || parent == "/" || parent == ".") return;
    missing = parent;
  }
}

void LayerWatcher::arm_tree(size_t layer, const std::string& relative,
                            std::map<int, std::vector<Watch>>& watches, Log& log) {
  const std::string path = join(roots_[layer], relative);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;
  if (st.st_dev == dest_dev_ && st.st_ino == dest_ino_) return; // the destination
  if (!add(path, tree_mask, Watch{layer, Kind::tree, relative, ""}, watches, log)) return;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
  if (!dir) return;
  std::vector<std::string> children;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {
      struct stat child {};
      directory = ::lstat((path + "/" + name).c_str(), &child) == 0 && S_ISDIR(child.st_mode);
    }
    if (directory) children.push_back(relative.empty() ? name : relative + "/" + name);
  }
  dir.reset();
  for (const std::string& child : children)
    arm_tree(layer, child, watches, log);
}

bool LayerWatcher::add(const std::string& path, uint32_t mask, Watch watch,
                       std::map<int, std::vector<Watch>>& watches, Log& log) {
  // Several layers may share a directory (an ancestor): the masks of one inode add up.
  const int wd = ::inotify_add_watch(fd_.get(), path.c_str(), mask | IN_MASK_ADD);
  if (wd < 0) {
    if (errno == ENOSPC && !limit_logged_) {
      log.warn("cannot watch " + path +
               ": the inotify watch limit is reached (fs.inotify.max_user_watches); changes "
               "below it are found by the resync");
      limit_logged_ = true;
    }
    return false;
  }
  watches[wd].push_back(std::move(watch));
  return true;
}

std::vector<std::string> LayerWatcher::read_events(Log& log) {
  std::vector<std::string> triggers;
  bool rearm = false;
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    const ssize_t count = ::read(fd_.get(), buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;
    for (ssize_t offset = 0; offset < count;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        triggers.push_back("inotify queue overflow");
        continue;
      }
      const auto found = watches_.find(event->wd);
      if (found == watches_.end()) continue; // a watch dropped by arm()
      const std::string name = event->len ? std::string(event->name) : std::string();
      for (const Watch& watch : found->second) {
        const std::string layer = layer_name(watch.layer);
        if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          if (watch.kind != Kind::ancestor && watch.relative.empty()) {
            triggers.push_back(layer + " removed");
          } else if (watch.kind == Kind::tree) {
            triggers.push_back("file changed in " + layer + ": " + watch.relative);
          }
          rearm = true;
          continue;
        }
        switch (watch.kind) {
        case Kind::kubelet_root:
          if (name == kubelet_data)
            triggers.push_back(std::string(kubelet_data) + " swapped in " + layer);
          break;
        case Kind::tree:
          triggers.push_back("file changed in " + layer + ": " +
                             (watch.relative.empty() ? name : watch.relative + "/" + name));
          break;
        case Kind::ancestor:
          if (name != watch.awaited) break;
          rearm = true;
          if (is_directory(roots_[watch.layer])) triggers.push_back(layer + " appeared");
          break;
        }
      }
    }
  }
  if (rearm) arm(log);
  return triggers;
}

} // namespace config_init::watch

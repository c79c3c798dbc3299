#include "layers/layer.h"

#include "util/error.h"
#include "util/identity.h"
#include "util/text.h"
#include "util/utf8.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace config_init::layers {

namespace {

// Deepest directory nesting followed in a layer.
constexpr int max_depth = 64;
// Most entries (files, directories, links) read in one layer: well past the largest real
// trees (make bench reads 110,000).
constexpr size_t max_entries = 1000000;
// Most entries read below directories reached through a symlink: a directory linked from
// several places is read once per path, so this bounds a fan-out (test_hostile.py) in time
// and memory long before max_entries.
constexpr size_t max_linked_entries = 100000;

struct DirectoryId {
  dev_t device;
  ino_t inode;
  bool operator==(const DirectoryId& other) const {
    return device == other.device && inode == other.inode;
  }
};

std::string real_path_of(const std::string& path, int& error) {
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer) == nullptr) {
    error = errno;
    return {};
  }
  error = 0;
  return buffer;
}

bool is_inside(const std::string& root, const std::string& path) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          (root == "/" || path[root.size()] == '/'));
}

std::string file_type_name(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file or directory";
}

std::string read_link(const std::string& path) {
  char buffer[PATH_MAX];
  const ssize_t length = ::readlink(path.c_str(), buffer, sizeof buffer);
  return length < 0 ? std::string() : std::string(buffer, static_cast<size_t>(length));
}

// Walks one layer; `shown` is the layer root as the user gave it, for messages.
class Walker {
public:
  Walker(std::string root_real, std::string shown, std::vector<SourceFile>& files)
      : root_(std::move(root_real)), shown_(std::move(shown)), files_(files) {}

  void walk(const std::string& real_dir, const std::string& relative, int depth) {
    if (depth > max_depth) {
      throw InputError(where(relative) + ": directories nested deeper than " +
                       std::to_string(max_depth) + " levels");
    }
    struct stat dir_stat {};
    if (::stat(real_dir.c_str(), &dir_stat) != 0) {
      throw InputError(errno_message(where(relative), errno));
    }
    const DirectoryId id{dir_stat.st_dev, dir_stat.st_ino};
    if (std::find(stack_.begin(), stack_.end(), id) != stack_.end()) {
      throw InputError(where(relative) + ": symlink loop (a directory links back to its parent)");
    }
    stack_.push_back(id);
    for (const std::string& name : list(real_dir, relative)) {
      if (relative.empty() && name.rfind("..", 0) == 0) continue; // kubelet bookkeeping
      if (!valid_utf8(name)) {
        throw InputError(where(relative) + ": a file name that is not valid UTF-8 ('" +
                         text::shown_bytes(name) + "')");
      }
      visit(real_dir + "/" + name, relative.empty() ? name : relative + "/" + name, depth);
    }
    stack_.pop_back();
  }

private:
  std::string where(const std::string& relative) const {
    return relative.empty() ? shown_ : shown_ + "/" + relative;
  }

  std::vector<std::string> list(const std::string& real_dir, const std::string& relative) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(real_dir.c_str()), ::closedir);
    if (!dir)
      throw InputError(errno_message("cannot read layer directory " + where(relative), errno));
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir.get())) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    if (errno != 0)
      throw InputError(errno_message("cannot read layer directory " + where(relative), errno));
    std::sort(names.begin(), names.end());
    return names;
  }

  void visit(const std::string& path, const std::string& relative, int depth) {
    // A directory linked from several places is read once per path: bound the work, or 80
    // links to directories linking twice to the next make 2^40 paths.
    if (++entries_ > max_entries) {
      throw InputError(where(relative) + ": the layer has more than " +
                       std::to_string(max_entries) + " entries");
    }
    if (linked_depth_ > 0 && ++linked_entries_ > max_linked_entries) {
      throw InputError(where(relative) + ": the layer has more than " +
                       std::to_string(max_linked_entries) +
                       " entries below symlinked directories (a directory reached through "
                       "several symlinks counts each time)");
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw InputError(errno_message(where(relative), errno));
    std::string real = path;
    if (S_ISLNK(st.st_mode)) {
      int error = 0;
      real = real_path_of(path, error);
      if (error == ELOOP) throw InputError(where(relative) + ": symlink loop");
      if (error == ENOENT) {
        throw InputError(where(relative) + ": dangling symlink (-> " + read_link(path) + ")");
      }
      if (error != 0) throw InputError(errno_message(where(relative), error));
      if (!is_inside(root_, real)) {
        throw InputError(where(relative) + ": symlink escapes the layer (-> " + read_link(path) +
                         ", resolves to " + real + ")");
      }
      if (::stat(real.c_str(), &st) != 0) throw InputError(errno_message(where(relative), errno));
    }
    if (S_ISDIR(st.st_mode)) {
      const bool linked = real != path;
      linked_depth_ += linked ? 1 : 0;
      walk(real, relative, depth + 1);
      linked_depth_ -= linked ? 1 : 0;
    } else if (S_ISREG(st.st_mode)) {
      files_.push_back(
          SourceFile{relative, real, static_cast<uint64_t>(st.st_size), source_identity(st)});
    } else {
      throw InputError(where(relative) + ": " + file_type_name(st.st_mode) +
                       "; layers may hold only regular files, directories and symlinks");
    }
  }

  std::string root_;
  std::string shown_;
  std::vector<SourceFile>& files_;
  std::vector<DirectoryId> stack_;
  size_t entries_ = 0;
  int linked_depth_ = 0; // how many symlinked directories the walk is below
  size_t linked_entries_ = 0;
};

// Where a layer's files are read from. For a kubelet volume that is the directory `..data`
// names: one whole version. The per-key links at the root are not: the kubelet creates the
// links of new keys after it swaps `..data` and removes those of old keys later still, so
// between the two a walk from the root would see the new version without its new keys.
std::string walk_root(const std::string& root_real, const std::string& shown, bool kubelet) {
  if (!kubelet) return root_real;
  int error = 0;
  const std::string data = real_path_of(root_real + "/..data", error);
  if (error != 0) throw InputError(errno_message("layer " + shown + "/..data", error));
  if (!is_inside(root_real, data) || data == root_real) {
    throw InputError("layer " + shown +
                     "/..data: does not name a directory inside the volume (-> " +
                     read_link(root_real + "/..data") + ")");
  }
  return data;
}

} // namespace

Layer read_layer(const LayerSpec& spec, int index) {
  Layer layer;
  layer.spec = spec;
  layer.index = index;

  struct stat st {};
  if (::stat(spec.root.c_str(), &st) != 0) {
    if (errno == ENOENT) return layer; // optional layer, like an optional ConfigMap
    throw InputError(errno_message("layer " + spec.root, errno));
  }
  if (!S_ISDIR(st.st_mode)) throw InputError("layer " + spec.root + ": not a directory");
  int error = 0;
  const std::string root_real = real_path_of(spec.root, error);
  if (error != 0) throw InputError(errno_message("layer " + spec.root, error));
  layer.present = true;

  const std::string data_link = root_real + "/..data";
  layer.kubelet = !read_link(data_link).empty();
  for (int attempt = 1;; ++attempt) {
    const std::string before = read_link(data_link);
    layer.files.clear();
    try {
      Walker(root_real, spec.root, layer.files)
          .walk(walk_root(root_real, spec.root, layer.kubelet), "", 0);
    } catch (const InputError&) {
      // A kubelet update swapped ..data while we read: the old tree may be half deleted.
      if (read_link(data_link) == before || attempt >= max_kubelet_attempts) throw;
      continue;
    }
    if (read_link(data_link) == before || attempt >= max_kubelet_attempts) {
      layer.data_target = before;
      break;
    }
  }
  std::sort(layer.files.begin(), layer.files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
  return layer;
}

bool changed_since_read(const Layer& layer) {
  if (!layer.kubelet) return false;
  int error = 0;
  const std::string root = real_path_of(layer.spec.root, error);
  return error != 0 || read_link(root + "/..data") != layer.data_target;
}

} // namespace config_init::layers

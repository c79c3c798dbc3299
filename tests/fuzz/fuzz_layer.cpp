// libFuzzer target: the layer reader (src/layers/layer.cpp) on trees built from the input.
//
// The input is a little program: each operation creates a directory, a file, a symlink (to
// targets inside and outside the layer, absolute and relative, dangling, looping), a FIFO, a
// device node or a kubelet `..data` layout, or moves the "current directory" of the builder.
// Names include spaces, newlines, leading dashes, `..`-prefixed and non-UTF-8 ones.
// read_layer() must either throw config_init::InputError or return a listing in which every
// file is a regular file inside the layer root, reached by the path it is listed under.
#include "fuzz_support.h"
#include "layers/layer.h"
#include "util/error.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <ftw.h>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr size_t max_operations = 64;

std::string g_base;    // per-process scratch directory (on /dev/shm when available)
std::string g_root;    // the layer root: g_base/layer
std::string g_outside; // g_base/outside: a directory and a file outside the layer

class Input {
public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string bytes(size_t count) {
    count = std::min(count, size_ - std::min(pos_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + pos_), count);
    pos_ += count;
    return out;
  }

private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

int remove_one(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);
  return 0;
}

void remove_tree(const std::string& path) {
  ::nftw(path.c_str(), remove_one, 32, FTW_DEPTH | FTW_PHYS);
}

std::string name_from(Input& in) {
  static const char* const fixed[] = {"a",
                                      "b",
                                      "c.toml",
                                      "d.json",
                                      "e.yaml",
                                      "..data",
                                      "..2026_01_01_00_00_00.1",
                                      "..data_tmp",
                                      ".hidden",
                                      "-n",
                                      "--help",
                                      "sp ace",
                                      "new\nline",
                                      "\xff\xfe.txt",
                                      "...",
                                      "a.b",
                                      "x.yml",
                                      "settings.json"};
  const uint8_t choice = in.byte();
  if (choice < 160) return fixed[choice % (sizeof fixed / sizeof fixed[0])];
  static const char charset[] = "ab.-_ \n\xff\x01:\\~";
  std::string name;
  const size_t length = 1 + in.byte() % 8;
  for (size_t i = 0; i < length; ++i)
    name += charset[in.byte() % (sizeof charset - 1)];
  if (name == "." || name == "..") name = "x";
  return name;
}

std::string target_from(Input& in, const std::vector<std::string>& made) {
  switch (in.byte() % 12) {
  case 0:
    return ".";
  case 1:
    return "..";
  case 2:
    return std::string("../") + (in.byte() % 2 ? "../" : "") + name_from(in);
  case 3:
    return "/";
  case 4:
    return g_outside;
  case 5:
    return g_outside + "/secret";
  case 6:
    return g_root + (in.byte() % 2 ? "" : "/" + name_from(in));
  case 7:
    return "..data/" + name_from(in);
  case 8:
    return made.empty() ? "a" : made[in.byte() % made.size()];
  case 9:
    return name_from(in) + "/" + name_from(in);
  case 10:
    return "/dev/null";
  default:
    return name_from(in);
  }
}

void build(Input& in) {
  std::string cwd = g_root;      // absolute
  std::vector<std::string> made; // paths relative to the root of everything created
  const auto relative = [&](const std::string& path) { return path.substr(g_root.size() + 1); };
  for (size_t op = 0; op < max_operations && !in.empty(); ++op) {
    const uint8_t code = in.byte();
    const std::string path = cwd + "/" + name_from(in);
    switch (code % 9) {
    case 0:
      if (::mkdir(path.c_str(), 0755) == 0) made.push_back(relative(path));
      break;
    case 1: {
      const std::string content = in.bytes(in.byte() % 48);
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
      if (fd >= 0) {
        if (::write(fd, content.data(), content.size()) < 0) { /* ignored */
        }
        ::close(fd);
        made.push_back(relative(path));
      }
      break;
    }
    case 2:
    case 3:
      if (::symlink(target_from(in, made).c_str(), path.c_str()) == 0)
        made.push_back(relative(path));
      break;
    case 4: { // enter a directory made earlier (by its real path: never through a link)
      std::vector<std::string> directories;
      for (const std::string& entry : made) {
        struct stat st {};
        if (::lstat((g_root + "/" + entry).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
          directories.push_back(entry);
      }
      if (!directories.empty()) cwd = g_root + "/" + directories[in.byte() % directories.size()];
      break;
    }
    case 5:
      cwd = g_root;
      break;
    case 6:
      ::mkfifo(path.c_str(), 0644);
      break;
    case 7:
      ::mknod(path.c_str(), S_IFCHR | 0644, makedev(1, 3)); // like /dev/null (needs root)
      break;
    case 8: { // a kubelet volume: ..<stamp>/ with the content, ..data -> it, per-key links
      const std::string stamp = "..2026_11_28_12_00_00." + std::to_string(in.byte());
      ::mkdir((g_root + "/" + stamp).c_str(), 0755);
      const std::string key = name_from(in);
      const int fd =
          ::open((g_root + "/" + stamp + "/" + key).c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW, 0644);
      if (fd >= 0) ::close(fd);
      ::unlink((g_root + "/..data").c_str());
      ::symlink(stamp.c_str(), (g_root + "/..data").c_str());
      ::symlink(("..data/" + key).c_str(), (g_root + "/" + key).c_str());
      break;
    }
    }
  }
}

std::string real(const std::string& path) {
  char buffer[PATH_MAX];
  return ::realpath(path.c_str(), buffer) ? std::string(buffer) : std::string();
}

void check(const config_init::layers::Layer& layer) {
  if (!layer.present) fuzz::fail("an existing layer root was reported missing", g_root);
  const std::string root = real(g_root);
  std::string previous;
  for (const auto& file : layer.files) {
    const std::string& p = file.path;
    if (p.empty() || p.front() == '/' || p.back() == '/' || p.find("//") != std::string::npos)
      fuzz::fail("malformed relative path", p);
    size_t start = 0;
    for (;;) {
      const size_t slash = p.find('/', start);
      const std::string element = p.substr(start, slash - start);
      if (element == "." || element == "..") fuzz::fail("a . or .. path element", p);
      if (start == 0 && element.rfind("..", 0) == 0)
        fuzz::fail("kubelet bookkeeping listed as content", p);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (!previous.empty() && !(previous < p)) fuzz::fail("paths not sorted and unique", p);
    previous = p;
    if (file.real_path.compare(0, root.size() + 1, root + "/") != 0)
      fuzz::fail("a file outside the layer root", p + " -> " + file.real_path);
    struct stat st {};
    if (::lstat(file.real_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      fuzz::fail("real_path is not a regular file", p + " -> " + file.real_path);
    // A kubelet volume is read from the directory ..data names, not through the root.
    const std::string base = layer.kubelet ? g_root + "/..data" : g_root;
    if (real(base + "/" + p) != file.real_path)
      fuzz::fail("the listed path does not lead to real_path", p + " -> " + file.real_path);
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* shm = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  std::string templ = std::string(shm) + "/config-init-fuzz-layer-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  g_base = templ;
  g_root = g_base + "/layer";
  g_outside = g_base + "/outside";
  ::mkdir(g_outside.c_str(), 0755);
  const int fd = ::open((g_outside + "/secret").c_str(), O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) ::close(fd);
  std::atexit([] { remove_tree(g_base); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  remove_tree(g_root);
  if (::mkdir(g_root.c_str(), 0755) != 0) {
    std::perror("mkdir");
    std::abort();
  }
  Input in(data, size);
  build(in);
  try {
    check(config_init::layers::read_layer(config_init::layers::LayerSpec{g_root, false}, 0));
  } catch (const config_init::InputError&) {
    // A clear input error is a correct answer.
  }
  return 0;
}

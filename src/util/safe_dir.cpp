#include "util/safe_dir.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace config_init {

namespace {

constexpr int directory_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::vector<std::string> split_elements(const std::string& relative) {
  std::vector<std::string> elements;
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t slash = relative.find('/', start);
    const size_t end = slash == std::string::npos ? relative.size() : slash;
    if (end > start) elements.push_back(relative.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return elements;
}

// "." and ".." would lead back up and out of the directory: never valid in a relative path here.
bool contained(const std::vector<std::string>& elements) {
  for (const std::string& element : elements) {
    if (element == "." || element == "..") return false;
  }
  return true;
}

// Opens each directory of `elements[0..count)` in turn below `base`, never following links.
int open_chain(int base, const std::vector<std::string>& elements, size_t count,
               FileDescriptor& out) {
  if (!contained(elements)) return EINVAL;
  FileDescriptor current;
  if (count == 0) {
    current = FileDescriptor(::fcntl(base, F_DUPFD_CLOEXEC, 0));
    if (!current.valid()) return errno;
  }
  for (size_t i = 0; i < count; ++i) {
    FileDescriptor next(
        ::openat(i == 0 ? base : current.get(), elements[i].c_str(), directory_flags));
    if (!next.valid()) return errno;
    current = std::move(next);
  }
  out = std::move(current);
  return 0;
}

} // namespace

std::pair<std::string, std::string> split_path(const std::string& relative) {
  const size_t slash = relative.rfind('/');
  if (slash == std::string::npos) return {"", relative};
  return {relative.substr(0, slash), relative.substr(slash + 1)};
}

int SafeDir::open(const std::string& path, SafeDir& out) {
  FileDescriptor fd(::open(path.c_str(), directory_flags));
  if (!fd.valid()) return errno;
  out.fd_ = std::move(fd);
  out.path_ = path;
  return 0;
}

namespace {

void describe(const struct stat& st, SafeDir::Entry& out) {
  using Type = SafeDir::Entry::Type;
  out.mode = st.st_mode & 07777;
  out.size = static_cast<uint64_t>(st.st_size);
  out.st = st;
  if (S_ISREG(st.st_mode)) {
    out.type = Type::file;
  } else if (S_ISDIR(st.st_mode)) {
    out.type = Type::directory;
  } else if (S_ISLNK(st.st_mode)) {
    out.type = Type::symlink;
  } else {
    out.type = Type::other;
  }
}

} // namespace

int SafeDir::lookup(const std::string& relative, Entry& out, LookupCache* cache) const {
  out = Entry{};
  const std::vector<std::string> elements = split_elements(relative);
  if (!contained(elements)) return EINVAL;
  if (elements.empty()) return EINVAL;
  if (cache && cache->directory.valid() && cache->path == split_path(relative).first) {
    struct stat st {};
    if (::fstatat(cache->directory.get(), elements.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return errno == ENOENT ? 0 : errno;
    describe(st, out);
    return 0;
  }
  int dir = fd_.get();
  FileDescriptor holder;
  std::string walked;
  for (size_t i = 0; i < elements.size(); ++i) {
    struct stat st {};
    if (::fstatat(dir, elements[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return 0; // missing
      return errno;
    }
    walked += (walked.empty() ? "" : "/") + elements[i];
    const bool last = i + 1 == elements.size();
    if (!last) {
      if (!S_ISDIR(st.st_mode)) {
        out.type = Entry::Type::blocked;
        out.blocker = walked;
        return 0;
      }
      FileDescriptor next(::openat(dir, elements[i].c_str(), directory_flags));
      if (!next.valid()) return errno;
      holder = std::move(next);
      dir = holder.get();
      continue;
    }
    describe(st, out);
  }
  if (cache) {
    cache->directory =
        holder.valid() ? std::move(holder) : FileDescriptor(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    cache->path = split_path(relative).first;
  }
  return 0;
}

int SafeDir::open_parent(const std::string& relative, unsigned directory_mode, FileDescriptor& out,
                         std::vector<std::string>* created) const {
  const std::vector<std::string> elements = split_elements(relative);
  if (!contained(elements)) return EINVAL;
  if (elements.size() < 2) {
    FileDescriptor root(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!root.valid()) return errno;
    out = std::move(root);
    return 0;
  }
  FileDescriptor current;
  std::string walked;
  for (size_t i = 0; i + 1 < elements.size(); ++i) {
    const int parent = i == 0 ? fd_.get() : current.get();
    walked += (walked.empty() ? "" : "/") + elements[i];
    FileDescriptor next(::openat(parent, elements[i].c_str(), directory_flags));
    if (!next.valid() && errno == ENOENT) {
      if (::mkdirat(parent, elements[i].c_str(), directory_mode) != 0 && errno != EEXIST)
        return errno;
      next = FileDescriptor(::openat(parent, elements[i].c_str(), directory_flags));
      if (!next.valid()) return errno;
      if ((directory_mode & process_umask()) != 0 && ::fchmod(next.get(), directory_mode) != 0)
        return errno; // exact, whatever the umask
      if (created) created->push_back(walked);
    }
    if (!next.valid()) return errno;
    current = std::move(next);
  }
  out = std::move(current);
  return 0;
}

int SafeDir::open_directory(const std::string& relative, FileDescriptor& out) const {
  const std::vector<std::string> elements = split_elements(relative);
  return open_chain(fd_.get(), elements, elements.size(), out);
}

int SafeDir::open_file(const std::string& relative, FileDescriptor& out) const {
  const std::vector<std::string> elements = split_elements(relative);
  if (elements.empty()) return EISDIR;
  FileDescriptor parent;
  if (const int error = open_chain(fd_.get(), elements, elements.size() - 1, parent)) return error;
  return open_regular_file_at(parent.get(), elements.back(), out);
}

int open_regular_file_at(int directory, const std::string& name, FileDescriptor& out) {
  FileDescriptor file(
      ::openat(directory, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!file.valid()) return errno;
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return errno;
  if (!S_ISREG(st.st_mode)) return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
  out = std::move(file);
  return 0;
}

int DirectoryCursor::open(const std::string& relative, int& fd, const unsigned* create_mode,
                          std::vector<std::string>* created) {
  const std::vector<std::string> elements = split_elements(relative);
  if (!contained(elements)) return EINVAL;
  size_t common = 0;
  while (common < names_.size() && common < elements.size() && names_[common] == elements[common])
    ++common;
  names_.resize(common);
  open_.resize(common);
  for (size_t i = common; i < elements.size(); ++i) {
    const int parent = i == 0 ? root_.fd() : open_[i - 1].get();
    FileDescriptor next(::openat(parent, elements[i].c_str(), directory_flags));
    if (!next.valid() && errno == ENOENT && create_mode) {
      if (::mkdirat(parent, elements[i].c_str(), *create_mode) != 0 && errno != EEXIST)
        return errno;
      next = FileDescriptor(::openat(parent, elements[i].c_str(), directory_flags));
      if (!next.valid()) return errno;
      if ((*create_mode & process_umask()) != 0 && ::fchmod(next.get(), *create_mode) != 0)
        return errno; // exact, whatever the umask
      if (created) {
        std::string path;
        for (size_t k = 0; k <= i; ++k)
          path += (k ? "/" : "") + elements[k];
        created->push_back(path);
      }
    }
    if (!next.valid()) return errno;
    names_.push_back(elements[i]);
    open_.push_back(std::move(next));
  }
  fd = elements.empty() ? root_.fd() : open_.back().get();
  return 0;
}

} // namespace config_init

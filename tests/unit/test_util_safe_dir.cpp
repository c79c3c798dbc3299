// SafeDir and DirectoryCursor: lookups and opens that never follow a symlink, and
// directories created with exactly the mode asked for.
#include "test_support.h"
#include "util/safe_dir.h"

#include <cerrno>
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace config_init;
using test_support::TempDir;
using test_support::write_file;
using Type = SafeDir::Entry::Type;

namespace {

SafeDir open_dir(const std::string& path) {
  SafeDir dir;
  REQUIRE(SafeDir::open(path, dir) == 0);
  return dir;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A symlink where a directory is opened (O_DIRECTORY | O_NOFOLLOW) is refused: Linux says
// ENOTDIR, POSIX allows ELOOP. Either way it is not followed.
bool refused_link(int error) {
  return error == ENOTDIR || error == ELOOP;
}

} // namespace

TEST_SUITE("util::SafeDir") {
  TEST_CASE("open refuses a symlink, a file and a missing path") {
    TempDir tmp;
    write_file(tmp / "file", "x");
    REQUIRE(::mkdir((tmp / "dir").c_str(), 0755) == 0);
    REQUIRE(::symlink("dir", (tmp / "link").c_str()) == 0);
    SafeDir dir;
    CHECK(refused_link(SafeDir::open(tmp / "link", dir)));
    CHECK(SafeDir::open(tmp / "file", dir) == ENOTDIR);
    CHECK(SafeDir::open(tmp / "missing", dir) == ENOENT);
    REQUIRE(SafeDir::open(tmp / "dir", dir) == 0);
    CHECK(dir.path() == tmp / "dir");
    CHECK(dir.fd() >= 0);
  }

  TEST_CASE("lookup tells what a path is without following symlinks") {
    TempDir tmp;
    write_file(tmp / "a/file.txt", "12345");
    ::chmod((tmp / "a/file.txt").c_str(), 0640);
    REQUIRE(::symlink("a", (tmp / "link").c_str()) == 0);
    REQUIRE(::symlink("file.txt", (tmp / "a/to-file").c_str()) == 0);
    REQUIRE(::mkfifo((tmp / "a/fifo").c_str(), 0600) == 0);
    const SafeDir dir = open_dir(tmp.path());
    SafeDir::Entry entry;
    REQUIRE(dir.lookup("a/file.txt", entry) == 0);
    CHECK(entry.type == Type::file);
    CHECK(entry.mode == 0640);
    CHECK(entry.size == 5);
    REQUIRE(dir.lookup("a", entry) == 0);
    CHECK(entry.type == Type::directory);
    REQUIRE(dir.lookup("a/to-file", entry) == 0);
    CHECK(entry.type == Type::symlink);
    REQUIRE(dir.lookup("a/fifo", entry) == 0);
    CHECK(entry.type == Type::other);
    REQUIRE(dir.lookup("a/missing/deeper", entry) == 0);
    CHECK(entry.type == Type::missing);
    REQUIRE(dir.lookup("link/file.txt", entry) == 0);
    CHECK(entry.type == Type::blocked);
    CHECK(entry.blocker == "link");
    REQUIRE(dir.lookup("a/file.txt/x", entry) == 0);
    CHECK(entry.type == Type::blocked);
    CHECK(entry.blocker == "a/file.txt");
    CHECK(dir.lookup("a/../a/file.txt", entry) == EINVAL);
    CHECK(dir.lookup("./a", entry) == EINVAL);
    CHECK(dir.lookup("", entry) == EINVAL);
  }

  TEST_CASE("lookup through the cache sees the same as without it") {
    TempDir tmp;
    write_file(tmp / "d/one", "1");
    write_file(tmp / "d/two", "22");
    const SafeDir dir = open_dir(tmp.path());
    SafeDir::LookupCache cache;
    SafeDir::Entry entry;
    REQUIRE(dir.lookup("d/one", entry, &cache) == 0);
    CHECK(entry.size == 1);
    CHECK(cache.path == "d");
    REQUIRE(dir.lookup("d/two", entry, &cache) == 0);
    CHECK(entry.type == Type::file);
    CHECK(entry.size == 2);
    REQUIRE(dir.lookup("d/three", entry, &cache) == 0);
    CHECK(entry.type == Type::missing);
  }

  // (The umask is not changed here: util/fs reads it once per process. Under the usual 022,
  // 0775 shows that the mode is exact.)
  TEST_CASE("open_parent creates the missing directories with exactly the mode, whatever the "
            "umask") {
    TempDir tmp;
    const SafeDir dir = open_dir(tmp.path());
    FileDescriptor parent;
    std::vector<std::string> created;
    REQUIRE(dir.open_parent("a/b/c/file", 0775, parent, &created) == 0);
    CHECK(parent.valid());
    CHECK(created == std::vector<std::string>{"a", "a/b", "a/b/c"});
    CHECK(mode_of(tmp / "a") == 0775);
    CHECK(mode_of(tmp / "a/b/c") == 0775);
    created.clear();
    REQUIRE(dir.open_parent("a/b/other", 0700, parent, &created) == 0);
    CHECK(created.empty());
    CHECK(mode_of(tmp / "a/b") == 0775); // existing directories are left as they are
    REQUIRE(::symlink("a", (tmp / "link").c_str()) == 0);
    CHECK(refused_link(dir.open_parent("link/x/file", 0755, parent, &created)));
    CHECK(::access((tmp / "a/x").c_str(), F_OK) != 0);
    CHECK(dir.open_parent("../escape/file", 0755, parent, &created) == EINVAL);
  }

  TEST_CASE("open_file opens regular files only, and open_directory no symlink") {
    TempDir tmp;
    write_file(tmp / "d/file", "content");
    REQUIRE(::symlink("file", (tmp / "d/link").c_str()) == 0);
    REQUIRE(::symlink("d", (tmp / "dlink").c_str()) == 0);
    REQUIRE(::mkfifo((tmp / "d/fifo").c_str(), 0600) == 0);
    const SafeDir dir = open_dir(tmp.path());
    FileDescriptor fd;
    REQUIRE(dir.open_file("d/file", fd) == 0);
    std::string content;
    REQUIRE(read_all(fd.get(), content) == 0);
    CHECK(content == "content");
    CHECK(dir.open_file("d/link", fd) == ELOOP);
    CHECK(dir.open_file("d", fd) == EISDIR);
    CHECK(dir.open_file("d/fifo", fd) == EINVAL); // and it did not block
    CHECK(refused_link(dir.open_file("dlink/file", fd)));
    CHECK(dir.open_file("d/missing", fd) == ENOENT);
    CHECK(refused_link(dir.open_directory("dlink", fd)));
    REQUIRE(dir.open_directory("", fd) == 0);
    REQUIRE(dir.open_directory("d", fd) == 0);
  }

  TEST_CASE("DirectoryCursor moves between directories and creates missing ones in order") {
    TempDir tmp;
    write_file(tmp / "x/y/file", "1");
    const SafeDir dir = open_dir(tmp.path());
    DirectoryCursor cursor(dir);
    int fd = -1;
    REQUIRE(cursor.open("x/y", fd) == 0);
    CHECK(fd >= 0);
    CHECK(::faccessat(fd, "file", F_OK, 0) == 0);
    const unsigned mode = 0770;
    std::vector<std::string> created;
    REQUIRE(cursor.open("x/z/w", fd, &mode, &created) == 0);
    CHECK(created == std::vector<std::string>{"x/z", "x/z/w"});
    CHECK(mode_of(tmp / "x/z/w") == 0770);
    REQUIRE(cursor.open("", fd) == 0);
    CHECK(::faccessat(fd, "x", F_OK, 0) == 0);
    CHECK(cursor.open("missing", fd) == ENOENT);
    REQUIRE(::symlink("x", (tmp / "l").c_str()) == 0);
    CHECK(refused_link(cursor.open("l/y", fd, &mode, &created)));
    CHECK(::access((tmp / "x/y").c_str(), F_OK) == 0);
  }

  TEST_CASE("split_path separates the directory from the name") {
    CHECK(split_path("a/b/c") == std::pair<std::string, std::string>{"a/b", "c"});
    CHECK(split_path("c") == std::pair<std::string, std::string>{"", "c"});
  }
}

#include "publish/atomic_file.h"
#include "test_support.h"
#include "util/error.h"
#include "util/identity.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using config_init::FileDescriptor;
using config_init::IoError;
using config_init::publish::AtomicFile;
using config_init::publish::is_temporary_name;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

namespace {
size_t entries(const std::string& dir) {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir))
    ++count;
  return count;
}
} // namespace

TEST_SUITE("publish::AtomicFile") {
  TEST_CASE("commit replaces the old file whole, with the mode asked for") {
    TempDir tmp;
    write_file(tmp / "a.txt", "old");
    FileDescriptor dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
    {
      AtomicFile file(dir.get(), "a.txt", "a.txt");
      file.write_verified("new content");
      CHECK(read_file(tmp / "a.txt") == "old"); // not visible before commit
      file.set_mode(0640);
      file.flush();
      file.commit();
    }
    CHECK(read_file(tmp / "a.txt") == "new content");
    struct stat st {};
    REQUIRE(::stat((tmp / "a.txt").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(entries(tmp.path()) == 1);
  }

  TEST_CASE("an uncommitted file leaves no temporary behind") {
    TempDir tmp;
    FileDescriptor dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
    {
      AtomicFile file(dir.get(), "a.txt", "a.txt");
      file.write_verified("partial");
      CHECK(entries(tmp.path()) == 1);
    }
    CHECK(entries(tmp.path()) == 0);
  }

  TEST_CASE("copy_from copies the bytes and returns the source's identity") {
    TempDir tmp;
    write_file(tmp / "src", "abc");
    FileDescriptor dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
    AtomicFile file(dir.get(), "dst", "dst");
    const std::string identity = file.copy_from(tmp / "src", "src");
    struct stat st {};
    REQUIRE(::stat((tmp / "src").c_str(), &st) == 0);
    CHECK(identity == config_init::source_identity(st));
    CHECK(file.size() == 3);
    file.commit();
    CHECK(read_file(tmp / "dst") == "abc");
  }

  TEST_CASE("a large copy (two halves, one on the helper thread) is exact, odd sizes too") {
    TempDir tmp;
    FileDescriptor dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
    // Sizes around the split (512 KiB) and the block (128 KiB) boundaries; every byte
    // depends on its offset, so a half written at the wrong place cannot pass.
    for (const size_t size : {size_t{512 * 1024}, size_t{512 * 1024 + 1}, size_t{1048576 + 12345},
                              size_t{3 * 1048576 - 1}}) {
      std::string content(size, '\0');
      for (size_t i = 0; i < size; ++i)
        content[i] = static_cast<char>((i * 2654435761u) >> 13);
      write_file(tmp / "src", content);
      AtomicFile file(dir.get(), "dst", "dst");
      file.copy_from(tmp / "src", "src");
      CHECK(file.size() == size);
      file.commit();
      CHECK(read_file(tmp / "dst") == content);
    }
  }

  TEST_CASE("a large copy after bytes already written lands after them") {
    TempDir tmp;
    const std::string content(700 * 1024, 'x');
    write_file(tmp / "src", content);
    FileDescriptor dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
    AtomicFile file(dir.get(), "dst", "dst");
    file.write_verified("head:");
    file.copy_from(tmp / "src", "src");
    CHECK(file.size() == content.size() + 5);
    file.commit();
    CHECK(read_file(tmp / "dst") == "head:" + content);
  }

  TEST_CASE("a rewritten source has another identity") {
    TempDir tmp;
    write_file(tmp / "src", "abc");
    struct stat before {};
    REQUIRE(::stat((tmp / "src").c_str(), &before) == 0);
    ::usleep(10000);
    write_file(tmp / "src", "abd"); // same size
    struct stat after {};
    REQUIRE(::stat((tmp / "src").c_str(), &after) == 0);
    CHECK(config_init::source_identity(before) != config_init::source_identity(after));
  }

  TEST_CASE("a directory that cannot be written is an IoError naming the file") {
    if (::geteuid() == 0) return; // root ignores permission bits
    TempDir tmp;
    ::chmod(tmp.path().c_str(), 0500);
    FileDescriptor dir(::open(tmp.path().c_str(), O_RDONLY | O_DIRECTORY));
    CHECK_THROWS_AS(AtomicFile(dir.get(), "a", "dest/a"), IoError);
  }

  TEST_CASE("temporary names are recognised exactly") {
    CHECK(is_temporary_name(".config-init-123-0.tmp"));
    CHECK(is_temporary_name(".config-init-1-99.tmp"));
    CHECK_FALSE(is_temporary_name(".config-init-abc.tmp"));
    CHECK_FALSE(is_temporary_name(".config-init-.tmp"));
    CHECK_FALSE(is_temporary_name("config-init-1-2.tmp"));
    CHECK_FALSE(is_temporary_name(".config-init-1-2.tmp.bak"));
    CHECK_FALSE(is_temporary_name(".config-init"));
  }
}

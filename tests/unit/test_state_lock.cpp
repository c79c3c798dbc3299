// state::DestinationLock: created where it belongs, exclusive, waited for (logging once),
// never through a symlink, and re-taken when the run waited for removed the lock file.
#include "state/lock.h"
#include "test_support.h"
#include "util/error.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace config_init;
using test_support::TempDir;
using test_support::write_file;

namespace {

SafeDir open_dest(const TempDir& tmp) {
  SafeDir dest;
  REQUIRE(SafeDir::open(tmp.path(), dest) == 0);
  return dest;
}

// True when another open file description can take the lock on `path` right now.
bool lock_is_free(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// Takes the lock on DEST/.config-init/lock as another run would; released by closing the
// descriptor returned.
int hold_lock(const TempDir& tmp) {
  REQUIRE(::mkdir((tmp / ".config-init").c_str(), 0755) == 0);
  const int fd = ::open((tmp / ".config-init/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  return fd;
}

} // namespace

TEST_SUITE("state::DestinationLock") {
  TEST_CASE("the first lock creates .config-init and holds an exclusive lock until destroyed") {
    TempDir tmp;
    const SafeDir dest = open_dest(tmp);
    std::ostringstream out;
    Log log(LogFormat::text, out);
    bool created = false;
    {
      const state::DestinationLock lock = state::DestinationLock::acquire(dest, log, created);
      CHECK(created);
      struct stat st {};
      REQUIRE(::stat((tmp / ".config-init").c_str(), &st) == 0);
      CHECK(S_ISDIR(st.st_mode));
      CHECK_FALSE(lock_is_free(tmp / ".config-init/lock"));
    }
    CHECK(lock_is_free(tmp / ".config-init/lock"));
    const state::DestinationLock again = state::DestinationLock::acquire(dest, log, created);
    CHECK_FALSE(created); // the directory was there already
    log.flush();
    CHECK(out.str().empty()); // nobody waited
  }

  TEST_CASE("a held lock is waited for, and the wait is logged once") {
    TempDir tmp;
    const SafeDir dest = open_dest(tmp);
    const int holder = hold_lock(tmp);
    std::ostringstream out;
    Log log(LogFormat::text, out);
    std::atomic<bool> acquired{false};
    std::thread waiter([&] {
      bool created = true;
      const state::DestinationLock lock = state::DestinationLock::acquire(dest, log, created);
      acquired = true;
      CHECK_FALSE(created);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    CHECK_FALSE(acquired);
    ::close(holder); // releases the lock
    waiter.join();
    CHECK(acquired);
    const std::string logged = out.str();
    const std::string line =
        "waiting for another config-init run to release " + tmp.path() + "/.config-init/lock";
    CHECK(logged.find(line) != std::string::npos);
    CHECK(logged.find(line) == logged.rfind(line));
  }

  TEST_CASE("a lock file removed by the run waited for is created again and locked") {
    TempDir tmp;
    const SafeDir dest = open_dest(tmp);
    const int holder = hold_lock(tmp);
    std::ostringstream out;
    Log log(LogFormat::text, out);
    std::atomic<bool> acquired{false};
    std::thread waiter([&] {
      bool created = false;
      const state::DestinationLock lock = state::DestinationLock::acquire(dest, log, created);
      acquired = true;
      // The lock held is the one on the file now at .config-init/lock.
      CHECK_FALSE(lock_is_free(tmp / ".config-init/lock"));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(::unlink((tmp / ".config-init/lock").c_str()) == 0);
    ::close(holder);
    waiter.join();
    CHECK(acquired);
  }

  TEST_CASE("a symlink or a file at .config-init or its lock is refused, never followed") {
    Log log(LogFormat::text);
    bool created = false;
    {
      TempDir tmp;
      TempDir elsewhere;
      REQUIRE(::symlink(elsewhere.path().c_str(), (tmp / ".config-init").c_str()) == 0);
      const SafeDir dest = open_dest(tmp);
      // (Linux says "Not a directory" for a symlink opened as a directory without following.)
      const std::string cause = "cannot open " + tmp.path() + "/.config-init: ";
      CHECK_THROWS_WITH_AS(state::DestinationLock::acquire(dest, log, created),
                           doctest::Contains(cause.c_str()), IoError);
      struct stat st {};
      CHECK(::stat((elsewhere / "lock").c_str(), &st) != 0);
    }
    {
      TempDir tmp;
      write_file(tmp / ".config-init", "a file");
      const SafeDir dest = open_dest(tmp);
      CHECK_THROWS_WITH_AS(state::DestinationLock::acquire(dest, log, created),
                           ("cannot open " + tmp.path() + "/.config-init: Not a directory").c_str(),
                           IoError);
    }
    {
      TempDir tmp;
      REQUIRE(::mkdir((tmp / ".config-init").c_str(), 0755) == 0);
      REQUIRE(::symlink("/nonexistent-lock-target", (tmp / ".config-init/lock").c_str()) == 0);
      const SafeDir dest = open_dest(tmp);
      CHECK_THROWS_WITH_AS(
          state::DestinationLock::acquire(dest, log, created),
          ("cannot open " + tmp.path() + "/.config-init/lock: Too many levels of symbolic links")
              .c_str(),
          IoError);
    }
  }
}

// publish::Publisher's two phases on destinations in temporary directories: files, modes,
// directories, merge bases, backups, removals, the manifest, and what is left when a phase
// fails or never comes; the leftovers of a killed run.
#include "publish/atomic_file.h"
#include "publish/publish.h"
#include "state/base_store.h"
#include "state/manifest.h"
#include "test_support.h"
#include "util/error.h"
#include "util/identity.h"
#include "util/sha256.h"

#include <doctest/doctest.h>
#include <filesystem>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace config_init;
using plan::Action;
using plan::Change;
using test_support::read_file;
using test_support::TempDir;
using test_support::write_file;

namespace {

struct Destination {
  TempDir tmp;
  SafeDir dir;
  // As a run leaves it once it holds the lock (state::DestinationLock): .config-init exists.
  Destination() {
    REQUIRE(SafeDir::open(tmp.path(), dir) == 0);
    REQUIRE(::mkdir((tmp / state::state_directory).c_str(), 0755) == 0);
  }
  std::string operator/(const std::string& relative) const { return tmp / relative; }
  bool exists(const std::string& relative) const {
    struct stat st {};
    return ::lstat((tmp / relative).c_str(), &st) == 0;
  }
  unsigned mode(const std::string& relative) const {
    struct stat st {};
    REQUIRE(::lstat((tmp / relative).c_str(), &st) == 0);
    return st.st_mode & 07777;
  }
  std::string identity(const std::string& relative) const {
    struct stat st {};
    REQUIRE(::lstat((tmp / relative).c_str(), &st) == 0);
    return file_identity(st);
  }
  // The temporary files anywhere below the destination.
  std::vector<std::string> temporaries() const {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(tmp.path())) {
      if (publish::is_temporary_name(entry.path().filename().string()))
        found.push_back(entry.path().string());
    }
    return found;
  }
};

Change change(Action action, const std::string& path, const std::string& content,
              unsigned mode = 0644) {
  Change c{};
  c.action = action;
  c.file.path = path;
  c.file.in_memory = true;
  c.file.content = content;
  c.file.digest = Digest{Sha256::of(content), content.size()};
  c.file.mode = mode;
  return c;
}

} // namespace

TEST_SUITE("publish::Publisher") {
  TEST_CASE("files are written with their modes; bases and the manifest only by publish_state") {
    Destination dest;
    plan::Rules rules;
    rules.directory_mode = 0770; // exact, whatever the umask
    plan::Plan plan;
    plan.changes.push_back(change(Action::create, "a/b/new.txt", "abc", 0664));
    plan.changes.push_back(change(Action::create, "top.json", "{}", 0600));
    plan.changes.back().base = "{}";
    plan.changes.push_back(change(Action::unchanged, "same.txt", "same"));
    {
      publish::Publisher publisher(dest.dir, rules);
      const publish::PublishReport report = publisher.publish_files(plan);
      CHECK(report.files_written == 2);
      CHECK(report.bytes_written == 5);
      CHECK(report.directories_created == std::vector<std::string>{"a", "a/b"});
      CHECK(read_file(dest / "a/b/new.txt") == "abc");
      CHECK(dest.mode("a/b/new.txt") == 0664);
      CHECK(dest.mode("top.json") == 0600);
      CHECK(dest.mode("a") == 0770);
      CHECK(dest.mode("a/b") == 0770);
      CHECK_FALSE(dest.exists("same.txt"));
      CHECK(plan.changes[0].identity == dest.identity("a/b/new.txt"));
      CHECK(plan.changes[1].identity == dest.identity("top.json"));
      CHECK(plan.changes[2].identity.empty()); // not published: left as planned
      // The merge base waits for publish_state; the run is marked in progress.
      CHECK_FALSE(dest.exists(state::base_path("top.json")));
      CHECK(publish::interrupted_run(dest.dir));

      state::Manifest manifest;
      manifest.tool_version = "test";
      manifest.directories = {"a", "a/b"};
      publisher.publish_state(&manifest);
      CHECK(read_file(dest / state::manifest_path) ==
            "{\n  \"version\": 1,\n  \"tool\": \"config-init test\",\n  \"layers\": [],\n"
            "  \"files\": [],\n  \"directories\": [\n    \"a\",\n    \"a/b\"\n  ]\n}\n");
      CHECK(dest.mode(state::manifest_path) == 0644);
      CHECK(read_file(dest / state::base_path("top.json")) == "{}");
      CHECK(dest.mode(state::base_path("top.json")) == 0600);
    }
    CHECK_FALSE(publish::interrupted_run(dest.dir));
    CHECK(dest.temporaries().empty());
  }

  TEST_CASE("a chmod changes only the mode and records the new identity") {
    Destination dest;
    write_file(dest / "x.txt", "abc");
    REQUIRE(::chmod((dest / "x.txt").c_str(), 0600) == 0);
    plan::Plan plan;
    plan.changes.push_back(change(Action::chmod, "x.txt", "abc", 0644));
    const plan::Rules rules; // (the publisher keeps a reference)
    publish::Publisher publisher(dest.dir, rules);
    const publish::PublishReport report = publisher.publish_files(plan);
    CHECK(report.files_written == 0);
    CHECK(dest.mode("x.txt") == 0644);
    CHECK(read_file(dest / "x.txt") == "abc");
    CHECK(plan.changes[0].identity == dest.identity("x.txt"));
    publisher.publish_state(nullptr);
    CHECK_FALSE(dest.exists(state::manifest_path)); // nullptr keeps the current one (none)
  }

  TEST_CASE("stale files go with their merge bases, and the directories they emptied") {
    Destination dest;
    write_file(dest / "old/x.toml", "a = 1\n");
    write_file(dest / state::base_path("old/x.toml"), "a = 1\n");
    write_file(dest / "kept/y.txt", "y");
    plan::Plan plan;
    plan.changes.push_back(change(Action::remove, "old/x.toml", "a = 1\n"));
    plan.directories_to_remove = {"old", "kept"};
    const plan::Rules rules; // (the publisher keeps a reference)
    publish::Publisher publisher(dest.dir, rules);
    const publish::PublishReport report = publisher.publish_files(plan);
    CHECK_FALSE(dest.exists("old/x.toml"));
    CHECK_FALSE(dest.exists(state::base_path("old/x.toml")));
    CHECK_FALSE(dest.exists("old"));
    CHECK(dest.exists("kept/y.txt")); // not empty: left
    CHECK(report.directories_removed == std::vector<std::string>{"old"});
  }

  TEST_CASE("the app's version of a drifted file is backed up before it is overwritten") {
    Destination dest;
    write_file(dest / "conf/x.txt", "the app's");
    plan::Plan plan;
    plan.changes.push_back(change(Action::update, "conf/x.txt", "the layers'"));
    plan.changes.back().drifted = true;
    plan.changes.back().backup = true;
    const plan::Rules rules; // (the publisher keeps a reference)
    publish::Publisher publisher(dest.dir, rules);
    const publish::PublishReport report = publisher.publish_files(plan);
    REQUIRE(report.backups.size() == 1);
    CHECK(report.backups[0].first == "conf/x.txt");
    const std::string backup = report.backups[0].second;
    CHECK(backup.rfind(".config-init/backup/conf/x.txt.", 0) == 0);
    CHECK(read_file(dest / backup) == "the app's");
    CHECK(dest.mode(backup) == 0600);
    CHECK(dest.mode(".config-init/backup") == 0700);
    CHECK(read_file(dest / "conf/x.txt") == "the layers'");
  }

  TEST_CASE("a source changed since it was planned: an input error, nothing replaced") {
    Destination dest;
    TempDir sources;
    write_file(sources / "src.txt", "abc");
    write_file(dest / "x.txt", "before");
    plan::Plan plan;
    plan.changes.push_back(change(Action::create, "a.txt", "first"));
    Change copy = change(Action::update, "x.txt", "abc");
    copy.file.in_memory = false;
    copy.file.content.clear();
    copy.file.source = sources / "src.txt";
    copy.file.source_identity = "an identity it no longer has";
    plan.changes.push_back(copy);
    const plan::Rules rules; // (the publisher keeps a reference)
    publish::Publisher publisher(dest.dir, rules);
    CHECK_THROWS_WITH_AS(
        publisher.publish_files(plan),
        (sources / "src.txt" + " changed while config-init was reading it; run again").c_str(),
        InputError);
    CHECK(read_file(dest / "x.txt") == "before");
    CHECK_FALSE(dest.exists("a.txt")); // written to a temporary, never renamed
    CHECK(dest.temporaries().empty());
  }

  TEST_CASE("a source copied with the identity planned is published") {
    Destination dest;
    TempDir sources;
    write_file(sources / "src.bin", "abc");
    struct stat st {};
    REQUIRE(::stat((sources / "src.bin").c_str(), &st) == 0);
    plan::Plan plan;
    Change copy = change(Action::create, "copied.bin", "abc");
    copy.file.in_memory = false;
    copy.file.content.clear();
    copy.file.source = sources / "src.bin";
    copy.file.source_identity = source_identity(st);
    plan.changes.push_back(copy);
    const plan::Rules rules; // (the publisher keeps a reference)
    publish::Publisher publisher(dest.dir, rules);
    CHECK(publisher.publish_files(plan).files_written == 1);
    CHECK(read_file(dest / "copied.bin") == "abc");
  }

  TEST_CASE("a publisher destroyed before publish_state leaves the files, not its temporaries") {
    Destination dest;
    plan::Plan plan;
    plan.changes.push_back(change(Action::create, "c.yaml", "a: 1\n"));
    plan.changes.back().base = "a: 1\n";
    {
      const plan::Rules rules; // (the publisher keeps a reference)
      publish::Publisher publisher(dest.dir, rules);
      publisher.publish_files(plan);
    }
    CHECK(read_file(dest / "c.yaml") == "a: 1\n");
    CHECK_FALSE(dest.exists(state::base_path("c.yaml")));
    CHECK_FALSE(dest.exists(state::manifest_path));
    CHECK_FALSE(publish::interrupted_run(dest.dir));
    CHECK(dest.temporaries().empty());
  }

  TEST_CASE("write_file_atomically creates the directories and the file with their modes") {
    Destination dest;
    publish::write_file_atomically(dest.dir, "s/t/state.txt", "content", 0664);
    CHECK(read_file(dest / "s/t/state.txt") == "content");
    CHECK(dest.mode("s/t/state.txt") == 0664);
    CHECK(dest.mode("s/t") == 0755);
    publish::write_file_atomically(dest.dir, "p/q.txt", "secret", 0600, true);
    CHECK(dest.mode("p") == 0700);
    publish::write_file_atomically(dest.dir, "s/t/state.txt", "again", 0640);
    CHECK(read_file(dest / "s/t/state.txt") == "again");
    CHECK(dest.temporaries().empty());
  }

  TEST_CASE("the temporaries of a killed run are found and removed, with its marker") {
    Destination dest;
    write_file(dest / ".config-init-123-4.tmp", "partial");
    write_file(dest / "sub/.config-init-123-5.tmp", "partial");
    write_file(dest / ".config-init/.config-init-123-6.tmp", "partial manifest");
    write_file(dest / "sub/.config-init-notours.tmp", "not a temporary name");
    write_file(dest / "elsewhere/.config-init-123-7.tmp", "not in the directories given");
    write_file(dest / state::in_progress_path, "");
    CHECK(publish::interrupted_run(dest.dir));
    std::ostringstream out;
    Log log(LogFormat::text, out);
    CHECK(publish::remove_leftover_temporaries(dest.dir, {"", "sub"}, log) == 3);
    log.flush();
    CHECK(out.str().find("removed sub/.config-init-123-5.tmp (temporary file left by an "
                         "interrupted run)") != std::string::npos);
    CHECK_FALSE(dest.exists(".config-init-123-4.tmp"));
    CHECK_FALSE(dest.exists(".config-init/.config-init-123-6.tmp"));
    CHECK(dest.exists("sub/.config-init-notours.tmp"));
    CHECK(dest.exists("elsewhere/.config-init-123-7.tmp"));
    CHECK_FALSE(publish::interrupted_run(dest.dir));
  }
}

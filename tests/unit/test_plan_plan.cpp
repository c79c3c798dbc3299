// plan::make_plan against destinations in temporary directories: each action and its
// reason, drift, stale files, directories to remove, required files and three-way merges.
#include "formats/format.h"
#include "plan/plan.h"
#include "state/base_store.h"
#include "test_support.h"
#include "util/error.h"
#include "util/identity.h"
#include "util/sha256.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace config_init;
using plan::Action;
using plan::Change;
using plan::DesiredFile;
using test_support::TempDir;
using test_support::write_file;

namespace {

DesiredFile desired(const std::string& path, const std::string& content, unsigned mode = 0644,
                    plan::Policy policy = plan::Policy::merge) {
  DesiredFile file;
  file.path = path;
  file.layers = {0};
  file.policy = policy;
  file.in_memory = true;
  file.content = content;
  file.digest = Digest{Sha256::of(content), content.size()};
  file.mode = mode;
  return file;
}

// What the last run recorded for a file it wrote with `content`.
state::ManifestFile record(const std::string& path, const std::string& content,
                           const std::string& policy = "merge") {
  return state::ManifestFile{
      path, Sha256::of(content), content.size(), 0644, {}, policy, false, false, "", "", ""};
}

struct Destination {
  TempDir tmp;
  SafeDir dir;
  Destination() { REQUIRE(SafeDir::open(tmp.path(), dir) == 0); }
  void write(const std::string& path, const std::string& content, unsigned mode = 0644) const {
    write_file(tmp / path, content);
    REQUIRE(::chmod((tmp / path).c_str(), mode) == 0);
  }
  std::string shown(const std::string& path) const { return tmp / path; }
};

plan::Plan make(std::vector<DesiredFile> files, const SafeDir* dest,
                const state::Manifest* previous = nullptr,
                plan::OnDrift on_drift = plan::OnDrift::overwrite,
                const plan::Rules& rules = plan::Rules{}) {
  plan::Composition composition;
  composition.files = std::move(files);
  return plan::make_plan(std::move(composition), plan::PlanContext{dest, previous, on_drift},
                         rules);
}

const Change& change_of(const plan::Plan& plan, const std::string& path) {
  for (const Change& change : plan.changes) {
    if (change.file.path == path) return change;
  }
  FAIL("no change for " << path);
  throw std::logic_error("unreachable");
}

} // namespace

TEST_SUITE("plan::make_plan") {
  TEST_CASE("without a destination every file is created") {
    const plan::Plan plan = make({desired("a.txt", "a"), desired("b/c.txt", "c")}, nullptr);
    REQUIRE(plan.changes.size() == 2);
    CHECK(plan.changes[0].action == Action::create);
    CHECK(plan.changes[0].reason == "new file");
    CHECK(plan.changes[1].action == Action::create);
    CHECK(plan.count(Action::create) == 2);
    CHECK(plan.directories_to_remove.empty());
  }

  TEST_CASE("missing files are created, same ones left, a mode alone is chmodded") {
    Destination dest;
    dest.write("same.txt", "abc", 0644);
    dest.write("mode.txt", "abc", 0600);
    const plan::Plan plan =
        make({desired("mode.txt", "abc"), desired("new.txt", "n"), desired("same.txt", "abc")},
             &dest.dir);
    const Change& chmod = change_of(plan, "mode.txt");
    CHECK(chmod.action == Action::chmod);
    CHECK(chmod.reason == "mode differs");
    CHECK(change_of(plan, "new.txt").action == Action::create);
    const Change& same = change_of(plan, "same.txt");
    CHECK(same.action == Action::unchanged);
    CHECK(same.reason == "same content and mode");
    struct stat st {};
    REQUIRE(::lstat(dest.shown("same.txt").c_str(), &st) == 0);
    CHECK(same.identity == file_identity(st));
    CHECK_FALSE(same.base.has_value()); // not structured: no merge base
  }

  TEST_CASE("a file the layers changed since the last run is updated, without drift") {
    Destination dest;
    dest.write("x.txt", "old");
    state::Manifest previous;
    previous.files.push_back(record("x.txt", "old"));
    const plan::Plan plan = make({desired("x.txt", "new")}, &dest.dir, &previous);
    const Change& change = change_of(plan, "x.txt");
    CHECK(change.action == Action::update);
    CHECK(change.reason == "the layers changed it");
    CHECK_FALSE(change.drifted);
    CHECK_FALSE(change.backup);
  }

  TEST_CASE("a file the app changed is overwritten with a backup, or refused on-drift fail") {
    Destination dest;
    dest.write("x.txt", "the app's");
    state::Manifest previous;
    previous.files.push_back(record("x.txt", "old"));
    const plan::Plan plan = make({desired("x.txt", "new")}, &dest.dir, &previous);
    const Change& change = change_of(plan, "x.txt");
    CHECK(change.action == Action::update);
    CHECK(change.reason ==
          "changed since the last run; the app's version is kept under .config-init/backup/");
    CHECK(change.drifted);
    CHECK(change.backup);
    CHECK_FALSE(change.unmanaged);
    CHECK(plan::backup_message(plan, "x.txt", ".config-init/backup/x.txt.T") ==
          "x.txt was changed by the app since the last run; its version is kept as "
          ".config-init/backup/x.txt.T");
    CHECK_THROWS_WITH_AS(
        make({desired("x.txt", "new")}, &dest.dir, &previous, plan::OnDrift::fail),
        (dest.shown("x.txt") + " changed since the last run (--on-drift fail); nothing was written")
            .c_str(),
        InputError);
  }

  TEST_CASE("a file there before config-init managed it is drift too") {
    Destination dest;
    dest.write("x.txt", "hand-made");
    const plan::Plan plan = make({desired("x.txt", "new")}, &dest.dir);
    const Change& change = change_of(plan, "x.txt");
    CHECK(change.action == Action::update);
    CHECK(change.reason == "existed before config-init managed it; the app's version is kept "
                           "under .config-init/backup/");
    CHECK(change.unmanaged);
    CHECK(plan::backup_message(plan, "x.txt", "B") ==
          "x.txt existed before config-init managed it; that version is kept as B");
  }

  TEST_CASE("seed files are written only where missing; a symlink is replaced") {
    Destination dest;
    dest.write("auth.json", "{\"mine\": 1}");
    REQUIRE(::symlink("elsewhere", dest.shown("link.txt").c_str()) == 0);
    const plan::Plan plan =
        make({desired("auth.json", "{}", 0600, plan::Policy::seed),
              desired("fresh.json", "{}", 0600, plan::Policy::seed), desired("link.txt", "x")},
             &dest.dir);
    CHECK(change_of(plan, "auth.json").action == Action::keep);
    CHECK(change_of(plan, "auth.json").reason == "seed: already exists");
    CHECK(change_of(plan, "fresh.json").action == Action::create);
    CHECK(change_of(plan, "link.txt").action == Action::update);
    CHECK(change_of(plan, "link.txt").reason == "replaces a symlink with a regular file");
  }

  TEST_CASE("a directory, a special file or a symlinked directory in the way is an input error") {
    Destination dest;
    REQUIRE(::mkdir(dest.shown("dir").c_str(), 0755) == 0);
    REQUIRE(::mkfifo(dest.shown("fifo").c_str(), 0600) == 0);
    REQUIRE(::symlink("dir", dest.shown("link").c_str()) == 0);
    CHECK_THROWS_WITH_AS(
        make({desired("dir", "x")}, &dest.dir),
        (dest.shown("dir") + " is a directory where the layers provide a regular file").c_str(),
        InputError);
    CHECK_THROWS_WITH_AS(
        make({desired("fifo", "x")}, &dest.dir),
        (dest.shown("fifo") + " is a special file where the layers provide a regular file").c_str(),
        InputError);
    CHECK_THROWS_WITH_AS(make({desired("link/x.txt", "x")}, &dest.dir),
                         (dest.shown("link") +
                          " is a symlink or a file, but link/x.txt needs it to be a directory; "
                          "config-init never writes through symlinks")
                             .c_str(),
                         InputError);
  }

  TEST_CASE("files no layer provides any more are removed unless changed or seeded") {
    Destination dest;
    dest.write("gone.txt", "was ours");
    dest.write("edited.txt", "the app's");
    dest.write("seeded.txt", "seed");
    state::Manifest previous;
    previous.files = {record("edited.txt", "was ours"), record("gone.txt", "was ours"),
                      record("seeded.txt", "seed", "seed"), record("vanished.txt", "x")};
    const plan::Plan plan = make({desired("kept.txt", "k")}, &dest.dir, &previous);
    REQUIRE(plan.changes.size() == 4);              // vanished.txt: nothing to do
    CHECK(plan.changes[0].file.path == "kept.txt"); // removals after the rest
    const Change& gone = change_of(plan, "gone.txt");
    CHECK(gone.action == Action::remove);
    CHECK(gone.reason == "no layer provides it any more");
    const Change& edited = change_of(plan, "edited.txt");
    CHECK(edited.action == Action::keep);
    CHECK(edited.reason ==
          "no layer provides it any more, but it changed since the last run: kept");
    CHECK(change_of(plan, "seeded.txt").action == Action::keep);
    CHECK(change_of(plan, "seeded.txt").reason ==
          "seeded earlier; config-init no longer manages it");
    CHECK(plan.count(Action::remove) == 1);
  }

  TEST_CASE("directories config-init created that nothing needs are removed, deepest first") {
    Destination dest;
    state::Manifest previous;
    previous.directories = {"a", "a/b", "c", "cc"};
    // "c-x" and "c.txt" sort before "c/file", "c0" after it: only "c/file" is inside "c".
    const plan::Plan plan = make({desired("c-x", "x"), desired("c.txt", "x"),
                                  desired("c/file", "x"), desired("c0", "x"), desired("ccc", "y")},
                                 &dest.dir, &previous);
    CHECK(plan.directories_to_remove == std::vector<std::string>{"cc", "a/b", "a"});
  }

  TEST_CASE("a required file must be provided or already present") {
    Destination dest;
    dest.write("there.txt", "t");
    plan::Rules rules;
    rules.required = {"need.toml", "there.txt", "x.txt"};
    CHECK_THROWS_WITH_AS(
        make({desired("x.txt", "x")}, &dest.dir, nullptr, plan::OnDrift::overwrite, rules),
        "required file missing from the result: need.toml (no layer provides it)", InputError);
    rules.required = {"a", "b"};
    CHECK_THROWS_WITH_AS(make({}, &dest.dir, nullptr, plan::OnDrift::overwrite, rules),
                         "required files missing from the result: a, b (no layer provides them)",
                         InputError);
    rules.required = {"there.txt", "x.txt"};
    CHECK_NOTHROW(
        make({desired("x.txt", "x")}, &dest.dir, nullptr, plan::OnDrift::overwrite, rules));
  }

  TEST_CASE("a structured file the app edited is merged three ways with the layers' change") {
    Destination dest;
    const std::string last = "a = 1\nb = 1\n";
    dest.write(state::base_path("config.toml"), last, 0600);
    dest.write("config.toml", "a = 1\nb = 1\napp = true\n");
    state::Manifest previous;
    previous.files.push_back(record("config.toml", last));
    const plan::Plan plan = make({desired("config.toml", "a = 2\nb = 1\n")}, &dest.dir, &previous);
    const Change& change = change_of(plan, "config.toml");
    CHECK(change.action == Action::update);
    CHECK(change.reason == "three-way merge: the app's edits kept, the layers' changes applied");
    CHECK(change.drifted);
    CHECK_FALSE(change.backup);
    CHECK(change.conflicts.empty());
    CHECK(formats::parse(formats::Format::toml, change.file.content, "config.toml") ==
          formats::parse(formats::Format::toml, "a = 2\nb = 1\napp = true\n", "expected.toml"));
    REQUIRE(change.base.has_value());
    CHECK(*change.base == "a = 2\nb = 1\n"); // the layers' own result: the next base
    CHECK_FALSE(change.base_stored);
  }

  TEST_CASE("an app edit the layers do not touch is kept as it is") {
    Destination dest;
    const std::string last = "a = 1\n";
    dest.write(state::base_path("config.toml"), last, 0600);
    const std::string edited = "a = 1\n# the app's comment\napp = true\n";
    dest.write("config.toml", edited);
    state::Manifest previous;
    previous.files.push_back(record("config.toml", last));
    previous.files[0].base_sha256 = Sha256::of(last);
    const plan::Plan plan = make({desired("config.toml", last)}, &dest.dir, &previous);
    const Change& change = change_of(plan, "config.toml");
    CHECK(change.action == Action::unchanged);
    CHECK(change.reason == "keeps the app's edits; the layers add nothing new");
    CHECK(change.file.content == edited);
    CHECK(change.base_stored);            // the manifest records that base already
    CHECK_FALSE(change.base.has_value()); // so its bytes are not held until publish
    CHECK(change.base_sha256 == Sha256::of(last));
  }

  TEST_CASE("action verbs as logs print them") {
    CHECK(std::string(plan::action_verb(Action::create)) == "created");
    CHECK(std::string(plan::action_verb(Action::update)) == "updated");
    CHECK(std::string(plan::action_verb(Action::chmod)) == "chmodded");
    CHECK(std::string(plan::action_verb(Action::unchanged)) == "unchanged");
    CHECK(std::string(plan::action_verb(Action::keep)) == "kept");
    CHECK(std::string(plan::action_verb(Action::remove)) == "removed");
  }
}

#include "layers/layer.h"
#include "test_support.h"
#include "util/error.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

using config_init::InputError;
using config_init::layers::Layer;
using config_init::layers::read_layer;
using test_support::TempDir;
using test_support::write_file;

namespace {
std::vector<std::string> paths(const Layer& layer) {
  std::vector<std::string> out;
  for (const auto& file : layer.files)
    out.push_back(file.path);
  return out;
}
} // namespace

TEST_SUITE("layers::read_layer") {
  TEST_CASE("a plain tree is read recursively, sorted by path") {
    TempDir tmp;
    write_file(tmp / "b.txt", "b");
    write_file(tmp / "a/z.toml", "z = 1");
    write_file(tmp / "a/y/x.json", "{}");
    const Layer layer = read_layer({tmp.path(), false}, 0);
    CHECK(layer.present);
    CHECK_FALSE(layer.kubelet);
    CHECK(paths(layer) == std::vector<std::string>{"a/y/x.json", "a/z.toml", "b.txt"});
    CHECK(layer.files[2].size == 1);
  }

  TEST_CASE("a kubelet volume is read from the directory ..data names, bookkeeping skipped") {
    TempDir tmp;
    write_file(tmp / "..2026_11_28_12_00_00.1/config.toml", "a = 1");
    write_file(tmp / "..2026_11_28_12_00_00.1/profiles/dev.toml", "b = 1");
    REQUIRE(::symlink("..2026_11_28_12_00_00.1", (tmp / "..data").c_str()) == 0);
    REQUIRE(::symlink("..data", (tmp / "..data_tmp").c_str()) == 0);
    REQUIRE(::symlink("..data/config.toml", (tmp / "config.toml").c_str()) == 0);
    REQUIRE(::symlink("..data/profiles", (tmp / "profiles").c_str()) == 0);
    const Layer layer = read_layer({tmp.path(), false}, 1);
    CHECK(layer.kubelet);
    CHECK(layer.index == 1);
    CHECK(paths(layer) == std::vector<std::string>{"config.toml", "profiles/dev.toml"});
    CHECK(layer.files[0].real_path.find("..2026_11_28_12_00_00.1/config.toml") !=
          std::string::npos);
  }

  TEST_CASE("a kubelet volume caught between the ..data swap and its per-key links") {
    // The kubelet renames ..data first, then links the new keys and unlinks the old ones:
    // the version ..data names is whole even while the links at the root are not.
    TempDir tmp;
    write_file(tmp / "..2026_11_28_12_05_00.2/config.toml", "a = 2");
    write_file(tmp / "..2026_11_28_12_05_00.2/new/added.txt", "new key");
    REQUIRE(::symlink("..2026_11_28_12_05_00.2", (tmp / "..data").c_str()) == 0);
    REQUIRE(::symlink("..data/config.toml", (tmp / "config.toml").c_str()) == 0);
    REQUIRE(::symlink("..data/removed.txt", (tmp / "removed.txt").c_str()) == 0); // dangling
    const Layer layer = read_layer({tmp.path(), false}, 0);
    CHECK(paths(layer) == std::vector<std::string>{"config.toml", "new/added.txt"});
  }

  TEST_CASE("a kubelet ..data that leaves the volume is an error") {
    TempDir tmp;
    write_file(tmp / "outside/config.toml", "a = 1");
    write_file(tmp / "volume/placeholder", "");
    REQUIRE(::symlink("../outside", (tmp / "volume/..data").c_str()) == 0);
    CHECK_THROWS_AS(read_layer({tmp / "volume", false}, 0), InputError);
  }

  TEST_CASE("a missing layer is not present; a file as a layer is an error") {
    TempDir tmp;
    CHECK_FALSE(read_layer({tmp / "nope", false}, 0).present);
    write_file(tmp / "file", "x");
    CHECK_THROWS_WITH_AS(read_layer({tmp / "file", false}, 0),
                         ("layer " + (tmp / "file") + ": not a directory").c_str(), InputError);
  }

  TEST_CASE("a symlink leaving the layer is an error naming it") {
    TempDir tmp;
    write_file(tmp / "outside", "x");
    write_file(tmp / "layer/ok", "x");
    REQUIRE(::symlink("../outside", (tmp / "layer/evil").c_str()) == 0);
    CHECK_THROWS_WITH_AS(
        read_layer({tmp / "layer", false}, 0),
        doctest::Contains(((tmp / "layer/evil") + ": symlink escapes the layer").c_str()),
        InputError);
  }

  TEST_CASE("a directory link back to an ancestor is a loop") {
    TempDir tmp;
    write_file(tmp / "a/f", "x");
    REQUIRE(::symlink("..", (tmp / "a/up").c_str()) == 0);
    CHECK_THROWS_WITH_AS(read_layer({tmp.path(), false}, 0), doctest::Contains("symlink loop"),
                         InputError);
  }

  TEST_CASE("a FIFO is an error, not a hang") {
    TempDir tmp;
    REQUIRE(::mkfifo((tmp / "pipe").c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(read_layer({tmp.path(), false}, 0),
                         (tmp / "pipe" + ": a FIFO; layers may hold only regular files, "
                                         "directories and symlinks")
                             .c_str(),
                         InputError);
  }
}

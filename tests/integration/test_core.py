"""The core contract: layers in, verified files out."""

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, kubelet_update, kubelet_volume, manifest, run, sha256, snapshot, write_tree


def files_in(dest: Path):
    """Relative paths of regular files in dest, config-init's own state excluded."""
    out = []
    for dirpath, dirnames, filenames in os.walk(dest):
        dirnames[:] = [d for d in dirnames if d != ".config-init"]
        out += [str((Path(dirpath) / f).relative_to(dest)) for f in filenames]
    return sorted(out)


def test_highest_layer_wins_for_unstructured_files_and_single_layer_files_are_copied(tmp):
    low = write_tree(tmp / "low", {"AGENTS.md": "low\n", "prompts/a.md": "only low\n"})
    high = write_tree(tmp / "high", {"AGENTS.md": "high\n", "notes.txt": "only high\n"})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest")
    assert r.code == 0, r
    dest = tmp / "dest"
    assert files_in(dest) == ["AGENTS.md", "notes.txt", "prompts/a.md"]
    assert (dest / "AGENTS.md").read_text() == "high\n"
    assert (dest / "prompts/a.md").read_text() == "only low\n"
    assert (dest / "notes.txt").read_text() == "only high\n"


def test_kubelet_bookkeeping_is_never_copied_and_nested_items_are_followed(tmp):
    cm = kubelet_volume(tmp / "cm", {"config.toml": 'model = "x"\n', "profiles/dev/agent.toml": "a = 1\n"})
    r = run("--layer", cm, "--dest", tmp / "dest")
    assert r.code == 0, r
    dest = tmp / "dest"
    assert files_in(dest) == ["config.toml", "profiles/dev/agent.toml"]
    assert not any(name.startswith("..") for name in os.listdir(dest))
    for rel in files_in(dest):
        assert stat.S_ISREG((dest / rel).lstat().st_mode), rel  # regular files, never symlinks
    assert (dest / "config.toml").read_text() == 'model = "x"\n'


def test_a_kubelet_update_mid_life_is_picked_up_and_data_tmp_is_ignored(tmp):
    cm = kubelet_volume(tmp / "cm", {"a.txt": "one\n"})
    assert run("--layer", cm, "--dest", tmp / "dest").code == 0
    kubelet_update(cm, {"a.txt": "two\n"})
    os.symlink("..2026_11_28_12_05_00.1234", cm / "..data_tmp")  # as if caught mid-update
    r = run("--layer", cm, "--dest", tmp / "dest")
    assert r.code == 0, r
    assert (tmp / "dest/a.txt").read_text() == "two\n"
    assert files_in(tmp / "dest") == ["a.txt"]


def test_a_kubelet_volume_caught_between_the_data_swap_and_its_key_links_is_read_whole(tmp):
    """The kubelet swaps ..data, then links new keys and unlinks removed ones: a run in
    between must read the new version whole, not fail on the stale link nor miss the key."""
    cm = kubelet_volume(tmp / "cm", {"a.txt": "one\n", "old.txt": "old\n"})
    assert run("--layer", cm, "--dest", tmp / "dest").code == 0
    write_tree(cm / "..2026_11_28_12_05_00.1234", {"a.txt": "two\n", "new/b.txt": "new\n"})
    os.symlink("..2026_11_28_12_05_00.1234", cm / "..data_tmp")
    os.rename(cm / "..data_tmp", cm / "..data")  # links not updated yet: old.txt dangles
    r = run("--layer", cm, "--dest", tmp / "dest")
    assert r.code == 0, r
    assert files_in(tmp / "dest") == ["a.txt", "new/b.txt"]
    assert (tmp / "dest/a.txt").read_text() == "two\n"


def test_files_and_directories_get_default_modes_whatever_the_umask(tmp):
    layer = write_tree(tmp / "l", {"a/b/c.txt": "x", "top.txt": "y"})
    os.chmod(layer / "top.txt", 0o600)
    r = subprocess.run(["sh", "-c", f'umask 077; exec "{BIN}" --layer {layer} --dest {tmp}/dest'],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    dest = tmp / "dest"
    assert stat.S_IMODE((dest / "a/b/c.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "top.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "a").stat().st_mode) == 0o755
    assert stat.S_IMODE((dest / "a/b").stat().st_mode) == 0o755


def test_the_manifest_records_what_sha256sum_would_print(tmp):
    low = write_tree(tmp / "low", {"x.txt": "x\n", "d/y.bin": bytes(range(256))})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    m = manifest(tmp / "dest")
    entries = {f["path"]: f for f in m["files"]}
    assert set(entries) == {"x.txt", "d/y.bin"}
    for rel, entry in entries.items():
        out = subprocess.run(["sha256sum", tmp / "dest" / rel], capture_output=True, text=True).stdout
        assert entry["sha256"] == out.split()[0]
        assert entry["size"] == (tmp / "dest" / rel).stat().st_size
        assert entry["mode"] == "0644"
        assert entry["layers"] == [str(low)]
        assert entry["policy"] == "merge"
    assert [layer["root"] for layer in m["layers"]] == [str(low)]


def test_a_second_run_rewrites_nothing(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a", "b/c.toml": "k = 1\n"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    before = snapshot(tmp / "dest")
    r = run("--layer", low, "--dest", tmp / "dest")
    assert r.code == 0, r
    assert snapshot(tmp / "dest") == before  # same bytes, same mtimes: nothing rewritten
    actions = {line["path"]: line["action"] for line in r.log() if "action" in line}
    assert actions == {"a.txt": "unchanged", "b/c.toml": "unchanged"}
    summary = [line for line in r.log() if line.get("event") == "summary"][0]
    assert summary["unchanged"] == 2 and summary["created"] == 0 and summary["updated"] == 0
    assert isinstance(summary["elapsed_ms"], int)


def test_a_changed_layer_updates_only_that_file(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a", "b.txt": "b"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    (low / "b.txt").write_text("B")
    r = run("--layer", low, "--dest", tmp / "dest")
    assert r.code == 0, r
    actions = {line["path"]: line["action"] for line in r.log() if "action" in line}
    assert actions == {"a.txt": "unchanged", "b.txt": "updated"}
    assert (tmp / "dest/b.txt").read_text() == "B"


def test_unmanaged_files_in_the_destination_are_never_touched(tmp):
    dest = write_tree(tmp / "dest", {"auth.json": '{"token": "t"}', "sessions/1.jsonl": "{}\n"})
    before = snapshot(dest)
    low = write_tree(tmp / "low", {"config.toml": "a = 1\n"})
    assert run("--layer", low, "--dest", dest).code == 0
    after = snapshot(dest)
    for rel, entry in before.items():
        assert after[rel] == entry


@pytest.mark.parametrize("name,content,where", [
    ("config.toml", 'model = "x"\nbroken = \n', "config.toml:2:"),
    ("settings.json", '{"a": 1,,}', "settings.json:1:"),
    ("values.yaml", "a: [1, 2\nb: 3\n", "values.yaml:"),
])
def test_an_invalid_overlay_is_exit_3_and_the_destination_stays_byte_for_byte(tmp, name, content, where):
    low = write_tree(tmp / "low", {"keep.txt": "old\n"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    (low / "keep.txt").write_text("new\n")  # a valid change that must not be applied either
    cm = kubelet_volume(tmp / "cm", {name: content})
    before = snapshot(tmp / "dest")
    tlog = tmp / "termination-log"
    r = run("--layer", low, "--layer", cm, "--dest", tmp / "dest", "--termination-log", tlog)
    assert r.code == 3, r
    assert snapshot(tmp / "dest") == before
    assert f"{cm}/{where}" in r.stderr
    message = tlog.read_bytes()
    assert len(message) <= 1024
    assert where.encode() in message
    assert message.decode().rstrip("\n").splitlines()[-1].startswith("config-init materialize failed (exit 3")


def test_an_invalid_first_run_creates_no_destination_at_all(tmp):
    cm = write_tree(tmp / "cm", {"config.toml": "= nope\n"})
    r = run("--layer", cm, "--dest", tmp / "a/b/dest")
    assert r.code == 3, r
    assert not (tmp / "a").exists()


def test_an_invalid_file_that_a_higher_layer_overrides_is_still_an_error(tmp):
    low = write_tree(tmp / "low", {"c.json": "{oops"})
    high = write_tree(tmp / "high", {"c.json": "{}"})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest", "--policy", "c.json=replace")
    assert r.code == 3, r
    assert f"{low}/c.json:1:" in r.stderr


def test_the_termination_message_is_cut_to_1_kib_and_ends_with_the_summary(tmp):
    layer = write_tree(tmp / ("l" * 200), {("k" * 200) + ".json": "{" * 10})
    tlog = tmp / "tlog"
    r = run("--layer", layer, "--dest", tmp / "dest", "--termination-log", tlog)
    assert r.code == 3
    text = tlog.read_text()
    assert len(text.encode()) <= 1024
    assert text.endswith("(exit 3: invalid input; the destination was not changed)\n")


@pytest.mark.parametrize("make,expected", [
    (lambda l, t: os.symlink("/etc/passwd", l / "passwd"), "symlink escapes the layer"),
    (lambda l, t: os.symlink("../outside", l / "rel"), "symlink escapes the layer"),
    (lambda l, t: (os.symlink("b", l / "a"), os.symlink("a", l / "b")), "symlink loop"),
    (lambda l, t: os.symlink(".", l / "self"), "symlink loop"),
    (lambda l, t: os.symlink("missing", l / "dangling"), "dangling symlink"),
    (lambda l, t: os.mkfifo(l / "fifo"), "a FIFO"),
    (lambda l, t: os.mknod(l / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3)), "a character device"),
])
def test_forbidden_entries_in_a_layer_are_exit_3_naming_the_path(tmp, make, expected):
    layer = write_tree(tmp / "layer", {"ok.txt": "ok"})
    (tmp / "outside").write_text("secret")
    make(layer, tmp)
    r = run("--layer", layer, "--dest", tmp / "dest")
    assert r.code == 3, r
    assert expected in r.stderr
    assert str(layer) + "/" in r.stderr
    assert not (tmp / "dest").exists()


def test_a_symlink_inside_the_layer_is_followed(tmp):
    layer = write_tree(tmp / "layer", {"real/a.txt": "a"})
    os.symlink("real", layer / "alias")
    os.symlink("real/a.txt", layer / "b.txt")
    assert run("--layer", layer, "--dest", tmp / "dest").code == 0
    assert files_in(tmp / "dest") == ["alias/a.txt", "b.txt", "real/a.txt"]


def test_a_missing_layer_is_skipped_with_a_log_line(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a"})
    r = run("--layer", low, "--layer", tmp / "no-such-configmap", "--dest", tmp / "dest")
    assert r.code == 0, r
    assert any("does not exist, skipped" in line["msg"] for line in r.log())


def test_a_file_in_one_layer_and_a_directory_in_another_is_exit_3(tmp):
    low = write_tree(tmp / "low", {"x": "file"})
    high = write_tree(tmp / "high", {"x/y": "nested"})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest")
    assert r.code == 3, r
    assert "is a file, but" in r.stderr


def test_require_fails_with_exit_3_when_no_layer_provides_the_file(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a"})
    r = run("--layer", low, "--dest", tmp / "dest", "--require", "config.toml")
    assert r.code == 3, r
    assert "required file missing from the result: config.toml" in r.stderr
    assert not (tmp / "dest").exists()
    assert run("--layer", low, "--dest", tmp / "dest", "--require", "a.txt").code == 0


def test_require_on_an_existing_destination_leaves_no_trace(tmp):
    dest = write_tree(tmp / "dest", {"app.db": "x"})
    before = snapshot(dest)
    low = write_tree(tmp / "low", {"a.txt": "a"})
    assert run("--layer", low, "--dest", dest, "--require", "config.toml").code == 3
    assert snapshot(dest) == before  # not even .config-init/


def test_verify_passes_then_names_a_changed_and_a_missing_file_with_exit_5(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a", "b.txt": "b", "c.txt": "c"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    assert run("verify", "--dest", tmp / "dest").code == 0
    (tmp / "dest/a.txt").write_text("changed")
    (tmp / "dest/c.txt").unlink()
    r = run("verify", "--dest", tmp / "dest")
    assert r.code == 5, r
    assert "2 of 3 managed files changed since the last run: a.txt, c.txt" in r.stderr


def test_verify_without_a_manifest_is_exit_3(tmp):
    (tmp / "dest").mkdir()
    r = run("verify", "--dest", tmp / "dest")
    assert r.code == 3
    assert "never materialized" in r.stderr


def test_a_changed_file_is_restored_by_the_next_run(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    (tmp / "dest/a.txt").write_text("edited")
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    assert (tmp / "dest/a.txt").read_text() == "a"
    assert run("verify", "--dest", tmp / "dest").code == 0


@pytest.mark.parametrize("setup,expected", [
    (lambda t: os.symlink(t / "real", t / "dest"), "is a symlink"),
    (lambda t: (t / "dest").write_text("file"), "is not a directory"),
])
def test_a_destination_that_is_a_symlink_or_a_file_is_refused(tmp, setup, expected):
    (tmp / "real").mkdir()
    setup(tmp)
    low = write_tree(tmp / "low", {"a.txt": "a"})
    r = run("--layer", low, "--dest", tmp / "dest")
    assert r.code == 3, r
    assert expected in r.stderr
    assert list((tmp / "real").iterdir()) == []


def test_never_writes_through_a_symlink_inside_the_destination(tmp):
    outside = tmp / "outside"
    outside.mkdir()
    dest = tmp / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "sub")
    low = write_tree(tmp / "low", {"sub/x.txt": "x"})
    r = run("--layer", low, "--dest", dest)
    assert r.code == 3, r
    assert "never writes through symlinks" in r.stderr
    assert list(outside.iterdir()) == []


def test_a_symlinked_file_in_the_destination_is_replaced_not_followed(tmp):
    outside = tmp / "outside.txt"
    outside.write_text("keep me")
    dest = tmp / "dest"
    dest.mkdir()
    os.symlink(outside, dest / "a.txt")
    low = write_tree(tmp / "low", {"a.txt": "new"})
    assert run("--layer", low, "--dest", dest).code == 0
    assert outside.read_text() == "keep me"
    assert not (dest / "a.txt").is_symlink()
    assert (dest / "a.txt").read_text() == "new"


def test_leftover_temporary_files_of_a_killed_run_are_removed(tmp):
    low = write_tree(tmp / "low", {"d/a.txt": "a"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    (tmp / "dest/d/.config-init-999-0.tmp").write_text("half")
    (tmp / "dest/.config-init-999-1.tmp").write_text("half")
    (tmp / "dest/d/.config-init-notmine.tmp").write_text("not ours")
    (tmp / "dest/.config-init/in-progress").write_text("")  # as the killed run left it
    r = run("--layer", low, "--dest", tmp / "dest")
    assert r.code == 0, r
    assert not (tmp / "dest/d/.config-init-999-0.tmp").exists()
    assert not (tmp / "dest/.config-init-999-1.tmp").exists()
    assert (tmp / "dest/d/.config-init-notmine.tmp").exists()
    assert not (tmp / "dest/.config-init/in-progress").exists()


def test_the_in_progress_marker_exists_only_while_a_run_writes(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    assert not (tmp / "dest/.config-init/in-progress").exists()
    before = os.stat(tmp / "dest/.config-init").st_mtime_ns
    assert run("--layer", low, "--dest", tmp / "dest").code == 0  # nothing to write
    assert os.stat(tmp / "dest/.config-init").st_mtime_ns == before


def test_concurrent_runs_end_in_one_consistent_verified_state(tmp):
    files = {f"d{i % 7}/f{i}.txt": f"content {i}\n" * 50 for i in range(300)}
    low = write_tree(tmp / "low", files)
    logs = [open(tmp / f"log{i}", "w") for i in range(4)]  # files: a full pipe would block
    procs = [subprocess.Popen([BIN, "--layer", str(low), "--dest", str(tmp / "dest")],
                              stdout=subprocess.DEVNULL, stderr=log) for log in logs]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0, 0, 0, 0]
    assert run("verify", "--dest", tmp / "dest").code == 0
    assert len(files_in(tmp / "dest")) == 300


def test_the_environment_configures_every_flag_and_a_flag_wins(tmp):
    low = write_tree(tmp / "low", {"a.txt": "low"})
    high = write_tree(tmp / "high", {"a.txt": "high"})
    env = {"CONFIG_INIT_LAYERS": f"{low}:{high}", "CONFIG_INIT_DEST": str(tmp / "dest"),
           "CONFIG_INIT_LOG_FORMAT": "text"}
    r = run(env=env)
    assert r.code == 0, r
    assert (tmp / "dest/a.txt").read_text() == "high"
    assert "config-init: done:" in r.stderr  # text logs from CONFIG_INIT_LOG_FORMAT
    r = run("--layer", low, "--dest", tmp / "dest2", env=env)
    assert r.code == 0, r
    assert (tmp / "dest2/a.txt").read_text() == "low"
    assert not (tmp / "dest/dest2").exists()


@pytest.mark.parametrize("args,expected", [
    (["--layer", "x"], "required flag: --dest DIR"),
    (["--dest", "x"], "required flag: --layer DIR"),
    (["--bogus"], "unrecognised option '--bogus'"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--layer", "a", "--dest", "d", "--log-format", "xml"], "--log-format xml: expected text or json"),
    (["--layer", "a", "--dest", "d", "--dest", "e"], "--dest given more than once"),
    (["render", "--layer", "a"], "render needs exactly one PATH"),
])
def test_usage_errors_are_exit_2(args, expected):
    r = run(*args)
    assert r.code == 2, r
    assert expected in r.stderr


def test_help_and_version():
    r = run("--help")
    assert r.code == 0
    for word in ["materialize", "plan", "render", "explain", "verify", "CONFIG_INIT_LAYERS",
                 "--termination-log", "Exit codes"]:
        assert word in r.stdout
    r = run("--version")
    assert r.code == 0 and r.stdout.startswith("config-init ")


def test_plan_shows_a_diff_and_writes_nothing(tmp):
    low = write_tree(tmp / "low", {"a.txt": "one\ntwo\n", "b.txt": "b\n"})
    assert run("--layer", low, "--dest", tmp / "dest").code == 0
    (low / "a.txt").write_text("one\nTWO\n")
    (low / "c.txt").write_text("c\n")
    before = snapshot(tmp / "dest")
    r = run("plan", "--layer", low, "--dest", tmp / "dest")
    assert r.code == 0, r
    assert snapshot(tmp / "dest") == before
    assert "  update     a.txt" in r.stdout
    assert "  create     c.txt" in r.stdout
    assert "  unchanged  b.txt" in r.stdout
    assert "-two\n+TWO\n" in r.stdout
    assert "+c\n" in r.stdout


def test_json_logs_have_one_line_per_file_action(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a", "b/c.txt": "c"})
    r = run("--layer", low, "--dest", tmp / "dest", "--log-format", "json")
    assert r.code == 0
    lines = r.log()
    assert len(lines) == len(r.stderr.splitlines())  # every line is JSON
    created = sorted(l["path"] for l in lines if l.get("action") == "created")
    assert created == ["a.txt", "b/", "b/c.txt"]
    assert all({"time", "level", "msg"} <= set(l) for l in lines)


def test_the_binary_is_fully_static():
    if os.environ.get("CONFIG_INIT_SANITIZED"):
        pytest.skip("the sanitizer build links dynamically")
    out = subprocess.run(["file", BIN], capture_output=True, text=True).stdout
    assert "statically linked" in out

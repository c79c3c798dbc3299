"""Re-runs skip what they already know: a destination file whose identity (inode,
size, mtime, ctime) is the one the manifest recorded, and a layer file whose identity is the
one recorded with its digest, are not read again. These tests make sure that shortcut never
hides a change, and that it is taken."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, manifest, run, write_tree

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


def files_opened(args):
    """Runs config-init under strace; returns (exit code, the paths it opened)."""
    env = dict(os.environ)
    # LeakSanitizer (the ASan build) cannot run under ptrace.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    trace = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open", "-o", "/dev/stdout",
                            BIN, *map(str, args)], capture_output=True, text=True, env=env)
    assert trace.returncode == 0, trace.stderr
    opened = [line.split('"')[1] for line in trace.stdout.splitlines() if '"' in line]
    return trace.returncode, opened


def same_size_edit_with_old_times(path: Path, content: bytes):
    """Rewrites `path` in place, same size, and puts its mtime back: only the ctime tells."""
    st = path.stat()
    assert len(content) == st.st_size
    time.sleep(0.01)
    path.write_bytes(content)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_an_unchanged_rerun_reads_neither_the_destination_files_nor_the_layer_files(tmp):
    layer = write_tree(tmp / "l", {"big/blob.bin": os.urandom(300_000), "notes.txt": "n\n",
                                   "config.toml": "a = 1\n"})
    dest = tmp / "dest"
    assert run("--layer", layer, "--dest", dest).code == 0
    code, opened = files_opened(["--layer", layer, "--dest", dest])
    assert code == 0
    for name in ("blob.bin", "notes.txt"):
        assert not [p for p in opened if p.endswith(name)], (name, opened)
    assert manifest(dest)["files"][0]["identity"]


def test_an_app_edit_that_keeps_size_and_mtime_is_still_seen(tmp):
    layer = write_tree(tmp / "l", {"notes.txt": "layers\n"})
    dest = tmp / "dest"
    assert run("--layer", layer, "--dest", dest).code == 0
    same_size_edit_with_old_times(dest / "notes.txt", b"app's!\n")
    r = run("--layer", layer, "--dest", dest)
    assert r.code == 0, r
    assert (dest / "notes.txt").read_text() == "layers\n"
    backups = list((dest / ".config-init/backup").glob("notes.txt.*"))
    assert [b.read_text() for b in backups] == ["app's!\n"]


def test_a_layer_file_edited_in_place_with_its_old_mtime_is_copied_again(tmp):
    layer = write_tree(tmp / "l", {"notes.txt": "version 1\n"})
    dest = tmp / "dest"
    assert run("--layer", layer, "--dest", dest).code == 0
    same_size_edit_with_old_times(layer / "notes.txt", b"version 2\n")
    r = run("--layer", layer, "--dest", dest)
    assert r.code == 0, r
    assert (dest / "notes.txt").read_text() == "version 2\n"
    assert run("verify", "--dest", dest).code == 0


def test_a_layer_file_rewritten_between_runs_is_copied_and_recorded_again(tmp):
    layer = write_tree(tmp / "l", {"notes.txt": "version 1\n"})
    dest = tmp / "dest"
    assert run("--layer", layer, "--dest", dest).code == 0
    before = manifest(dest)
    (layer / "notes.txt").write_text("version 2, longer\n")
    r = run("--layer", layer, "--dest", dest)
    assert r.code == 0, r
    assert run("verify", "--dest", dest).code == 0
    assert (dest / "notes.txt").read_text() == "version 2, longer\n"
    assert manifest(dest)["sources"] != before["sources"]

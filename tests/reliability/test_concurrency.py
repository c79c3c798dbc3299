"""Item 5: several runs at once on one destination take turns (the lock in .config-init/)
and end in one consistent, verified state, also while the layers change under them."""

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import relutil
from relutil import content_digests, run, temporaries, write_tree

RUNS = int(os.environ.get("REL_CONCURRENT_RUNS", "6"))
ROUNDS = int(os.environ.get("REL_CONCURRENT_ROUNDS", "3"))


def version(n, count=300):
    """A tree in which every file says which version it belongs to."""
    files = {f"d{i % 9}/f{i:03d}.txt": f"version {n} file {i}\n" * (1 + (i + n) % 5) for i in range(count)}
    files["config.toml"] = f'version = {n}\n[t]\nk{n} = "v"\n'
    files["settings.json"] = f'{{"version": {n}, "list": [{n}]}}'
    files["agent.yaml"] = f"version: {n}\n"
    if n % 2:
        files[f"only-odd/{n}.txt"] = "odd\n"
    return files


def start(*args):
    # stderr to a file, not a pipe: a run holding the lock must never block on a full pipe
    # that nobody reads while the test waits for another run.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(relutil.command(args), stdout=subprocess.DEVNULL, stderr=log,
                            env=relutil.clean_env())
    proc.log = log
    return proc


def finish(procs, timeout=120):
    out = []
    for p in procs:
        p.wait(timeout=timeout)
        p.log.seek(0)
        out.append((p.returncode, p.log.read().decode(errors="replace")))
        p.log.close()
    return out


def expected(tmp, base, n):
    """What one uninterrupted run of `base` + version n gives (content digests)."""
    ref = tmp / f"ref{n}"
    write_tree(tmp / f"v{n}", version(n))
    assert run("--layer", base, "--layer", tmp / f"v{n}", "--dest", ref).code == 0
    digests = content_digests(ref)
    shutil.rmtree(ref)
    return digests


def assert_one_consistent_state(dest, candidates):
    assert temporaries(dest) == [], "temporary files left"
    current = content_digests(dest)
    current.pop("app.txt", None)
    matches = [n for n, digests in candidates.items() if digests == current]
    assert len(matches) == 1, (f"the destination is not exactly one version's result: "
                               f"{[(n, len(set(d.items()) ^ set(current.items()))) for n, d in candidates.items()]}")
    recorded = relutil.manifest_files(dest)
    assert recorded == current, "the manifest does not describe the files"
    verify = run("verify", "--dest", dest)
    assert verify.code == 0, verify
    return matches[0]


def test_simultaneous_runs_with_the_same_layers(tmp):
    base = write_tree(tmp / "base", {"config.toml": "base = true\n", "common.txt": "c\n"})
    write_tree(tmp / "v1", version(1))
    want = {1: expected(tmp, base, 1)}
    dest = tmp / "dest"
    for _ in range(ROUNDS):
        procs = [start("--layer", base, "--layer", tmp / "v1", "--dest", dest) for _ in range(RUNS)]
        results = finish(procs)
        assert [code for code, _ in results] == [0] * RUNS, results
        assert_one_consistent_state(dest, want)
    waited = sum("waiting for another config-init run" in err for _, err in results)
    print(f"{waited} of {RUNS} runs of the last round waited for the lock")


def test_simultaneous_runs_with_different_layers_end_in_one_version(tmp):
    base = write_tree(tmp / "base", {"config.toml": "base = true\n", "common.txt": "c\n"})
    versions = range(1, 5)
    want = {n: expected(tmp, base, n) for n in versions}
    dest = tmp / "dest"
    dest.mkdir()
    (dest / "app.txt").write_text("the app's\n")
    for round_ in range(ROUNDS):
        procs = [start("--layer", base, "--layer", tmp / f"v{1 + (k + round_) % 4}", "--dest", dest)
                 for k in range(RUNS)]
        results = finish(procs)
        assert [code for code, _ in results] == [0] * RUNS, results
        assert_one_consistent_state(dest, want)
        # No run took another's files for app edits: nothing was backed up.
        assert not (dest / ".config-init/backup").exists(), [e for _, e in results if "backed-up" in e][:1]
    assert (dest / "app.txt").read_text() == "the app's\n"


def test_runs_while_a_kubelet_volume_is_swapped_under_them(tmp):
    """A ConfigMap volume updated by the kubelet (new timestamped directory, ..data swapped)
    while runs read it: each run sees one whole version, never a mix."""
    base = write_tree(tmp / "base", {"config.toml": "base = true\n"})
    cm = tmp / "cm"
    cm.mkdir()
    want = {}

    def publish(n):
        stamp = f"..2026_11_28_12_00_{n:02d}.{n}"
        write_tree(cm / stamp, version(n, count=60))
        os.symlink(stamp, cm / "..data_tmp")
        os.rename(cm / "..data_tmp", cm / "..data")
        for first in {rel.split("/")[0] for rel in version(n, count=60)}:
            link = cm / first
            if not os.path.lexists(link):
                os.symlink(f"..data/{first}", link)
        for entry in cm.iterdir():
            if entry.is_symlink() and not entry.name.startswith("..") and not entry.exists():
                entry.unlink()  # a key the new version no longer has
        return stamp

    for n in range(1, 7):  # the expected result of each version, via a plain layer copy
        write_tree(tmp / f"plain{n}", version(n, count=60))
        ref = tmp / f"ref{n}"
        assert run("--layer", base, "--layer", tmp / f"plain{n}", "--dest", ref).code == 0
        want[n] = content_digests(ref)
    publish(1)
    stop = threading.Event()
    old_stamps = []

    def kubelet():
        n = 2
        while not stop.is_set():
            old = os.readlink(cm / "..data")
            publish(n)
            old_stamps.append(old)
            if len(old_stamps) > 1:
                shutil.rmtree(cm / old_stamps.pop(0))  # the kubelet removes the old directory
            n = 1 + n % 6
            time.sleep(0.002)

    swapper = threading.Thread(target=kubelet)
    swapper.start()
    dest = tmp / "dest"
    codes = []
    try:
        for _ in range(ROUNDS * 4):
            r = run("--layer", base, "--layer", cm, "--dest", dest)
            codes.append(r.code)
            assert r.code in (0, 3), r
            if r.code == 0:
                assert_one_consistent_state(dest, want)
    finally:
        stop.set()
        swapper.join()
    assert codes.count(0) >= len(codes) // 2, f"most runs must succeed while the volume is swapped: {codes}"


def test_a_layer_file_changing_during_a_run_is_an_input_error_or_a_whole_version(tmp):
    """Plain layers (no kubelet swap) edited in place while runs read them: a run either
    reports the change (exit 3) or writes what it read; a final quiet run converges."""
    layer = write_tree(tmp / "l", {f"f{i}.txt": "0\n" * 1000 for i in range(50)} | {"c.json": '{"v": 0}'})
    dest = tmp / "dest"
    stop = threading.Event()

    def editor():
        n = 0
        while not stop.is_set():
            n += 1
            for i in range(50):
                (layer / f"f{i}.txt").write_text(f"{n}\n" * (1000 + n % 7))
            (layer / "c.json").write_text(f'{{"v": {n}}}')

    t = threading.Thread(target=editor)
    t.start()
    try:
        codes = [run("--layer", layer, "--dest", dest).code for _ in range(10)]
    finally:
        stop.set()
        t.join()
    assert set(codes) <= {0, 3}, codes
    assert temporaries(dest) == []
    r = run("--layer", layer, "--dest", dest)
    assert r.code == 0, r
    assert run("verify", "--dest", dest).code == 0
    assert content_digests(dest) == content_digests(layer)


def strace_start(args, inject, log):
    """Starts config-init ARGS under strace with one injected delay (deterministic races)."""
    name = inject.split(":", 1)[0]
    return subprocess.Popen(["strace", "-qq", "-o", "/dev/null", "-e", f"trace={name}", "-e",
                             f"inject={inject}", *relutil.command(args)],
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"), env=relutil.clean_env())


@pytest.mark.parametrize("dest_exists", [True, False], ids=["dest-exists", "dest-created-by-the-failing-run"])
def test_a_failing_run_does_not_break_the_lock_for_runs_waiting_on_it(tmp, dest_exists):
    """Run A creates the destination's state directory (and the destination itself, in the
    second case), takes the lock, then fails on invalid input and undoes what it created.
    Run B was waiting for the lock meanwhile; run C starts after A is gone. B and C must still
    take turns, both succeed, and leave one consistent, verified state."""
    if not shutil.which("strace"):
        pytest.skip("strace is not installed (apt-get install strace)")
    one = write_tree(tmp / "one", {f"f{i:03d}.txt": f"one {i}\n" for i in range(200)})
    two = write_tree(tmp / "two", {f"f{i:03d}.txt": f"two {i}\n" for i in range(200)})
    dest = tmp / "dest"
    if dest_exists:
        dest.mkdir()
    # A: holds the lock 1.5 s before its undo (its first unlinkat) and exit 3.
    a = strace_start(["--layer", one, "--dest", dest, "--require", "missing.txt"],
                     "unlinkat:delay_enter=1500000:when=1", tmp / "a.log")
    time.sleep(0.5)
    # B: waits for A's lock; once running, pauses 2 s before its 100th rename.
    b = strace_start(["--layer", one, "--dest", dest], "renameat:delay_enter=2000000:when=100", tmp / "b.log")
    assert a.wait(timeout=30) == 3
    # Start C once B is publishing (it holds the lock then, paused before its 100th rename).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and b.poll() is None:
        try:
            if (dest / "f000.txt").read_text() == "one 0\n":
                break
        except OSError:
            pass
        time.sleep(0.02)
    c = start("--layer", two, "--dest", dest)
    (code_c, log_c), = finish([c])
    code_b = b.wait(timeout=60)
    log_b = (tmp / "b.log").read_text(errors="replace")
    assert (code_b, code_c) == (0, 0), f"B exit {code_b}: {log_b[-600:]}\nC exit {code_c}: {log_c[-600:]}"
    assert "waiting for another config-init run" in log_c, "C did not wait for B: the lock was not held"
    expected = {f"f{i:03d}.txt": relutil.sha256_file(two / f"f{i:03d}.txt") for i in range(200)}
    assert content_digests(dest) == expected
    assert run("verify", "--dest", dest).code == 0

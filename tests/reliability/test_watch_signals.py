"""Item 1's kill trials, extended to `config-init watch` (issue 11): a large tree is swapped
kubelet-style from version 1 to version 2 under a running `watch`, which gets SIGTERM (or
SIGKILL) at a random instant of the run the swap started. SIGTERM: exit 0, the run finished
or not started, every file old or new, no temporaries, no in-progress marker. SIGKILL: every
file old or new. Either way the next run converges (crash_trials.Reference checks)."""

import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import crash_trials
import relutil

TRIALS = int(os.environ.get("REL_WATCH_TRIALS", "9"))
FILES = int(os.environ.get("REL_WATCH_FILES", "800"))


def kubelet_prepare(volume: Path, payload: Path, n: int):
    """The kubelet's first step: a copy of `payload` in a new ..<timestamp> directory of
    `volume`. Returns what kubelet_commit needs."""
    volume.mkdir(parents=True, exist_ok=True)
    stamp = f"..2026_12_01_00_00_{n:02d}.{random.randrange(10**9):09d}"
    shutil.copytree(payload, volume / stamp, symlinks=True)
    return volume, stamp, set(os.listdir(payload))


def kubelet_rename(prepared):
    """The kubelet's second step: a ..data_tmp symlink renamed onto ..data (the instant the
    update becomes visible). Returns the old ..<timestamp> directory's name."""
    volume, stamp, _ = prepared
    old = os.readlink(volume / "..data") if (volume / "..data").is_symlink() else None
    os.symlink(stamp, volume / "..data_tmp")
    os.rename(volume / "..data_tmp", volume / "..data")
    return old


def kubelet_finish(prepared, old):
    """The rest, as the kubelet's AtomicWriter does it: per-key links for new top-level
    names, stale ones removed, the old directory deleted."""
    volume, _, keys = prepared
    for key in keys:
        if not (volume / key).is_symlink():
            os.symlink(f"..data/{key}", volume / key)
    for entry in os.listdir(volume):
        if not entry.startswith("..") and entry not in keys:
            os.unlink(volume / entry)
    if old:
        shutil.rmtree(volume / old)


def swap_all(live: Path, version_dir: Path, n: int):
    """Both layers swapped together: prepared first, then the two ..data renames back to back
    (well within the debounce), then each volume finished; one run sees version n whole."""
    prepared = [kubelet_prepare(live / layer, version_dir / layer, n) for layer in ("L1", "L2")]
    olds = [kubelet_rename(p) for p in prepared]
    for p, old in zip(prepared, olds):
        kubelet_finish(p, old)


def test_signals_during_a_watch_run_leave_old_or_new_files(tmp):
    ref = crash_trials.Reference(tmp, FILES, 2, 2)
    rng = random.Random(int(os.environ.get("REL_SEED", "1101")))
    failures, stats = [], {"sigterm": 0, "sigkill": 0, "mixed": 0, "all_new": 0, "all_old": 0}
    for trial in range(TRIALS):
        sig = signal.SIGTERM if trial % 3 != 2 else signal.SIGKILL
        live, dest = tmp / "live", tmp / "dest"
        relutil.remove_tree(live)
        ref.restore(dest)
        swap_all(live, tmp / "v1", 0)
        log = open(tmp / "watch.log", "w")
        proc = subprocess.Popen(
            relutil.command(["watch", "--layer", str(live / "L1"), "--layer", str(live / "L2"),
                             "--dest", str(dest), "--debounce", "200ms", "--resync", "0s"]),
            stdout=subprocess.DEVNULL, stderr=log, env=relutil.clean_env())
        deadline = time.monotonic() + 120
        while '"event":"watching"' not in (tmp / "watch.log").read_text():
            assert proc.poll() is None and time.monotonic() < deadline, (tmp / "watch.log").read_text()[-2000:]
            time.sleep(0.01)
        swap_all(live, tmp / "v2", trial + 1)
        time.sleep(0.2 + rng.uniform(0, ref.duration))
        proc.send_signal(sig)
        started = time.monotonic()
        try:
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        waited = time.monotonic() - started
        problems, progress = ref.check_interrupted(dest)
        stats["sigterm" if sig == signal.SIGTERM else "sigkill"] += 1
        stats["mixed" if progress["old"] and progress["new"] else
              "all_new" if progress["new"] else "all_old"] += 1
        if sig == signal.SIGTERM:
            if code != 0:
                problems.append(f"SIGTERM: exit {code}, expected 0")
            if waited > ref.duration + 5:
                problems.append(f"SIGTERM: took {waited:.1f} s to exit")
            if relutil.temporaries(dest):
                problems.append(f"SIGTERM: temporaries left: {relutil.temporaries(dest)[:3]}")
            if (dest / relutil.STATE / "in-progress").exists():
                problems.append("SIGTERM: the in-progress marker was left")
        recovery = crash_trials.materialize(tmp, 2, dest)
        problems += ref.check_recovered(dest, recovery, idempotence=False)
        if problems:
            failures.append((trial, sig.name, problems))
    print(f"\nwatch signal trials: {stats} (run takes {ref.duration:.2f} s)")
    assert not failures, failures[:5]

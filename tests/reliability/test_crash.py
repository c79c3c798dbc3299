"""Item 1: crash consistency. SIGKILL at random delays and at deterministic syscall points
while a large tree is materialised over its previous version (crash_trials.py does the work;
these tests run its short forms). `make soak` runs the long forms."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import relutil

SCRIPT = Path(__file__).resolve().parent / "crash_trials.py"
# Short forms; `make soak` raises them (REL_SOAK_* in mk/reliability.mk).
TRIALS = int(os.environ.get("REL_KILL_TRIALS", "30"))
POINTS = int(os.environ.get("REL_KILL_POINTS", "20"))
FILES = int(os.environ.get("REL_KILL_FILES", "1500"))


def trials(*args, timeout=900):
    done = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "CONFIG_INIT_BIN": relutil.BIN})
    try:
        report = json.loads(done.stdout)
    except ValueError:
        pytest.fail(f"crash_trials.py printed no report (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    if "skipped" in report:
        pytest.skip(report["skipped"])
    # Shown with -rA / on failure: what was tried.
    print(json.dumps({k: v for k, v in report.items() if k != "failures"}, indent=1))
    return report


def describe(report):
    return "\n".join(f"- trial {f['trial']} ({f['what']}): " + "; ".join(f["problems"])
                     for f in report["failures"][:10]) + f"\n(seed {report['seed']})"


def test_random_sigkill_leaves_old_or_new_files_and_the_next_run_converges(needs_unshare):
    report = trials("--mode", "random", "--trials", TRIALS, "--files", FILES, "--fs", "tmpfs")
    assert report["trials"] == TRIALS
    assert not report["failures"], describe(report)
    # The kills must actually have landed while the run was working, some mid-publish.
    assert report["stats"]["killed_running"] >= TRIALS // 2, report["stats"]


def test_sigkill_at_deterministic_syscall_points(needs_unshare):
    if not shutil.which("strace"):
        pytest.skip("strace is not installed (apt-get install strace)")
    report = trials("--mode", "points", "--trials", POINTS, "--files", 300, "--big", 2,
                    "--big-mib", 1, "--fs", "tmpfs")
    assert report["trials"] >= min(POINTS, report["syscall_points"])
    assert not report["failures"], describe(report)

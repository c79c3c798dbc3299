"""Memory stays proportionate: a few KB per managed file plus at most 32 MiB of
small files kept between reading and writing, not a buffer per file. The precise figures are
in docs/benchmarks.md (make bench); this guards against the regression found there: past
the 32 MiB, every merge base read from its layer held a 128 KiB buffer (430 MB for 42,000
files)."""

import os
import subprocess

from conftest import BIN, write_tree


def peak_rss_mb(args):
    """Runs config-init and returns (exit code, its own peak RSS in MB) via wait4."""
    proc = subprocess.Popen([BIN, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def test_peak_memory_of_3000_files_with_1500_structured_ones_past_the_kept_budget(tmp):
    if os.environ.get("CONFIG_INIT_SANITIZED"):
        return  # ASan's shadow memory makes RSS meaningless
    # 520 files of 64 KiB first (paths sort before the rest): the 32 MiB kept in memory.
    files = {f"a/blob{i:03d}.bin": os.urandom(64 * 1024) for i in range(520)}
    for i in range(1500):
        files[f"d{i % 50}/s{i}/settings.json"] = '{"k": %d, "list": [1, 2, 3]}' % i
        files[f"d{i % 50}/s{i}/notes.txt"] = "note %d\n" % i
    low = write_tree(tmp / "low", files)
    high = write_tree(tmp / "high", {k: v for k, v in list(files.items())[:400]})
    code, first = peak_rss_mb(["--layer", low, "--layer", high, "--dest", tmp / "dest"])
    assert code == 0
    code, again = peak_rss_mb(["--layer", low, "--layer", high, "--dest", tmp / "dest"])
    assert code == 0
    # 32 MiB kept + ~3.6 KB per file + the binary: about 50 MB. The bug made it ~250 MB.
    assert first < 100 and again < 100, (first, again)

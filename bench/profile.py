#!/usr/bin/env python3
"""Where config-init spends its time, per benchmark case (`make bench-profile`).

For each case (same inputs and destination filesystem as bench.py), one fresh run (or
re-run, for d1/d2) under each of:
  - perf trace -s   : every syscall's count and total time (tracing slows each call down,
                      so read the counts and the relative weights, not the wall time);
  - perf record     : sampled CPU (cpu-clock; this VM has no hardware counters), user and
                      kernel, by symbol;
  - /usr/bin/time   : an untraced run's wall, user and system time;
  - valgrind --tool=callgrind (cases a and e only): instruction counts by function.
Reports go to WORK/profile/<case>.*; a summary is printed.

Usage: bench/profile.py --bin build/config-init [--cases a,b,c,d1,d2,e] [--work DIR]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import inputs  # noqa: E402


def layers_for(key, root):
    if key == "a":
        return (os.path.join(bench.REPO, "examples/codex/image-defaults"),
                os.path.join(bench.REPO, "examples/codex/configmap"))
    if key in ("b", "d1"):
        return inputs.ensure_layers(os.path.join(root, "small-10000"),
                                    lambda: inputs.small_tree_files(10000))
    if key in ("c", "d2"):
        return inputs.ensure_layers(os.path.join(root, "large-200"),
                                    lambda: inputs.large_tree_files(200))
    return inputs.ensure_layers(os.path.join(root, "toml-1"), lambda: bench.toml_layers(1), False)


def fresh(fs, key, n, argv_for, rerun):
    dest = os.path.join(fs.dest, "%s-profile-%d" % (key, n))
    fs.discard(dest)
    os.makedirs(dest)
    if rerun:
        subprocess.run(argv_for(dest), stderr=subprocess.DEVNULL, check=True)
    os.sync()
    return dest


def top_syscalls(path, count=8):
    rows = []
    with open(path) as f:
        for line in f:
            m = re.match(r"\s+(\w+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s", line)
            if m and m.group(1) != "syscall":
                rows.append((m.group(1), int(m.group(2)), float(m.group(4))))
    total_calls = sum(r[1] for r in rows)
    rows.sort(key=lambda r: -r[2])
    return total_calls, rows[:count]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--work", default=os.environ.get("BENCH_DIR", "/tmp/config-init-bench"))
    parser.add_argument("--cases", default="a,b,c,d1,d2,e")
    parser.add_argument("--dest-fs", choices=("auto", "loop", "host"), default="auto")
    args = parser.parse_args()
    binary = os.path.abspath(args.bin)
    work = os.path.abspath(args.work)
    out_dir = os.path.join(work, "profile")
    os.makedirs(out_dir, exist_ok=True)
    have_perf = shutil.which("perf") and subprocess.run(
        ["perf", "stat", "-e", "task-clock", "true"], capture_output=True).returncode == 0
    have_valgrind = shutil.which("valgrind") is not None
    fs = bench.DestFS(work, args.dest_fs)
    fs.setup()
    bench.log("destinations on " + fs.description)
    n = 0
    try:
        for key in args.cases.split(","):
            layers = layers_for(key, os.path.join(work, "inputs"))
            rerun = key.startswith("d")

            def argv_for(dest):
                return bench.materialize_argv(binary, layers, dest)

            base = os.path.join(out_dir, key)
            n += 1
            dest = fresh(fs, key, n, argv_for, rerun)
            timing = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + argv_for(dest),
                                    stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            wall, user, system, rss = timing.stderr.strip().splitlines()[-1].split()
            print("case %s: untraced: wall %ss, user %ss, system %ss, peak RSS %.1f MB"
                  % (key, wall, user, system, int(rss) / 1024))
            if have_perf:
                n += 1
                dest = fresh(fs, key, n, argv_for, rerun)
                subprocess.run(["perf", "trace", "-s", "-o", base + ".syscalls.txt"] +
                               argv_for(dest), stderr=subprocess.DEVNULL, check=False)
                calls, rows = top_syscalls(base + ".syscalls.txt")
                print("  syscalls: %d in all; by traced time: %s" % (calls, ", ".join(
                    "%s %d (%.0f ms)" % r for r in rows)))
                n += 1
                dest = fresh(fs, key, n, argv_for, rerun)
                subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-g", "-o",
                                base + ".perf.data"] + argv_for(dest),
                               stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
                report = subprocess.run(["perf", "report", "-i", base + ".perf.data",
                                         "--no-children", "--sort", "sym", "--stdio", "-g", "none"],
                                        capture_output=True, text=True).stdout
                with open(base + ".cpu.txt", "w") as f:
                    f.write(report)
                symbols = [line.strip() for line in report.splitlines()
                           if re.match(r"\s+[\d.]+%", line)][:6]
                print("  CPU samples: " + "; ".join(re.sub(r"\s+", " ", s)[:80] for s in symbols))
            if have_valgrind and key in ("a", "e"):
                n += 1
                dest = fresh(fs, key, n, argv_for, rerun)
                subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + base +
                                ".callgrind.out"] + argv_for(dest), stderr=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL)
                annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                                            base + ".callgrind.out"], capture_output=True,
                                           text=True).stdout
                with open(base + ".callgrind.txt", "w") as f:
                    f.write(annotated)
                total = re.search(r"([\d,]+) \(100.0%\)\s+PROGRAM TOTALS", annotated)
                names = [line.split(" [")[0] for line in annotated.splitlines()
                         if "config_init::" in line]
                names = [n for n in names if "::main(" not in n and "run_materialize" not in n]
                print("  instructions: %s; inclusive: %s" % (
                    total.group(1) if total else "?", "; ".join(
                        re.sub(r"\s+", " ", n.replace("???:", ""))[:100] for n in names[:6])))
            fs.end_case()
        fs.empty_trash()
    finally:
        fs.teardown()
    print("reports in " + out_dir)


if __name__ == "__main__":
    main()

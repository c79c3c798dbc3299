#!/usr/bin/env python3
"""Several config-init binaries (and the shell baseline) on the same cases, alternating.

For measuring a code change: every variant runs once per round, in a rotating order, from
the same state as in bench.py (fresh destination, or one it materialised itself for the
re-run cases), on the same destination filesystem.

Usage: bench/compare.py [--cases b,c] [--runs N] [--no-baseline] NAME=BINARY [NAME=BINARY...]
Prints per case and variant: median, min, max wall time, median ratio to the first
variant, and peak RSS.
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import inputs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", metavar="NAME=BINARY")
    parser.add_argument("--work", default=os.environ.get("BENCH_DIR", "/tmp/config-init-bench"))
    parser.add_argument("--cases", default="a,b,c,d1,d2")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--dest-fs", choices=("auto", "loop", "host"), default="auto")
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    bench.build_measure(work)
    root = os.path.join(work, "inputs")
    layers = {
        "a": (os.path.join(bench.REPO, "examples/codex/image-defaults"),
              os.path.join(bench.REPO, "examples/codex/configmap")),
        "b": inputs.ensure_layers(os.path.join(root, "small-10000"),
                                  lambda: inputs.small_tree_files(10000)),
        "c": inputs.ensure_layers(os.path.join(root, "large-200"),
                                  lambda: inputs.large_tree_files(200)),
        "e": inputs.ensure_layers(os.path.join(root, "toml-1"), lambda: bench.toml_layers(1),
                                  False),
    }
    layers["d1"], layers["d2"] = layers["b"], layers["c"]
    variants = [v.split("=", 1) for v in args.variants]
    fs = bench.DestFS(work, args.dest_fs)
    fs.setup()
    bench.log("destinations on " + fs.description)
    logs = os.path.join(work, "logs")
    os.makedirs(logs, exist_ok=True)
    try:
        for key in args.cases.split(","):
            rerun = key.startswith("d")
            tools = []
            if not args.no_baseline and key != "e":
                dest = os.path.join(fs.dest, key + "-baseline")
                tools.append(bench.Tool(fs, "baseline", ["bash", bench.BASELINE, layers[key][0],
                                                         layers[key][1], dest], dest,
                                        rerun=rerun))
            for name, binary in variants:
                dest = os.path.join(fs.dest, key + "-" + name)
                tools.append(bench.Tool(fs, name, bench.materialize_argv(
                    os.path.abspath(binary), layers[key], dest), dest,
                    stderr=os.path.join(logs, "compare-%s-%s.log" % (key, name)), rerun=rerun))
            for tool in tools:
                tool.run(record=False)
            for i in range(args.runs):
                shift = i % len(tools)
                for tool in tools[shift:] + tools[:shift]:
                    tool.run()
            first = statistics.median(tools[0].times)
            print("case %s (%d runs each):" % (key, args.runs))
            for tool in tools:
                median = statistics.median(tool.times)
                print("  %-14s median %10s  min %10s  max %10s  x%.2f of %s  rss %.1f MB"
                      % (tool.name, bench.fmt_time(median), bench.fmt_time(min(tool.times)),
                         bench.fmt_time(max(tool.times)), median / first, tools[0].name,
                         max(tool.rss) / 1024), flush=True)
            for tool in tools:
                fs.discard(tool.dest)
            fs.end_case()
    finally:
        fs.teardown()


if __name__ == "__main__":
    main()

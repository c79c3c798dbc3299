#!/usr/bin/env python3
"""Crash-consistency and fault-injection trials for config-init.

A large tree (thousands of files in nested directories, a few multi-MiB ones, merged TOML,
JSON and YAML files, files that appear, disappear and stay the same) is materialised over
the previous version of itself, and the run is interrupted:

  random    SIGKILL after a random delay (uniform over the run's measured duration);
            with --double, the recovery run is killed at random too before the final one.
  points    SIGKILL at deterministic points: strace stops the run on entry to its N-th
            call of a mutating syscall (openat O_CREAT, write, fchmod, fdatasync, fsync,
            syncfs, renameat, unlinkat, mkdirat), N chosen evenly over the whole run from
            a trace of an uninterrupted run. No hook in the binary is needed.
  errors    the same points, but the syscall fails (EIO, ENOSPC, EDQUOT, EROFS) instead:
            the run must exit 4 with a message naming the file and the error, or exit 0
            with a complete, verified result; no temporary file may remain either way.
  shortwrite  a write(2) of file data reports success for 1 byte without writing
            anything (a lying disk / silent short write): the run must exit 4, and no torn
            file may be visible.

After each interruption: every managed file is its complete old or complete new content
(checked against the digests of both versions), nothing else appeared but temporary files
`.config-init-<pid>-<n>.tmp`, the manifest is the old or the new one, the app's own files
are untouched. Then a recovery run must exit 0, leave no temporary file anywhere, produce
exactly the new version, pass `config-init verify`, back nothing up (its own interrupted
work is not "app drift"), and a further run must rewrite nothing.

With --fs tmpfs the work directory is a tmpfs in a private mount namespace (unshare -m):
fast, and gone when the script ends. With --fs disk it is on the real disk (fsync costs).

Prints a JSON report on stdout; exit 0 when no trial failed, 1 otherwise.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import relutil  # noqa: E402
from relutil import BIN, content_digests, temporaries  # noqa: E402

APP_FILES = {"auth.json": '{"token": "app-owned"}\n', "sessions/2026/s1.jsonl": "{}\n" * 100}
MUTATING = ("openat", "write", "fchmod", "fchown", "fdatasync", "fsync", "syncfs", "renameat",
            "renameat2", "rename", "unlinkat", "mkdirat", "ftruncate")


# ---------------------------------------------------------------------------- the trees

def version_files(version, n_files, n_big, big_mib):
    """{layer: {path: bytes}} for version 1 or 2: two layers (defaults and overlay)."""
    low, high = {}, {}
    for i in range(n_files):
        d = f"d{i % 23:02d}/s{i % 7}"
        kind = i % 10
        body = lambda v: (f"v{v} file {i} " + "x" * (i % 97) + "\n").encode() * (1 + (i + v * 3) % 40)
        if kind <= 5:   # changed
            (low if i % 2 else high)[f"{d}/f{i:05d}.txt"] = body(version)
        elif kind == 6:  # the same in both versions
            low[f"{d}/same{i:05d}.txt"] = body(0)
        elif kind == 7:  # only in version 1: removed by version 2
            if version == 1:
                high[f"gone/{d}/old{i:05d}.txt"] = body(1)
        elif kind == 8:  # only in version 2: created
            if version == 2:
                high[f"new/{d}/new{i:05d}.txt"] = body(2)
        else:            # structured, in both layers: merged
            ext = ("toml", "json", "yaml")[(i // 10) % 3]
            path = f"{d}/c{i:05d}.{ext}"
            if ext == "toml":
                low[path] = f'name = "c{i}"\nkeep = {i}\n[table]\nlow = "x"\nlist = [1, 2]\n'.encode()
                high[path] = f'[table]\nversion = {version}\nlist = [{version}, {i}]\n'.encode()
            elif ext == "json":
                low[path] = json.dumps({"name": f"c{i}", "keep": i, "t": {"low": "x"}}).encode()
                high[path] = json.dumps({"t": {"version": version, "list": [version] * (version + i % 5)}}).encode()
            else:
                low[path] = f"name: c{i}\nkeep: {i}\nt:\n  low: x\n".encode()
                high[path] = f"t:\n  version: {version}\n  list: [{version}, {i}]\n".encode()
    for k in range(n_big):
        size = int((big_mib * (k + 1) / n_big) * (1 << 20)) + version * 4099 * (1 + k)
        unit = f"<v{version}:{k}>".encode()
        high[f"big/blob{k}.bin"] = (unit * (size // len(unit) + 1))[:size]
    return {"L1": low, "L2": high}


def timed(args):
    start = time.monotonic()
    subprocess.run(relutil.command(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=relutil.clean_env(), check=False)
    return time.monotonic() - start


def layer_args(work, version):
    return ["--layer", str(work / f"v{version}" / "L1"), "--layer", str(work / f"v{version}" / "L2")]


def materialize(work, version, dest, **kw):
    return relutil.run(*layer_args(work, version), "--dest", dest, "--quiet", timeout=600,
                       memory=None, **kw)


class Reference:
    """Both versions' expected results, and a pristine copy of version 1 to restore."""

    def __init__(self, work, n_files, n_big, big_mib):
        self.work = work
        for version in (1, 2):
            for layer, files in version_files(version, n_files, n_big, big_mib).items():
                relutil.write_tree(work / f"v{version}" / layer, files)
        self.pristine = work / "pristine"
        r = materialize(work, 1, self.pristine)
        if r.code != 0:
            raise SystemExit(f"reference run of version 1 failed: {r}")
        relutil.write_tree(self.pristine, APP_FILES)
        self.old = content_digests(self.pristine)
        self.old_state = content_digests(self.pristine / relutil.STATE)
        self.old_manifest = relutil.manifest_files(self.pristine)

        ref2 = work / "ref2"
        # How long a run takes (the best of three, started as the trials start it), and how
        # long it takes before the first write (about what a run with nothing to write takes).
        durations, plans = [], []
        for _ in range(3):
            relutil.remove_tree(ref2)
            relutil.copy_tree(self.pristine, ref2)
            durations.append(timed([*layer_args(work, 2), "--dest", str(ref2), "--quiet"]))
            plans.append(timed([*layer_args(work, 2), "--dest", str(ref2), "--quiet"]))
        self.duration, self.before_writing = min(durations), min(plans)
        r = materialize(work, 2, ref2)
        if r.code != 0 or (r.summary() or {}).get("updated"):
            raise SystemExit(f"reference run of version 2 failed: {r}")
        self.new = content_digests(ref2)
        self.new_state = content_digests(ref2 / relutil.STATE)
        self.new_manifest = relutil.manifest_files(ref2)
        self.app = {p: d for p, d in self.old.items() if p in APP_FILES}
        self.files = len(self.new)
        self.bytes = sum((ref2 / p).stat().st_size for p in self.new)
        relutil.remove_tree(ref2)

    def restore(self, dest):
        relutil.remove_tree(dest)
        relutil.copy_tree(self.pristine, dest)

    # -------------------------------------------------------------------- the checks

    def check_interrupted(self, dest):
        """Problems with DEST right after an interruption; and how far the run had got."""
        problems = []
        current = content_digests(dest)
        progress = {"old": 0, "new": 0, "temporaries": len(temporaries(dest))}
        for path, digest in current.items():
            if relutil.TEMP_RE.match(os.path.basename(path)):
                continue
            allowed = {self.old.get(path), self.new.get(path)} - {None}
            if not allowed:
                problems.append(f"unexpected file {path}")
            elif digest not in allowed:
                problems.append(f"torn file {path}: sha256 {digest[:12]} is neither the old nor the new content")
            elif path in self.old and path in self.new and self.old[path] != self.new[path]:
                progress["new" if digest == self.new[path] else "old"] += 1
        for path in set(self.old) & set(self.new):
            if path not in current:
                problems.append(f"{path} disappeared (it is in both versions)")
        for path, digest in self.app.items():
            if current.get(path) != digest:
                problems.append(f"the app's file {path} was changed")
        # config-init's own state: the manifest is old or new, never torn; bases likewise.
        try:
            recorded = relutil.manifest_files(dest)
            if recorded not in (self.old_manifest, self.new_manifest):
                problems.append("the manifest is neither the old nor the new one")
        except (OSError, ValueError) as error:
            problems.append(f"the manifest is unreadable: {error}")
        for path, digest in content_digests(dest / relutil.STATE).items():
            if relutil.TEMP_RE.match(os.path.basename(path)) or path == "lock":
                continue
            if path.startswith("base/") and digest not in (self.old_state.get(path), self.new_state.get(path)):
                problems.append(f"torn merge base .config-init/{path}")
        return problems, progress

    def check_recovered(self, dest, recovery, idempotence=True):
        """Problems after the recovery run `recovery` (a relutil.Result)."""
        problems = []
        if recovery.code != 0:
            return [f"recovery run exited {recovery.code}: {recovery.error()}"]
        left = temporaries(dest)
        if left:
            problems.append(f"temporary files left after the recovery run: {[os.fsdecode(p) for p in left[:5]]}")
        current = content_digests(dest)
        if current != self.new:
            wrong = sorted(p for p in set(current) | set(self.new) if current.get(p) != self.new.get(p))
            problems.append(f"recovery did not converge: {len(wrong)} paths differ, e.g. {wrong[:5]}")
        if relutil.manifest_files(dest) != self.new_manifest:
            problems.append("recovery did not record the new manifest")
        backed_up = [e.get("path") for e in recovery.log() if e.get("action") == "backed-up"]
        if backed_up or (dest / relutil.STATE / "backup").exists():
            problems.append(f"recovery took its own interrupted work for app drift and backed up "
                            f"{len(backed_up)} files, e.g. {backed_up[:3]}")
        verify = relutil.run("verify", "--dest", dest, "--quiet", memory=None, timeout=600)
        if verify.code != 0:
            problems.append(f"verify exited {verify.code}: {verify.error()}")
        if idempotence:
            again = materialize(self.work, 2, dest)
            summary = again.summary() or {}
            if again.code != 0 or any(summary.get(k) for k in ("created", "updated", "removed")):
                problems.append(f"a further run was not a no-op: exit {again.code}, summary {summary}")
        return problems


# ------------------------------------------------------------------------- interruptions

def kill_after(args, delay):
    """Starts config-init ARGS, SIGKILLs it after `delay` s; True when it was still running."""
    proc = subprocess.Popen(relutil.command(args), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=relutil.clean_env())
    time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return alive


def trace_points(ref, dest):
    """[(syscall, n)] of every mutating syscall of an uninterrupted run, in order."""
    ref.restore(dest)
    trace = ref.work / "trace.txt"
    args = [*layer_args(ref.work, 2), "--dest", str(dest), "--quiet"]
    subprocess.run(["strace", "-f", "-qq", "-s", "0", "-o", str(trace), "-e",
                    "trace=" + ",".join(MUTATING), *relutil.command(args)],
                   env=relutil.clean_env(), capture_output=True, check=True)
    counts, points = {}, []
    for line in trace.read_text(errors="replace").splitlines():
        m = re.match(r"^(?:\d+\s+)?(\w+)\((.*)", line)
        if not m or "resumed>" in line:
            continue
        name, rest = m.group(1), m.group(2)
        counts[name] = counts.get(name, 0) + 1
        if name == "openat" and "O_CREAT" not in rest:
            continue
        if name == "write" and re.match(r"^[12],", rest):
            continue  # stdout/stderr
        points.append((name, counts[name]))
    return points


def strace_run(args, inject):
    name = inject.split(":", 1)[0]
    cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={name}", "-e",
           f"inject={inject}", *relutil.command(args)]
    start = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, env=relutil.clean_env(), timeout=600)
    return relutil.Result(done.returncode, done.stdout.decode(errors="replace"),
                          done.stderr.decode(errors="replace"), time.monotonic() - start)


ERRORS = ["EIO", "ENOSPC", "EDQUOT", "EROFS"]


def check_failed_run(ref, dest, r, point):
    """An injected I/O error: exit 4 and a clear message, or exit 0 and a complete result."""
    problems = []
    left = temporaries(dest)
    if left:
        problems.append(f"temporary files left by the failed run: {[os.fsdecode(p) for p in left[:5]]}")
    if r.code == 4:
        msg = r.error()
        if not re.search(r"(Input/output error|No space left|Disk quota exceeded|Read-only file system)", msg):
            problems.append(f"exit 4 without the cause in the message: {msg!r}")
        if str(dest) not in msg and "flush" not in msg:
            problems.append(f"exit 4 without naming the destination path: {msg!r}")
    elif r.code == 0:
        if content_digests(dest) != ref.new:
            problems.append("exit 0 after an injected I/O error, but the result is incomplete")
    else:
        problems.append(f"exit {r.code} (expected 4, or 0 with a complete result): {r.error() or r.stderr[-500:]}")
    return problems


# ------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["random", "points", "errors", "shortwrite"], default="random")
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--big", type=int, default=3, help="number of multi-MiB files")
    ap.add_argument("--big-mib", type=float, default=6, help="size of the largest one")
    ap.add_argument("--double", type=float, default=0.3, help="fraction of random trials whose recovery is killed too")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--fs", choices=["tmpfs", "disk"], default="tmpfs")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--keep-failures", action="store_true")
    ap.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    if args.fs == "tmpfs" and not args.in_namespace:
        if not relutil.can_unshare():
            print(json.dumps({"skipped": "needs root and unshare -m for --fs tmpfs"}))
            return 0
        args_out = [a for a in sys.argv[1:]]
        os.execvp("unshare", ["unshare", "-m", "--propagation", "private", sys.executable,
                              os.path.abspath(__file__), *args_out, "--seed", str(args.seed),
                              "--in-namespace"])
    rng = random.Random(args.seed)
    base = Path(args.workdir or os.environ.get("TMPDIR", "/tmp"))
    work = Path(subprocess.run(["mktemp", "-d", str(base / "config-init-crash.XXXXXX")],
                               capture_output=True, text=True, check=True).stdout.strip())
    if args.fs == "tmpfs":
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2g,mode=0755", "tmpfs", str(work)], check=True)
    report = {"mode": args.mode, "fs": args.fs, "seed": args.seed, "binary": BIN, "trials": 0,
              "failures": []}
    try:
        t0 = time.monotonic()
        ref = Reference(work, args.files, args.big, args.big_mib)
        report.update(files=ref.files, bytes=ref.bytes, run_seconds=round(ref.duration, 3),
                      seconds_before_writing=round(ref.before_writing, 3),
                      setup_seconds=round(time.monotonic() - t0, 1))
        dest = work / "dest"
        stats = {"killed_running": 0, "finished_before_kill": 0, "mixed_old_and_new": 0,
                 "temporaries_seen_after_kill": 0, "double_kills": 0}
        args2 = [*layer_args(work, 2), "--dest", str(dest), "--quiet"]

        if args.mode in ("points", "errors", "shortwrite"):
            if not shutil.which("strace"):
                print(json.dumps({"skipped": "strace is not installed"}))
                return 0
            points = trace_points(ref, dest)
            report["syscall_points"] = len(points)
            if args.mode == "shortwrite":
                points = [p for p in points if p[0] == "write"]
            wanted = min(args.trials, len(points))
            # Evenly over the run, always including the first and the last point.
            chosen = sorted({points[round(k * (len(points) - 1) / max(1, wanted - 1))] for k in range(wanted)},
                            key=points.index)
        else:
            chosen = list(range(args.trials))

        for trial, point in enumerate(chosen):
            ref.restore(dest)
            problems, label = [], ""
            if args.mode == "random":
                # Half the kills anywhere in the run, half while it writes (after the time
                # `plan` takes to read, merge and compare everything).
                start = 0 if trial % 2 == 0 else ref.before_writing * 0.9
                delay = rng.uniform(start, ref.duration)
                label = f"random kill at {delay:.3f}s of {ref.duration:.3f}s"
                alive = kill_after(args2, delay)
                stats["killed_running" if alive else "finished_before_kill"] += 1
            elif args.mode == "points":
                name, n = point
                label = f"SIGKILL on entry to {name} #{n}"
                r = strace_run(args2, f"{name}:signal=KILL:when={n}")
                alive = r.code != 0
                stats["killed_running" if alive else "finished_before_kill"] += 1
            elif args.mode == "errors":
                name, n = point
                err = ERRORS[trial % len(ERRORS)]
                label = f"{name} #{n} fails with {err}"
                r = strace_run(args2, f"{name}:error={err}:when={n}")
                problems += check_failed_run(ref, dest, r, point)
                stats.setdefault("exit_codes", {}).setdefault(str(r.code), 0)
                stats["exit_codes"][str(r.code)] += 1
                label += f": exit {r.code}"
                if r.code == 0:  # which failures were harmless (reported, for review)
                    stats.setdefault("exit_0_after", []).append(f"{name} #{n} {err}")
            else:
                name, n = point
                label = f"write #{n} writes nothing but reports 1 byte written"
                r = strace_run(args2, f"write:retval=1:when={n}")
                stats.setdefault("exit_codes", {}).setdefault(str(r.code), 0)
                stats["exit_codes"][str(r.code)] += 1
                if r.code not in (0, 4):
                    problems.append(f"exit {r.code} after a short write: {r.error()}")
                if temporaries(dest):
                    problems.append("temporary files left by the failed run")
            found, progress = ref.check_interrupted(dest)
            problems += found
            if progress["old"] and progress["new"]:
                stats["mixed_old_and_new"] += 1
            if progress["temporaries"]:
                stats["temporaries_seen_after_kill"] += 1
            if args.mode == "random" and rng.random() < args.double:
                stats["double_kills"] += 1
                delay2 = rng.uniform(0, ref.duration)
                kill_after(args2, delay2)
                label += f", recovery killed at {delay2:.3f}s"
                found, _ = ref.check_interrupted(dest)
                problems += [f"after the second kill: {p}" for p in found]
            recovery = materialize(work, 2, dest)
            problems += ref.check_recovered(dest, recovery, idempotence=trial % 4 == 0)
            report["trials"] += 1
            if problems:
                failure = {"trial": trial, "what": label, "progress": progress, "problems": problems[:10]}
                if args.keep_failures and args.fs == "disk":
                    keep = work.parent / f"config-init-crash-failure-{trial}"
                    relutil.copy_tree(dest, keep)
                    failure["kept"] = str(keep)
                report["failures"].append(failure)
            print(f"trial {trial}: {label}: progress {progress}: "
                  f"{'FAIL ' + '; '.join(problems[:3]) if problems else 'ok'}", file=sys.stderr, flush=True)
        report["stats"] = stats
        report["seconds"] = round(time.monotonic() - t0, 1)
    finally:
        if args.fs == "tmpfs":
            subprocess.run(["umount", "-l", str(work)], check=False)
        relutil.remove_tree(work)
    print(json.dumps(report, indent=2))
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures of the `watch` suite: the real binary as a long-running process, layers laid out
and updated the way the kubelet's AtomicWriter does it, and waiting on its JSON log."""

import json
import os
import shutil
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CONFIG_INIT_BIN", str(REPO / "build" / "config-init"))
SANITIZED = os.environ.get("CONFIG_INIT_SANITIZED") == "1"
SLOW = 3 if SANITIZED else 1


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIG_INIT_")}
    env.update(extra or {})
    return env


def run(*args, timeout=60):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True,
                          env=clean_env(), timeout=timeout)


def write_tree(root: Path, files: dict):
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


class Kubelet:
    """A ConfigMap volume kept like the kubelet's AtomicWriter keeps it (pkg/volume/util/
    atomic_writer.go): the payload in a new `..<timestamp>` directory created in the volume,
    a `..data_tmp` symlink to it renamed onto `..data`, the per-key symlinks of new keys
    created, those of keys no longer in the payload removed, the old directory deleted.
    Keys are top-level names (a key holds one file); a path with a `/` is kept under its
    first element, as the kubelet does for `items[].path`."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.count = 0

    def _stamp(self):
        self.count += 1
        now = datetime.now(timezone.utc)
        return now.strftime("..%Y_%m_%d_%H_%M_%S.") + f"{time.monotonic_ns() % 10**9:09d}{self.count}"

    def publish(self, files: dict):
        """Creates the volume on first use, then updates it."""
        self.root.mkdir(parents=True, exist_ok=True)
        data = self.root / "..data"
        old = os.readlink(data) if data.is_symlink() else None
        stamp = self._stamp()
        write_tree(self.root / stamp, files)
        tmp = self.root / "..data_tmp"
        os.symlink(stamp, tmp)
        os.rename(tmp, data)
        keys = {rel.split("/")[0] for rel in files}
        for key in sorted(keys):
            link = self.root / key
            if not link.is_symlink():
                os.symlink(f"..data/{key}", link)
        for entry in self.root.iterdir():
            if not entry.name.startswith("..") and entry.is_symlink() and entry.name not in keys:
                entry.unlink()
        if old:
            shutil.rmtree(self.root / old)


class Watch:
    """`config-init watch` running in the background, logging JSON to a file."""

    def __init__(self, tmp: Path, layers, dest: Path, *extra, name="watch"):
        self.dest = Path(dest)
        self.log_path = Path(tmp) / f"{name}.log"
        args = [BIN, "watch", "--log-format", "json"]
        for layer in layers:
            args += ["--layer", str(layer)]
        args += ["--dest", str(dest), *map(str, extra)]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log_file,
                                     env=clean_env())

    def log(self):
        out = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # a line being written
        return out

    def summaries(self):
        return [e for e in self.log() if e.get("event") == "summary"]

    def failures(self):
        return [e for e in self.log() if e.get("event") == "failure"]

    def wait_for(self, predicate, timeout=10, what="condition"):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.proc.poll() is not None and not predicate():
                raise AssertionError(f"watch exited {self.proc.returncode} waiting for {what}:\n"
                                     + self.log_path.read_text()[-3000:])
            time.sleep(0.005)
        raise AssertionError(f"timed out waiting for {what}:\n" + self.log_path.read_text()[-3000:])

    def wait_runs(self, n, timeout=10):
        """Waits until `n` runs (successful or not) have been recorded in status.json."""
        self.wait_for(lambda: self.status().get("runs", 0) >= n, timeout, f"{n} runs")

    def status(self):
        try:
            return json.loads((self.dest / ".config-init" / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def ready(self, timeout=10):
        self.wait_for(lambda: any(e.get("event") == "watching" for e in self.log()), timeout,
                      "the first run")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout * SLOW)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.log_file.close()
        return code

    def rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


@pytest.fixture
def watches():
    """Watches started by a test, stopped (and killed if need be) at its end."""
    started = []
    yield started
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()

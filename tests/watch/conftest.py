"""Fixtures of the `watch` suite: the real binary as a long-running process, layers laid out
and updated the way the kubelet's AtomicWriter does it, and waiting on its JSON log."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import kubelet_volumes  # noqa: E402  (tests/kubelet_volumes.py, shared with the other suites)

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
    """A ConfigMap volume that the kubelet updates (tests/kubelet_volumes.py, shared with the
    integration and chart suites): each publish is one AtomicWriter.Write, a new
    `..<timestamp>` directory created in place, `..data` swapped by rename, the links of
    remaining keys kept, stale links removed, the old directory deleted."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def publish(self, files: dict):
        """Creates the volume on first use, then updates it."""
        self.root.mkdir(parents=True, exist_ok=True)
        kubelet_volumes.atomic_write(self.root, files)


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

"""Fixtures for running the real config-init binary against layer trees on disk."""

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import kubelet_volumes  # noqa: E402  (tests/kubelet_volumes.py)

BIN = os.environ.get("CONFIG_INIT_BIN", str(Path(__file__).resolve().parents[2] / "build" / "config-init"))


class Result:
    def __init__(self, completed):
        self.code = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    def log(self):
        """The JSON log lines (the binary logs JSON when stderr is not a terminal)."""
        return [json.loads(line) for line in self.stderr.splitlines() if line.startswith("{")]

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


def run(*args, env=None, cwd=None, timeout=60):
    """Runs config-init with `args`; CONFIG_INIT_* from the caller's environment are removed."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONFIG_INIT_")}
    if env:
        base.update(env)
    completed = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True,
                               env=base, cwd=cwd, timeout=timeout)
    return Result(completed)


def write_tree(root: Path, files: dict):
    """Creates a plain directory tree: {relative path: text or bytes}."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def kubelet_volume(root: Path, files: dict, stamp="..2026_11_28_12_00_00.2617271577", mode=0o644,
                   gid=None, kind="configMap"):
    """Lays out a ConfigMap (or Secret, projected) volume as the real kubelet does: the root as
    its emptyDir (0777; Secret and projected 1777 on tmpfs when root), the content in a
    timestamped directory, `..data` pointing at it, one link per first path element; with gid
    (the pod's fsGroup) root:gid and setgid directories. tests/kubelet_volumes.py has the detail;
    tmpfs mounts are undone by the `tmp` fixture."""
    if kubelet_volumes.mount_root(root, kind, gid):
        _tmpfs_mounts.append(root)
    return kubelet_volumes.atomic_write(root, files, mode, gid, stamp)


def kubelet_update(root: Path, files: dict, stamp="..2026_11_28_12_05_00.1234", mode=0o644, gid=None):
    """A ConfigMap update as the kubelet applies it: the new timestamp directory in place,
    fsGroup ownership across the volume, `..data` swapped, links of remaining keys kept."""
    return kubelet_volumes.atomic_write(root, files, mode, gid, stamp)


def snapshot(root: Path):
    """Every entry below `root` (hidden ones too): type, mode, content digest or link target,
    size and mtime, so that 'byte-for-byte unchanged' can be asserted."""
    result = {}
    if not root.exists():
        return None
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(st.st_mode):
                result[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                result[rel] = ("dir", oct(st.st_mode & 0o7777))
            else:
                result[rel] = ("file", oct(st.st_mode & 0o7777), sha256(path), st.st_mtime_ns)
    return result


def sha256(path: Path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def manifest(dest: Path):
    return json.loads((dest / ".config-init" / "manifest.json").read_text())


_tmpfs_mounts = []


@pytest.fixture
def tmp(tmp_path):
    yield tmp_path
    while _tmpfs_mounts:
        kubelet_volumes.unmount_root(_tmpfs_mounts.pop())

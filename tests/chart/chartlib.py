"""Helpers for the chart and manifest tests (tests/chart): paths, rendering with
helm, lookups in rendered manifests, a kubelet-style volume layout, merge models.
(A module of its own name, not conftest, so it never clashes with another suite's.)
"""

import base64
import copy
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import kubelet_volumes  # noqa: E402  (tests/kubelet_volumes.py, shared with tests/integration)

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "coding-agent"
DEPLOY = REPO / "deploy"
# The Kubernetes version manifests are validated against (kubernetes-validate
# 1.37.0 bundles the schemas of 1.25 to 1.37).
K8S_VERSION = os.environ.get("CHART_K8S_VERSION", "1.31.0")

# Per agent: what the chart's defaults say about it (values.yaml, agents.<agent>).
AGENTS = {
    "codex": {
        "home": "/home/codex",
        "config_dir": "/home/codex/.codex",
        "env": "CODEX_HOME",
        "main_file": "config.toml",
        "defaults_dir": "/etc/codex-defaults",
        "legacy_dir": "/etc/codex-config",
        "extra_args": ["--require", "config.toml"],
    },
    "claude": {
        "home": "/home/claude",
        "config_dir": "/home/claude/.claude",
        "env": "CLAUDE_CONFIG_DIR",
        "main_file": "settings.json",
        "defaults_dir": "/etc/claude-defaults",
        "legacy_dir": "/etc/claude-config",
        "extra_args": ["--require", "settings.json", "--arrays", "settings.json=union"],
    },
}

# Volume types Pod Security "restricted" allows.
RESTRICTED_VOLUME_TYPES = {
    "configMap", "secret", "emptyDir", "projected", "downwardAPI",
    "persistentVolumeClaim", "csi", "ephemeral",
}


@dataclass
class Tools:
    helm: str
    kubernetes_validate: str


def install_tools():
    proc = subprocess.run([str(REPO / "scripts" / "install-helm.sh")],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.fail(f"scripts/install-helm.sh failed ({proc.returncode}):\n{proc.stderr}")
    found = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return found["HELM"], found["KUBERNETES_VALIDATE"]


def run(cmd, **kwargs):
    """Runs cmd, returning the CompletedProcess (text mode, output captured)."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          check=False, **kwargs)


class Rendered:
    """The documents of one `helm template` run, with lookups by kind and name."""

    def __init__(self, text):
        self.text = text
        self.docs = [d for d in yaml.safe_load_all(text) if d]

    def all(self, kind):
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind, name=None):
        found = [d for d in self.all(kind) if name is None or d["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
        return found[0]

    @property
    def statefulset(self):
        return self.one("StatefulSet")

    @property
    def pod(self):
        return self.statefulset["spec"]["template"]["spec"]

    @property
    def configmap(self):
        return self.one("ConfigMap")

    def volume(self, name):
        found = [v for v in self.pod.get("volumes", []) if v["name"] == name]
        assert len(found) == 1, f"expected one pod volume named {name}, found {found}"
        return found[0]

    def container(self, name):
        found = [c for c in self.pod["containers"] if c["name"] == name]
        assert len(found) == 1, f"expected one container named {name}"
        return found[0]

    @property
    def init_containers(self):
        return self.pod.get("initContainers", [])


def write_values(directory, values):
    Path(directory).mkdir(parents=True, exist_ok=True)
    path = Path(directory) / "values.yaml"
    path.write_text(yaml.safe_dump(values, sort_keys=False))
    return path


def helm_template(tools, tmp_path, values=None, release="demo", extra=()):
    """`helm template` with values given as a file (types as a user's file has them).
    Returns the CompletedProcess."""
    args = [tools.helm, "template", release, CHART, "--namespace", "agents"]
    if values is not None:
        args += ["-f", write_values(tmp_path, values)]
    return run(args + list(extra))


def render(tools, tmp_path, values=None, **kwargs):
    proc = helm_template(tools, tmp_path, values, **kwargs)
    assert proc.returncode == 0, f"helm template failed:\n{proc.stderr}"
    return Rendered(proc.stdout)


class _OneVolume:
    """A rendered pod seen with one volume replaced (mount_files of a projected source)."""

    def __init__(self, rendered, volume):
        self.rendered, self._volume = rendered, volume

    def volume(self, name):
        return self._volume

    def one(self, kind, name=None):
        return self.rendered.one(kind, name)


def mount_files(rendered, volume_name):
    """The files a ConfigMap or Secret volume of the rendered pod shows: {path: bytes}
    (items[].path when the volume lists items, else the keys), and the volume's mode."""
    volume = rendered.volume(volume_name)
    if "projected" in volume:  # each source's keys (or items), one volume-wide defaultMode
        files = {}
        for source in volume["projected"]["sources"]:
            kind = next(iter(source))
            sub = {"name": volume_name, kind: source[kind]}
            if kind == "secret":
                sub[kind] = {"secretName": source[kind]["name"], **source[kind]}
            part, _ = mount_files(_OneVolume(rendered, sub), volume_name)
            files.update(part)
        return files, volume["projected"].get("defaultMode", 0o644)
    if "configMap" in volume:
        source = volume["configMap"]
        obj = rendered.one("ConfigMap", source["name"])
        data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
    else:
        source = volume["secret"]
        obj = rendered.one("Secret", source["secretName"])
        data = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    items = source.get("items")
    files = {i["path"]: data[i["key"]] for i in items} if items else dict(data)
    return files, source.get("defaultMode", 0o644)


def volume_kind(rendered, volume_name):
    """"configMap", "secret" or "projected": which kubelet volume plugin mounts it."""
    volume = rendered.volume(volume_name)
    for kind in ("configMap", "secret", "projected"):
        if kind in volume:
            return kind
    raise AssertionError(f"volume {volume_name} is neither a ConfigMap, a Secret nor projected")


# tmpfs roots of Secret and projected volumes mounted by kubelet_volume (as root), undone by
# the `unmount_kubelet_tmpfs` fixture (import it into the test module that lays out volumes).
TMPFS_MOUNTS = []


@pytest.fixture(autouse=True)
def unmount_kubelet_tmpfs():
    yield
    while TMPFS_MOUNTS:
        kubelet_volumes.unmount_root(TMPFS_MOUNTS.pop())


def kubelet_volume(root, files, mode=0o644, timestamp="..2026_11_28_12_00_00.123", gid=None,
                   kind="configMap"):
    """Mounts files the way the real kubelet mounts a ConfigMap/Secret/projected volume
    (tests/kubelet_volumes.py): the root as its emptyDir (0777; Secret and projected 1777 on a
    tmpfs when running as root), root/..<timestamp>/<path> (directories 0755),
    root/..data -> ..<timestamp>, root/<first element> -> ..data/<first element>. With gid (the
    pod's fsGroup) the whole volume becomes group gid, files |= 0440, directories setgid:
    roots 2777 / 3777, timestamp and nested directories 2755. An empty files dict is the
    chart's default empty ConfigMap: ..data -> an empty directory."""
    if kubelet_volumes.mount_root(root, kind, gid):
        TMPFS_MOUNTS.append(Path(root))
    return kubelet_volumes.atomic_write(root, files, mode, gid, timestamp)


def kubelet_update(root, files, mode=0o644, timestamp="..2026_11_28_12_05_00.456", gid=None):
    """A ConfigMap update as the kubelet applies it: the new timestamp directory in place, then
    fsGroup group and modes across the whole volume (old directory, ..data, links), ..data_tmp
    renamed onto ..data, missing links added (links of remaining keys kept), stale links and
    the old directory removed."""
    return kubelet_volumes.atomic_write(root, files, mode, gid, timestamp)


def deep_merge(low, high):
    """The contract's default deep merge: maps key by key, everything else replaced."""
    if isinstance(low, dict) and isinstance(high, dict):
        out = copy.deepcopy(low)
        for key, value in high.items():
            out[key] = deep_merge(low[key], value) if key in low else copy.deepcopy(value)
        return out
    return copy.deepcopy(high)


def union_merge(low, high):
    """Deep merge whose arrays are appended without duplicates (Claude Code's rule)."""
    if isinstance(low, dict) and isinstance(high, dict):
        out = copy.deepcopy(low)
        for key, value in high.items():
            out[key] = union_merge(low[key], value) if key in low else copy.deepcopy(value)
        return out
    if isinstance(low, list) and isinstance(high, list):
        out = copy.deepcopy(low)
        for item in high:
            if item not in out:
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(high)

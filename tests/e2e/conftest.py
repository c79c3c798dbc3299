"""The e2e cluster of tests/e2e: one real single-node Kubernetes cluster per test session.

`make e2e` (scripts/e2e/run.sh) builds everything and sets the environment below; the session
fixture `cluster` then runs scripts/e2e/up.sh and, whatever happens, scripts/e2e/down.sh. A
failed bring-up fails every test (never a skip); leftovers after down.sh fail the session.

Environment (set by run.sh):
  KUBECTL, HELM             the binaries (kubectl built with the cluster, Helm from install-helm.sh)
  E2E_IMAGE_ARCHIVES        docker archives imported into the cluster's containerd
  E2E_CONFIG_INIT_IMAGE     the image under test (`make image`), e.g. localhost/config-init:dev
  E2E_AGENT_IMAGE           the agent stand-in: that image plus busybox (scripts/e2e/agent)
"""

import hashlib
import json
import os
import pathlib
import re
import stat
import subprocess
import tempfile
import time
import uuid

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "e2e"
CHART = REPO / "charts" / "coding-agent"
RUN_DIR = pathlib.Path(os.environ.get("E2E_RUN", "/run/config-init-e2e"))
STATE_DIR = pathlib.Path(os.environ.get("E2E_STATE", "/var/lib/config-init-e2e"))
NODE = "e2e-node"


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the e2e tests with `make e2e`", pytrace=False)
    return value


def split_image(ref):
    repo, _, tag = ref.rpartition(":")
    return repo, tag


class Cluster:
    """kubectl and helm against the e2e cluster, and polling helpers with diagnostics."""

    def __init__(self, kubectl, helm, config_init_image, agent_image):
        self.kubectl_bin = kubectl
        self.helm_bin = helm
        self.config_init_image = config_init_image
        self.agent_image = agent_image
        self.env = dict(os.environ, KUBECONFIG=str(RUN_DIR / "admin.kubeconfig"))

    def run(self, argv, input=None, check=True, timeout=180):
        result = subprocess.run(argv, input=input, capture_output=True, text=True, env=self.env,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, argv))} exited {result.returncode}\n"
                                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    def kubectl(self, *args, **kw):
        return self.run([self.kubectl_bin, *args], **kw)

    def helm(self, *args, **kw):
        return self.run([self.helm_bin, *args], **kw)

    def get(self, ns, kind, name):
        """The object as a dict, or None when it does not exist."""
        r = self.kubectl("-n", ns, "get", kind, name, "-o", "json", check=False)
        if r.returncode != 0:
            if "NotFound" in r.stderr:
                return None
            raise AssertionError(f"kubectl get {kind} {name}: {r.stderr}")
        return json.loads(r.stdout)

    def exec(self, ns, pod, container, *cmd, check=True):
        return self.kubectl("-n", ns, "exec", pod, "-c", container, "--", *cmd, check=check)

    def diagnostics(self, ns):
        out = [self.kubectl("-n", ns, "describe", "pods", check=False).stdout,
               self.kubectl("-n", ns, "get", "events", "--sort-by=.lastTimestamp", check=False).stdout]
        return "\n".join(out)

    def wait(self, what, probe, ns, timeout=150, interval=0.5):
        """Polls probe() until it returns a true value, which is returned."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}\n"
                                     + self.diagnostics(ns))
            time.sleep(interval)

    def wait_pod_ready(self, ns, pod, not_uid=None, timeout=150):
        """Waits until pod exists (with a uid other than not_uid) and all its containers are ready."""

        def probe():
            p = self.get(ns, "pod", pod)
            if not p or p["metadata"]["uid"] == not_uid or p["metadata"].get("deletionTimestamp"):
                return None
            conds = {c["type"]: c["status"] for c in p.get("status", {}).get("conditions", [])}
            return p if conds.get("Ready") == "True" else None

        return self.wait(f"pod {ns}/{pod} Ready", probe, ns, timeout)

    def wait_gone(self, ns, kind, name, timeout=120):
        self.wait(f"{kind} {ns}/{name} deleted", lambda: self.get(ns, kind, name) is None, ns, timeout)


@pytest.fixture(scope="session")
def cluster(request):
    kubectl = _required_env("KUBECTL")
    helm = _required_env("HELM")
    archives = _required_env("E2E_IMAGE_ARCHIVES").split()
    config_init_image = _required_env("E2E_CONFIG_INIT_IMAGE")
    agent_image = _required_env("E2E_AGENT_IMAGE")

    def down():
        r = subprocess.run([str(SCRIPTS / "down.sh")], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"scripts/e2e/down.sh failed:\n{r.stderr}")

    # Registered first: a half-finished bring-up is torn down too.
    request.addfinalizer(down)
    start = time.monotonic()
    r = subprocess.run([str(SCRIPTS / "up.sh"), *archives], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"scripts/e2e/up.sh failed (exit {r.returncode}):\n{r.stderr}", pytrace=False)
    print(f"\ncluster up in {time.monotonic() - start:.1f}s")
    return Cluster(kubectl, helm, config_init_image, agent_image)


@pytest.fixture
def namespace(cluster, request):
    """A fresh namespace per test, deleted afterwards (by the namespace controller)."""
    base = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    name = f"{base}-{uuid.uuid4().hex[:5]}"
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def chart_values(cluster, agent="codex", **overrides):
    """Values for charts/coding-agent with the images under test (never pulled)."""
    ci_repo, ci_tag = split_image(cluster.config_init_image)
    agent_repo, agent_tag = split_image(cluster.agent_image)
    values = {
        "agent": agent,
        "image": {"repository": agent_repo, "tag": agent_tag, "pullPolicy": "Never"},
        "configInit": {"image": {"repository": ci_repo, "tag": ci_tag, "pullPolicy": "Never"}},
        "persistence": {"enabled": False},
        "terminationGracePeriodSeconds": 2,
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi"}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return values


def helm_apply(cluster, verb, ns, release, values):
    """`helm install` or `helm upgrade` of charts/coding-agent with these values."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(values, f)
    try:
        return cluster.helm(verb, release, str(CHART), "-n", ns, "-f", f.name)
    finally:
        os.unlink(f.name)


def local_home_volume(cluster, ns, claim, size="10Gi"):
    """A `local` PersistentVolume and its claim (the StatefulSet's volumeClaimTemplate's name),
    bound to each other, backed by a directory of the node; returns that directory. The kubelet
    applies fsGroup."""
    name = f"{ns}-{claim}"[:63]
    path = STATE_DIR / "volumes" / name
    path.mkdir(parents=True)
    pv = {
        "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
            "claimRef": {"namespace": ns, "name": claim},
            "local": {"path": str(path)},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "kubernetes.io/hostname", "operator": "In", "values": [NODE]}]}]}},
        },
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(pv))
    # The claim too, bound before the StatefulSet exists (it adopts a claim of its name): left
    # to the StatefulSet, the scheduler could try the pod before the PV controller bound the
    # claim, and the "unbound immediate PersistentVolumeClaims" retry may wait minutes (seen).
    pvc = {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim, "namespace": ns},
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "", "volumeName": name,
                 "resources": {"requests": {"storage": size}}},
    }
    if cluster.get(ns, "pvc", claim) is None:  # else made already: the PV's claimRef binds it
        cluster.kubectl("create", "-f", "-", input=json.dumps(pvc))
    cluster.wait(f"claim {ns}/{claim} Bound",
                 lambda: (cluster.get(ns, "pvc", claim) or {}).get("status", {}).get("phase") == "Bound",
                 ns, timeout=60)
    return path


def tree_snapshot(root):
    """Every entry under root: type, mode, owner, and content hash or link target."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for entry in dirnames + filenames:
            p = os.path.join(dirpath, entry)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                detail = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                detail = hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest()
            else:
                detail = ""
            snap[os.path.relpath(p, root)] = (oct(st.st_mode), st.st_uid, st.st_gid, detail)
    return snap

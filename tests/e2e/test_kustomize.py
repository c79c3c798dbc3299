"""`kubectl apply -k` of the plain manifests (deploy/overlays/example) on the real cluster."""

import os
import tomllib

from conftest import REPO, local_home_volume

NS = "coding-agents"  # the overlay's namespace (Pod Security "restricted" enforced)
POD = "coding-agent-0"
CODEX_DIR = "/home/codex/.codex"


def test_apply_k_example_overlay(cluster, tmp_path):
    # The example overlay as it is, with only the image names pointed at the images under test.
    overlay = os.path.relpath(REPO / "deploy" / "overlays" / "example", tmp_path)
    ci_repo, ci_tag = cluster.config_init_image.rsplit(":", 1)
    agent_repo, agent_tag = cluster.agent_image.rsplit(":", 1)
    (tmp_path / "kustomization.yaml").write_text(f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - {overlay}
images:
  - name: registry.example.com/config-init
    newName: {ci_repo}
    newTag: "{ci_tag}"
  - name: registry.example.com/codex
    newName: {agent_repo}
    newTag: "{agent_tag}"
""")
    # The home volume and its claim first (in the overlay's namespace, made here and then
    # labelled by the overlay), so the pod never waits on an unbound claim.
    cluster.kubectl("create", "namespace", NS)
    local_home_volume(cluster, NS, "home-coding-agent-0", size="20Gi")
    cluster.kubectl("apply", "-k", str(tmp_path))
    ns = cluster.get("", "namespace", NS)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"

    pod = cluster.wait_pod_ready(NS, POD)
    (init,) = pod["status"]["initContainerStatuses"]
    assert init["state"]["terminated"]["exitCode"] == 0
    merged = tomllib.loads(cluster.exec(NS, POD, "codex", "cat", f"{CODEX_DIR}/config.toml").stdout)
    expected = tomllib.loads((REPO / "deploy/overlays/example/overlay/config.toml").read_text())
    for key, value in expected.items():
        assert merged[key] == value, key
    assert merged["sandbox_mode"] == "danger-full-access"  # image default kept
    agents_md = cluster.exec(NS, POD, "codex", "cat", f"{CODEX_DIR}/AGENTS.md").stdout
    assert agents_md == (REPO / "deploy/overlays/example/overlay/AGENTS.md").read_text()
    v = cluster.exec(NS, POD, "codex", "/usr/local/bin/config-init", "verify", "--dest", CODEX_DIR,
                     "--log-format", "text", check=False)
    assert v.returncode == 0, v.stderr

    # Deleting it removes the namespace too (the namespace controller finalizes it).
    cluster.kubectl("delete", "-k", str(tmp_path), "--wait=true", "--timeout=150s", timeout=200)
    cluster.wait_gone("", "namespace", NS)

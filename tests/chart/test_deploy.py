"""deploy/: the kustomize base and example overlay build, validate against the
Kubernetes schemas, and describe the same pod as the chart."""

import shutil

import pytest

from chartlib import AGENTS, DEPLOY, K8S_VERSION, RESTRICTED_VOLUME_TYPES, Rendered, render, run

KUSTOMIZATIONS = ["base", "overlays/example", "overlays/sidecar"]


def kustomize(path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl not found on PATH (it builds the kustomizations)")
    proc = run([kubectl, "kustomize", DEPLOY / path])
    assert proc.returncode == 0, proc.stderr
    return Rendered(proc.stdout)


@pytest.mark.parametrize("path", KUSTOMIZATIONS)
def test_kustomization_validates(tools, tmp_path, path):
    built = kustomize(path)
    out = tmp_path / "built.yaml"
    out.write_text(built.text)
    proc = run([tools.kubernetes_validate, "--strict", "-k", K8S_VERSION, out])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("passed") == len(built.docs), proc.stdout


@pytest.mark.parametrize("path", KUSTOMIZATIONS)
def test_kustomization_wires_the_generated_configmap(path):
    built = kustomize(path)
    overlay = built.volume("overlay")["configMap"]["name"]
    if path == "overlays/sidecar":
        # A fixed name: an update changes the mounted volume in place, for watch to merge.
        assert overlay == "coding-agent-overlay"
    else:
        # The generated name carries a content hash (a change rolls the pod) and the
        # StatefulSet refers to exactly that ConfigMap.
        assert overlay.startswith("coding-agent-overlay-")
        assert len(overlay) > len("coding-agent-overlay-")
    configmap = built.one("ConfigMap", overlay)
    assert "config.toml" in configmap["data"]
    assert built.volume("secret")["secret"]["optional"] is True


def test_example_overlay_is_in_a_restricted_namespace():
    built = kustomize("overlays/example")
    ns = built.one("Namespace")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in built.docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == ns["metadata"]["name"], doc["metadata"]
    assert set(built.configmap["data"]) == {"config.toml", "AGENTS.md"}
    assert built.statefulset["spec"]["volumeClaimTemplates"][0]["spec"]["resources"][
        "requests"]["storage"] == "20Gi"


def mounts_by_path(rendered, container):
    """{mountPath: (volume type, readOnly)}: comparable across differently named volumes."""
    kinds = {v["name"]: next(iter(set(v) - {"name"})) for v in rendered.pod["volumes"]}
    for claim in rendered.statefulset["spec"].get("volumeClaimTemplates", []):
        kinds[claim["metadata"]["name"]] = "persistentVolumeClaim"
    return {m["mountPath"]: (kinds[m["name"]], bool(m.get("readOnly")))
            for m in container.get("volumeMounts", [])}


@pytest.mark.parametrize("path,mode", [("base", "init"), ("overlays/sidecar", "sidecar")])
def test_base_is_the_pod_the_chart_renders(tools, tmp_path, path, mode):
    """deploy/base (and the sidecar overlay) must not drift from the chart: the chart
    with the same choices (codex, config-init on in that mode, a Secret layer, a PVC)
    renders the same pod."""
    built = kustomize(path)
    chart = render(tools, tmp_path, {"agent": "codex",
                                     "configInit": {"enabled": True, "mode": mode},
                                     "secret": {"existingSecret": "coding-agent-secret"}})
    assert built.pod["securityContext"] == chart.pod["securityContext"]
    assert ([c["name"] for c in built.init_containers]
            == [c["name"] for c in chart.init_containers] == ["config-init"])
    pairs = [(built.init_containers[0], chart.init_containers[0]),
             (built.container("codex"), chart.container("codex"))]
    for b, c in pairs:
        for field in ("command", "args", "env", "securityContext", "resources",
                      "terminationMessagePolicy", "imagePullPolicy", "restartPolicy",
                      "startupProbe", "readinessProbe", "livenessProbe"):
            assert b.get(field) == c.get(field), (b["name"], field)
        assert mounts_by_path(built, b) == mounts_by_path(chart, c), b["name"]
    assert built.init_containers[0]["args"][-2:] == AGENTS["codex"]["extra_args"]
    assert built.init_containers[0]["args"][0] == ("watch" if mode == "sidecar" else "materialize")
    assert (built.init_containers[0].get("restartPolicy") == "Always") == (mode == "sidecar")
    for v in built.pod["volumes"]:
        assert set(v) - {"name"} <= RESTRICTED_VOLUME_TYPES, v
    assert built.statefulset["spec"]["volumeClaimTemplates"][0]["spec"] == \
        chart.statefulset["spec"]["volumeClaimTemplates"][0]["spec"]

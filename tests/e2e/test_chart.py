"""charts/coding-agent installed, upgraded and uninstalled with Helm on the real cluster.

Every pod here is created the normal way (StatefulSet controller, scheduler, kubelet), its
volumes are real kubelet volumes (ConfigMap, Secret, emptyDir, a `local` PersistentVolume), and
config-init runs as the chart's init container from the `make image` image."""

import json
import re
import tomllib

from conftest import chart_values, helm_apply, local_home_volume, tree_snapshot

RELEASE = "coding-agent"  # the chart's fullname is then "coding-agent"
POD = "coding-agent-0"
CLAIM = "home-coding-agent-0"
CODEX_DIR = "/home/codex/.codex"
CLAUDE_DIR = "/home/claude/.claude"


def cat(cluster, ns, path, container="codex"):
    return cluster.exec(ns, POD, container, "cat", path).stdout


def init_status(pod):
    (status,) = pod["status"]["initContainerStatuses"]
    return status


def uninstall(cluster, ns):
    cluster.helm("uninstall", RELEASE, "-n", ns, "--wait", "--timeout", "120s")
    cluster.wait_gone(ns, "statefulset", RELEASE)
    cluster.wait_gone(ns, "pod", POD)
    assert cluster.get(ns, "configmap", RELEASE) is None


def test_codex_toggle_on(cluster, namespace):
    ns = namespace
    helm_apply(cluster, "install", ns, RELEASE, chart_values(
        cluster, overlay={"settings": {"model": "gpt-5-e2e", "model_reasoning_effort": "high"},
                          "files": {"AGENTS.md": "# e2e\nBe brief.\n"}}))
    pod = cluster.wait_pod_ready(ns, POD)

    # The init container ran to completion, as the pod's user, before the agent started.
    init = init_status(pod)
    assert init["name"] == "config-init"
    assert init["state"]["terminated"]["exitCode"] == 0, init
    assert pod["spec"]["nodeName"] == "e2e-node"  # placed by the scheduler, not by the test

    merged = tomllib.loads(cat(cluster, ns, f"{CODEX_DIR}/config.toml"))
    assert merged["model"] == "gpt-5-e2e"  # overlay wins
    assert merged["model_reasoning_effort"] == "high"  # overlay-only key
    assert merged["sandbox_mode"] == "danger-full-access"  # image default kept
    assert merged["approval_policy"] == "never"
    assert cat(cluster, ns, f"{CODEX_DIR}/AGENTS.md") == "# e2e\nBe brief.\n"
    # Nothing of the kubelet's ConfigMap layout is copied.
    listing = cluster.exec(ns, POD, "codex", "ls", "-A", CODEX_DIR).stdout.split()
    assert not [n for n in listing if n.startswith("..")], listing

    # The manifest verifies, inside the running pod.
    v = cluster.exec(ns, POD, "codex", "/usr/local/bin/config-init", "verify", "--dest", CODEX_DIR,
                     "--log-format", "text", check=False)
    assert v.returncode == 0, v.stderr

    # The agent (uid 1000) can rewrite its files; verify then reports the drift (exit 5).
    assert cluster.exec(ns, POD, "codex", "id", "-u").stdout.strip() == "1000"
    cluster.exec(ns, POD, "codex", "sh", "-c", f"echo 'Be thorough.' >> {CODEX_DIR}/AGENTS.md")
    v = cluster.exec(ns, POD, "codex", "/usr/local/bin/config-init", "verify", "--dest", CODEX_DIR,
                     "--log-format", "text", check=False)
    assert v.returncode == 5, (v.returncode, v.stderr)

    uninstall(cluster, ns)


def test_legacy_toggle_off(cluster, namespace):
    ns = namespace
    helm_apply(cluster, "install", ns, RELEASE, chart_values(
        cluster, configInit={"enabled": False}, overlay={"settings": {"model": "gpt-5-legacy"}}))
    pod = cluster.wait_pod_ready(ns, POD)
    assert not pod["spec"].get("initContainers")
    # The ConfigMap is mounted as a whole volume for the image's own entrypoint, kubelet layout.
    assert tomllib.loads(cat(cluster, ns, "/etc/codex-config/config.toml"))["model"] == "gpt-5-legacy"
    listing = cluster.exec(ns, POD, "codex", "ls", "-A", "/etc/codex-config").stdout.split()
    assert "..data" in listing, listing
    # Nothing was materialised into the config directory.
    r = cluster.exec(ns, POD, "codex", "ls", f"{CODEX_DIR}/config.toml", check=False)
    assert r.returncode != 0
    env = cluster.exec(ns, POD, "codex", "env").stdout.splitlines()
    assert f"CODEX_HOME={CODEX_DIR}" in env
    uninstall(cluster, ns)


def test_claude_code(cluster, namespace):
    ns = namespace
    helm_apply(cluster, "install", ns, RELEASE, chart_values(
        cluster, agent="claude",
        overlay={"settings": {"permissions": {"allow": ["Bash(make test)"]}, "model": "opus"}}))
    pod = cluster.wait_pod_ready(ns, POD)
    assert init_status(pod)["state"]["terminated"]["exitCode"] == 0
    settings = json.loads(cat(cluster, ns, f"{CLAUDE_DIR}/settings.json", container="claude"))
    assert settings["permissions"]["allow"] == ["Bash(make test)"]
    assert settings["permissions"]["defaultMode"] == "bypassPermissions"  # image default kept
    assert settings["env"]["DISABLE_AUTOUPDATER"] == "1"
    assert settings["model"] == "opus"
    env = cluster.exec(ns, POD, "claude", "env").stdout.splitlines()
    assert f"CLAUDE_CONFIG_DIR={CLAUDE_DIR}" in env
    v = cluster.exec(ns, POD, "claude", "/usr/local/bin/config-init", "verify", "--dest", CLAUDE_DIR,
                     "--log-format", "text", check=False)
    assert v.returncode == 0, v.stderr
    uninstall(cluster, ns)


def test_toml_error_stops_in_init_and_keeps_home(cluster, namespace):
    ns = namespace
    home = local_home_volume(cluster, ns, CLAIM)
    values = chart_values(cluster, persistence={"enabled": True, "size": "1Gi"},
                          overlay={"settings": {"model": "gpt-5-e2e"}})
    helm_apply(cluster, "install", ns, RELEASE, values)
    first = cluster.wait_pod_ready(ns, POD)
    cluster.exec(ns, POD, "codex", "sh", "-c", f"echo 'session 1' > {CODEX_DIR}/history.jsonl")
    before = tree_snapshot(home)
    assert ".codex/config.toml" in before and ".codex/history.jsonl" in before  # home = /home/codex

    # An upgrade whose ConfigMap holds broken TOML (line 2 opens a table it never closes).
    broken = chart_values(cluster, persistence={"enabled": True, "size": "1Gi"},
                          overlay={"files": {"config.toml": 'model = "x"\n[tui\nnotifications = true\n'}})
    helm_apply(cluster, "upgrade", ns, RELEASE, broken)

    def failed_init():
        p = cluster.get(ns, "pod", POD)
        if not p or p["metadata"]["uid"] == first["metadata"]["uid"]:
            return None
        for s in p.get("status", {}).get("initContainerStatuses", []):
            term = s.get("state", {}).get("terminated") or s.get("lastState", {}).get("terminated")
            if term and term.get("exitCode") == 3:
                return p, term
        return None

    pod, term = cluster.wait("config-init to exit 3 in the new pod", failed_init, ns)
    assert re.search(r"/etc/config-init/overlay/config\.toml:2:\d+", term.get("message", "")), term
    assert pod["status"]["phase"] == "Pending"
    assert not any(s.get("state", {}).get("running") for s in pod["status"].get("containerStatuses", []))
    row = cluster.kubectl("-n", ns, "get", "pod", POD, "--no-headers").stdout
    assert re.search(r"Init:(Error|CrashLoopBackOff)", row), row
    # The home volume is exactly as the agent left it.
    assert tree_snapshot(home) == before
    uninstall(cluster, ns)


def test_runtime_edit_survives_configmap_change_and_restart(cluster, namespace):
    ns = namespace
    local_home_volume(cluster, ns, CLAIM)
    persistence = {"enabled": True, "size": "1Gi"}
    helm_apply(cluster, "install", ns, RELEASE, chart_values(
        cluster, persistence=persistence, overlay={"settings": {"model": "gpt-5-e2e"}}))
    first = cluster.wait_pod_ready(ns, POD)
    # The agent changes a default key at runtime (as Codex rewrites config.toml).
    cluster.exec(ns, POD, "codex", "sed", "-i", 's/^approval_policy *=.*/approval_policy = "on-request"/',
                 f"{CODEX_DIR}/config.toml")
    assert tomllib.loads(cat(cluster, ns, f"{CODEX_DIR}/config.toml"))["approval_policy"] == "on-request"

    # A new key in the ConfigMap: the pod template's checksum changes, the StatefulSet
    # replaces the pod, and config-init runs again over the same home volume.
    helm_apply(cluster, "upgrade", ns, RELEASE, chart_values(
        cluster, persistence=persistence,
        overlay={"settings": {"model": "gpt-5-e2e", "model_reasoning_effort": "high"}}))
    second = cluster.wait_pod_ready(ns, POD, not_uid=first["metadata"]["uid"])
    assert init_status(second)["state"]["terminated"]["exitCode"] == 0
    merged = tomllib.loads(cat(cluster, ns, f"{CODEX_DIR}/config.toml"))
    assert merged["approval_policy"] == "on-request"  # the agent's edit kept
    assert merged["model_reasoning_effort"] == "high"  # the new key arrived
    assert merged["model"] == "gpt-5-e2e"
    assert merged["sandbox_mode"] == "danger-full-access"
    uninstall(cluster, ns)


def test_secret_layer_seeded_once_never_logged(cluster, namespace):
    ns = namespace
    local_home_volume(cluster, ns, CLAIM)
    token = "sk-e2e-" + namespace[-5:] + "-0123456789abcdef"
    auth = json.dumps({"OPENAI_API_KEY": token}) + "\n"
    values = chart_values(cluster, persistence={"enabled": True, "size": "1Gi"},
                          secret={"files": {"auth.json": auth}},
                          configInit={"extraArgs": ["--policy", "auth.json=seed"]})
    helm_apply(cluster, "install", ns, RELEASE, values)
    first = cluster.wait_pod_ready(ns, POD)
    mode = cluster.exec(ns, POD, "codex", "stat", "-c", "%a %u", f"{CODEX_DIR}/auth.json").stdout.split()
    assert mode == ["600", "1000"]
    assert cat(cluster, ns, f"{CODEX_DIR}/auth.json") == auth

    def no_secret_anywhere():
        logs = cluster.kubectl("-n", ns, "logs", POD, "-c", "config-init").stdout
        assert "auth.json" in logs  # the file is reported ...
        assert token not in logs  # ... its content never
        for kind in ("pod", "statefulset"):
            described = cluster.kubectl("-n", ns, "describe", kind).stdout
            assert token not in described, kind

    no_secret_anywhere()

    # The agent refreshes its credentials; a restart must not put the Secret's copy back.
    refreshed = json.dumps({"OPENAI_API_KEY": "refreshed-by-agent"}) + "\n"
    cluster.exec(ns, POD, "codex", "sh", "-c", f"printf '%s' '{refreshed}' > {CODEX_DIR}/auth.json")
    cluster.kubectl("-n", ns, "delete", "pod", POD, "--wait=true")
    cluster.wait_pod_ready(ns, POD, not_uid=first["metadata"]["uid"])
    assert cat(cluster, ns, f"{CODEX_DIR}/auth.json") == refreshed
    mode = cluster.exec(ns, POD, "codex", "stat", "-c", "%a", f"{CODEX_DIR}/auth.json").stdout.strip()
    assert mode == "600"
    no_secret_anywhere()
    uninstall(cluster, ns)


def test_restricted_namespace_admits_the_pod(cluster, namespace):
    ns = namespace
    cluster.kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted",
                    "pod-security.kubernetes.io/enforce-version=latest")
    # The policy is enforced: a pod without the restricted settings is refused.
    r = cluster.kubectl("-n", ns, "run", "plain", f"--image={cluster.agent_image}",
                        "--image-pull-policy=Never", check=False)
    assert r.returncode != 0 and "violates PodSecurity" in r.stderr, r.stderr
    helm_apply(cluster, "install", ns, RELEASE, chart_values(cluster))
    pod = cluster.wait_pod_ready(ns, POD)
    assert init_status(pod)["state"]["terminated"]["exitCode"] == 0
    assert "model" in tomllib.loads(cat(cluster, ns, f"{CODEX_DIR}/config.toml"))
    uninstall(cluster, ns)

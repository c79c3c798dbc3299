"""charts/coding-agent with `configInit.mode=sidecar` on the real cluster (issues 11 and 17).

config-init runs `watch` as a native sidecar (an init container with `restartPolicy: Always`)
beside the agent. These tests show, with the real kubelet's ConfigMap volume updates:
- the startupProbe holds the agent back until the first run succeeded, and a broken first
  config keeps the agent from ever starting;
- a ConfigMap change reaches the running agent's config directory after the kubelet's `..data`
  swap, keeping the agent's own edit (three-way merge), without restarting the pod;
- a bad ConfigMap leaves the last good config byte for byte, and the sidecar (and so the pod)
  not ready until a good one arrives;
- how long a ConfigMap patch takes to reach the agent's directory (docs/benchmarks.md).

The tests reach the pod only through the apiserver (`kubectl exec`, `kubectl logs`)."""

import datetime
import json
import random
import re
import statistics
import subprocess
import time
import tomllib

from conftest import REPO, chart_values, helm_apply

RELEASE = "coding-agent"
POD = "coding-agent-0"
AGENT = "codex"
SIDECAR = "config-init"
CODEX_DIR = "/home/codex/.codex"
CONFIG = f"{CODEX_DIR}/config.toml"
STATUS = ["/usr/local/bin/config-init", "status", "--dest", CODEX_DIR]
BROKEN_TOML = 'model = "x"\n[tui\nnotifications = true\n'  # line 2 opens a table it never closes


def kubelet_sync_frequency():
    """The e2e kubelet's syncFrequency in seconds (scripts/e2e/etc/kubelet-config.yaml.in)."""
    text = (REPO / "scripts" / "e2e" / "etc" / "kubelet-config.yaml.in").read_text()
    (value,) = re.findall(r"^syncFrequency: (\d+)s$", text, re.M)
    return int(value)


# A ConfigMap update reaches a running pod's volume at the pod's next sync: the kubelet syncs
# each pod again syncFrequency to 1.5 x syncFrequency after the last sync (pod_workers.go,
# a jitter of 0.5). Then watch's debounce (1 s) and one run.
KUBELET_SYNC_S = kubelet_sync_frequency()
UPDATE_TIMEOUT_S = max(30, 6 * KUBELET_SYNC_S)


def sidecar_values(cluster, **overrides):
    values = chart_values(cluster, **overrides)
    values["configInit"] = {**values["configInit"], "mode": "sidecar"}
    return values


def parse_time(stamp):
    """A Kubernetes RFC 3339 time (seconds, or nanoseconds from `kubectl logs --timestamps`)."""
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", stamp.replace("Z", "+00:00"))
    return datetime.datetime.fromisoformat(stamp)


def container_status(pod, name):
    statuses = (pod.get("status", {}).get("initContainerStatuses", [])
                + pod.get("status", {}).get("containerStatuses", []))
    for status in statuses:
        if status["name"] == name:
            return status
    return None


def pod_condition(pod, kind):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == kind:
            return c["status"]
    return None


def cat(cluster, ns, path=CONFIG):
    return cluster.exec(ns, POD, AGENT, "cat", path).stdout


def status(cluster, ns):
    """`config-init status` in the sidecar container: the exec probe's own command."""
    return cluster.exec(ns, POD, SIDECAR, *STATUS, check=False)


def managed_files(cluster, ns):
    """Every file under the config dir with mode, owner and sha256, except watch's status file
    (which records each run, good or bad)."""
    out = cluster.exec(ns, POD, AGENT, "sh", "-c",
                       f"cd {CODEX_DIR} && find . -type f ! -path ./.config-init/status.json "
                       "-exec stat -c '%n %a %u:%g %s' {} + && "
                       "find . -type f ! -path ./.config-init/status.json -exec sha256sum {} +").stdout
    return sorted(out.splitlines())


def sidecar_logs(cluster, ns, previous=False):
    args = ["-n", ns, "logs", POD, "-c", SIDECAR, "--timestamps"]
    if previous:
        args.append("--previous")
    return cluster.kubectl(*args, check=False).stdout


def uninstall(cluster, ns):
    cluster.helm("uninstall", RELEASE, "-n", ns, "--wait", "--timeout", "120s")
    cluster.wait_gone(ns, "pod", POD)


def wait_config(cluster, ns, what, check, timeout=UPDATE_TIMEOUT_S):
    def probe():
        r = cluster.exec(ns, POD, AGENT, "cat", CONFIG, check=False)
        if r.returncode != 0:
            return None
        merged = tomllib.loads(r.stdout)
        return merged if check(merged) else None

    return cluster.wait(what, probe, ns, timeout=timeout, interval=1)


def test_sidecar_gates_agent_start_on_first_run(cluster, namespace):
    ns = namespace
    # A broken ConfigMap at install: watch's first run fails (exit 3) and the sidecar restarts;
    # the agent container is never started.
    helm_apply(cluster, "install", ns, RELEASE, sidecar_values(
        cluster, overlay={"files": {"config.toml": BROKEN_TOML}}))

    def sidecar_failed_and_restarted():
        p = cluster.get(ns, "pod", POD)
        s = p and container_status(p, SIDECAR)
        if not s:
            return None
        term = s.get("lastState", {}).get("terminated") or s.get("state", {}).get("terminated")
        return (p, s, term) if term and s.get("restartCount", 0) >= 1 else None

    pod, side, term = cluster.wait("the sidecar's first run to fail and restart",
                                   sidecar_failed_and_restarted, ns, timeout=90)
    assert term["exitCode"] == 3, term
    assert re.search(r"/etc/config-init/overlay/config\.toml:2:\d+", term.get("message", "")), term
    spec_side = next(c for c in pod["spec"]["initContainers"] if c["name"] == SIDECAR)
    assert spec_side["restartPolicy"] == "Always" and "startupProbe" in spec_side
    assert spec_side["args"][0] == "watch"
    agent = container_status(pod, AGENT)
    assert agent is not None and "running" not in agent["state"], agent
    assert agent["state"].get("waiting", {}).get("reason") == "PodInitializing", agent
    assert agent.get("restartCount", 0) == 0 and not agent.get("lastState"), agent
    assert pod["status"]["phase"] == "Pending"
    assert pod_condition(pod, "Ready") == "False"
    # Still not started a few sidecar restarts later, and the agent never ran.
    time.sleep(5)
    pod = cluster.get(ns, "pod", POD)
    assert "running" not in container_status(pod, AGENT)["state"]
    assert "startedAt" not in json.dumps(container_status(pod, AGENT))
    broken_uid = pod["metadata"]["uid"]

    # A good ConfigMap: the kubelet updates the volume of the same pod, the next sidecar start
    # succeeds, and the startupProbe lets the agent start after that first successful run.
    helm_apply(cluster, "upgrade", ns, RELEASE, sidecar_values(
        cluster, overlay={"settings": {"model": "gpt-5-sidecar"}}))
    pod = cluster.wait_pod_ready(ns, POD, timeout=240)
    assert pod["metadata"]["uid"] == broken_uid  # not recreated: the same pod got going
    side = container_status(pod, SIDECAR)
    agent = container_status(pod, AGENT)
    assert side["restartCount"] >= 1 and side["started"] and side["ready"], side
    assert agent["restartCount"] == 0, agent
    sidecar_started = parse_time(side["state"]["running"]["startedAt"])
    agent_started = parse_time(agent["state"]["running"]["startedAt"])
    # The first successful run, as logged (with the runtime's nanosecond timestamps).
    logs = sidecar_logs(cluster, ns)
    first_line = next(line for line in logs.splitlines() if line.strip())
    first_run = parse_time(first_line.split(" ", 1)[0])
    print(f"\nsidecar started {sidecar_started}, first run logged {first_run}, "
          f"agent started {agent_started}")
    assert sidecar_started <= agent_started
    # startedAt has second resolution: the agent did not start before the second of the run.
    assert agent_started >= first_run.replace(microsecond=0), (first_run, agent_started)
    assert status(cluster, ns).returncode == 0
    assert tomllib.loads(cat(cluster, ns))["model"] == "gpt-5-sidecar"

    # A fresh pod with a good config: the same order, sidecar first, agent after its run.
    cluster.kubectl("-n", ns, "delete", "pod", POD, "--wait=true")
    pod = cluster.wait_pod_ready(ns, POD, not_uid=broken_uid)
    side = container_status(pod, SIDECAR)
    agent = container_status(pod, AGENT)
    assert side["restartCount"] == 0 and agent["restartCount"] == 0
    first_run = parse_time(next(ln for ln in sidecar_logs(cluster, ns).splitlines()
                                if ln.strip()).split(" ", 1)[0])
    assert parse_time(side["state"]["running"]["startedAt"]) <= parse_time(
        agent["state"]["running"]["startedAt"])
    assert parse_time(agent["state"]["running"]["startedAt"]) >= first_run.replace(microsecond=0)
    uninstall(cluster, ns)


def test_sidecar_configmap_change_reaches_running_agent(cluster, namespace):
    ns = namespace
    helm_apply(cluster, "install", ns, RELEASE, sidecar_values(
        cluster, overlay={"settings": {"model": "gpt-5-sidecar"}}))
    pod = cluster.wait_pod_ready(ns, POD)
    uid = pod["metadata"]["uid"]
    assert "checksum/config" not in pod["metadata"].get("annotations", {})
    # The agent changes a default key while it runs (as Codex rewrites config.toml).
    cluster.exec(ns, POD, AGENT, "sed", "-i",
                 's/^approval_policy *=.*/approval_policy = "on-request"/', CONFIG)
    assert tomllib.loads(cat(cluster, ns))["approval_policy"] == "on-request"

    # helm upgrade: a new key and a changed one in the ConfigMap; the pod template is unchanged.
    helm_apply(cluster, "upgrade", ns, RELEASE, sidecar_values(
        cluster, overlay={"settings": {"model": "gpt-5-changed", "model_reasoning_effort": "high"}}))
    merged = wait_config(cluster, ns, "the ConfigMap change in config.toml",
                         lambda m: m.get("model_reasoning_effort") == "high")
    assert merged["model"] == "gpt-5-changed"
    assert merged["approval_policy"] == "on-request"  # the agent's edit kept
    assert merged["sandbox_mode"] == "danger-full-access"  # image default kept

    # The same pod, nothing restarted, and watch reports the kubelet's swap.
    pod = cluster.get(ns, "pod", POD)
    assert pod["metadata"]["uid"] == uid
    assert container_status(pod, AGENT)["restartCount"] == 0
    assert container_status(pod, SIDECAR)["restartCount"] == 0
    logs = sidecar_logs(cluster, ns)
    assert "..data swapped in layer 2" in logs, logs
    assert status(cluster, ns).returncode == 0
    v = cluster.exec(ns, POD, AGENT, "/usr/local/bin/config-init", "verify", "--dest", CODEX_DIR,
                     "--log-format", "text", check=False)
    # verify compares with the manifest of the last run, which took the agent's edit in.
    assert v.returncode == 0, (v.returncode, v.stderr)

    # A `kubectl apply` of a changed ConfigMap reaches the directory the same way.
    cm = cluster.get(ns, "configmap", RELEASE)
    text = cm["data"]["config.toml"]
    assert 'model = "gpt-5-changed"' in text, text
    cm["data"]["config.toml"] = text.replace('"gpt-5-changed"', '"gpt-5-applied"')
    for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
        cm["metadata"].pop(key, None)
    cluster.kubectl("-n", ns, "apply", "--server-side", "--force-conflicts", "-f", "-",
                    input=json.dumps(cm))
    merged = wait_config(cluster, ns, "the applied ConfigMap in config.toml",
                         lambda m: m.get("model") == "gpt-5-applied")
    assert merged["approval_policy"] == "on-request"
    assert merged["model_reasoning_effort"] == "high"
    pod = cluster.get(ns, "pod", POD)
    assert pod["metadata"]["uid"] == uid
    assert container_status(pod, AGENT)["restartCount"] == 0
    uninstall(cluster, ns)


def test_sidecar_bad_configmap_keeps_last_good_and_unready(cluster, namespace):
    ns = namespace
    helm_apply(cluster, "install", ns, RELEASE, sidecar_values(
        cluster, overlay={"settings": {"model": "gpt-5-good"}}))
    pod = cluster.wait_pod_ready(ns, POD)
    uid = pod["metadata"]["uid"]
    good = managed_files(cluster, ns)
    good_text = cat(cluster, ns)
    assert any(line.endswith(" ./config.toml") for line in good), good

    helm_apply(cluster, "upgrade", ns, RELEASE, sidecar_values(
        cluster, overlay={"files": {"config.toml": BROKEN_TOML}}))

    def degraded():
        r = status(cluster, ns)
        return r if r.returncode != 0 else None

    r = cluster.wait("`config-init status` to report degraded", degraded, ns,
                     timeout=UPDATE_TIMEOUT_S, interval=1)
    assert "degraded" in r.stdout, r.stdout
    assert re.search(r"config\.toml:2:\d+", r.stdout), r.stdout

    def unready():
        p = cluster.get(ns, "pod", POD)
        return p if pod_condition(p, "Ready") == "False" else None

    # The readiness probe runs every 10 s.
    pod = cluster.wait("the pod's Ready condition to turn False", unready, ns, timeout=40)
    assert container_status(pod, SIDECAR)["ready"] is False
    assert "running" in container_status(pod, SIDECAR)["state"]  # degraded, not exited
    # The last good config, byte for byte (and mode for mode).
    assert managed_files(cluster, ns) == good
    assert cat(cluster, ns) == good_text
    logs = sidecar_logs(cluster, ns)
    assert re.search(r"config\.toml:2:\d+", logs), logs

    # A good ConfigMap: healthy and ready again, with the new config.
    helm_apply(cluster, "upgrade", ns, RELEASE, sidecar_values(
        cluster, overlay={"settings": {"model": "gpt-5-fixed"}}))
    wait_config(cluster, ns, "the fixed ConfigMap in config.toml",
                lambda m: m.get("model") == "gpt-5-fixed")
    assert status(cluster, ns).returncode == 0
    pod = cluster.wait_pod_ready(ns, POD, timeout=40)
    assert pod["metadata"]["uid"] == uid
    assert container_status(pod, SIDECAR)["restartCount"] == 0
    assert container_status(pod, AGENT)["restartCount"] == 0
    uninstall(cluster, ns)


# The in-container poll: busybox sh, every 50 ms, until the marker is in config.toml; then the
# machine's uptime (CLOCK_BOOTTIME, 10 ms resolution, the same inside and outside the pod).
POLL = ("i=0; until grep -qF \"$1\" " + CONFIG + " 2>/dev/null; do usleep 50000; "
        "i=$((i+1)); [ $i -lt 2400 ] || exit 9; done; cut -d' ' -f1 /proc/uptime")
UPDATES = 8


def test_sidecar_update_delay(cluster, namespace):
    ns = namespace
    helm_apply(cluster, "install", ns, RELEASE, sidecar_values(
        cluster, overlay={"files": {"config.toml": 'model = "bench-0"\n'}}))
    cluster.wait_pod_ready(ns, POD)
    assert 'model = "bench-0"' in cat(cluster, ns)
    delays = []
    for n in range(1, UPDATES + 1):
        marker = f"bench-{n}"
        poller = subprocess.Popen(
            [cluster.kubectl_bin, "-n", ns, "exec", POD, "-c", AGENT, "--", "sh", "-c", POLL,
             "poll", marker], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=cluster.env)
        # The poll is running before the patch. The patch then lands at a random point of the
        # kubelet's sync cycle: right after a change was seen, the next sync is a whole period
        # away, and patching at once would measure the worst case every time.
        time.sleep(1.0 + random.uniform(0, 1.5 * KUBELET_SYNC_S))
        assert poller.poll() is None, poller.communicate()
        patched = time.clock_gettime(time.CLOCK_BOOTTIME)
        cluster.kubectl("-n", ns, "patch", "configmap", RELEASE, "--type", "merge", "-p",
                        json.dumps({"data": {"config.toml": f'model = "{marker}"\n'}}))
        out, err = poller.communicate(timeout=150)
        assert poller.returncode == 0, (poller.returncode, out, err)
        seen = float(out.strip())
        delays.append(seen - patched)
        print(f"update {n}: {delays[-1]:.2f}s")
    pod = cluster.get(ns, "pod", POD)
    assert container_status(pod, AGENT)["restartCount"] == 0
    summary = {"updates": len(delays), "kubelet_sync_frequency_s": KUBELET_SYNC_S,
               "min_s": round(min(delays), 2), "median_s": round(statistics.median(delays), 2),
               "max_s": round(max(delays), 2), "delays_s": [round(d, 2) for d in delays]}
    print("sidecar update delay: " + json.dumps(summary))
    out_dir = REPO / "build" / "e2e"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sidecar-update-delay.json").write_text(json.dumps(summary, indent=1) + "\n")
    # Every update arrived, none later than the longest sync interval (1.5 x syncFrequency)
    # plus the debounce and a margin for a loaded machine.
    assert max(delays) < 1.5 * KUBELET_SYNC_S + 1 + 5, summary
    assert min(delays) > 0, summary
    uninstall(cluster, ns)

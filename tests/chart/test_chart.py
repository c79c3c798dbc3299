"""charts/coding-agent: lint, the rendered pod for each agent and toggle, the
values schema, and offline validation against the Kubernetes schemas."""

import base64
import hashlib
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import yaml

from chartlib import (AGENTS, CHART, K8S_VERSION, RESTRICTED_VOLUME_TYPES, Rendered,
                      helm_template, render, run)

TOGGLES = [True, False]
MODES = ["init", "sidecar"]
# agent x configInit on/off x home volume kind x mode (the mode only matters when on)
MATRIX = [(agent, enabled, persistent, mode)
          for agent in AGENTS for enabled in TOGGLES for persistent in (True, False)
          for mode in (MODES if enabled else ["init"])]
STATUS = ["/usr/local/bin/config-init", "status", "--dest"]


def values_for(agent, enabled, persistent=True, mode="init", **more):
    values = {"agent": agent, "configInit": {"enabled": enabled, "mode": mode},
              "persistence": {"enabled": persistent}}
    values.update(more)
    return values


def effective(pod, container, field):
    """A securityContext field as the kubelet applies it: container wins over pod."""
    sc = container.get("securityContext", {})
    return sc[field] if field in sc else pod.get("securityContext", {}).get(field)


def all_containers(rendered):
    return rendered.init_containers + rendered.pod["containers"]


# ---------------------------------------------------------------- lint

@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("enabled,mode", [(True, "init"), (True, "sidecar"), (False, "init")])
def test_helm_lint_passes(tools, tmp_path, agent, enabled, mode):
    values = tmp_path / "values.yaml"
    values.write_text(yaml.safe_dump(values_for(agent, enabled, mode=mode,
                                                secret={"files": {"auth.json": "{}"}})))
    proc = run([tools.helm, "lint", "--strict", CHART, "-f", values])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def test_helm_lint_fails_on_bad_values(tools):
    proc = run([tools.helm, "lint", CHART, "--set", "agent=gemini"])
    assert proc.returncode != 0
    assert "agent" in proc.stdout + proc.stderr


# ---------------------------------------------------------------- the rendered pod

@pytest.mark.parametrize("agent,enabled,persistent,mode", MATRIX)
def test_every_container_is_restricted(tools, tmp_path, agent, enabled, persistent, mode):
    r = render(tools, tmp_path, values_for(agent, enabled, persistent, mode))
    pod = r.pod
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    containers = all_containers(r)
    assert len(containers) == (2 if enabled else 1)
    for c in containers:
        sc = c["securityContext"]
        assert effective(pod, c, "runAsNonRoot") is True, c["name"]
        assert effective(pod, c, "runAsUser") not in (None, 0), c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"] == {"drop": ["ALL"]}, c["name"]
        assert "add" not in sc["capabilities"], c["name"]
        assert effective(pod, c, "seccompProfile") == {"type": "RuntimeDefault"}, c["name"]
        assert sc.get("privileged") is not True, c["name"]
        assert c["terminationMessagePolicy"] == "FallbackToLogsOnError", c["name"]
        assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"], c["name"]
        for mount in c.get("volumeMounts", []):
            assert "subPath" not in mount and "subPathExpr" not in mount, (c["name"], mount)
    for ic in r.init_containers:
        assert ic["securityContext"]["readOnlyRootFilesystem"] is True
    for v in pod["volumes"]:
        kinds = set(v) - {"name"}
        assert kinds <= RESTRICTED_VOLUME_TYPES, v


@pytest.mark.parametrize("agent", AGENTS)
def test_toggle_on_wires_the_init_container(tools, tmp_path, agent):
    a = AGENTS[agent]
    r = render(tools, tmp_path, values_for(agent, True))
    assert [c["name"] for c in r.init_containers] == ["config-init"]
    init = r.init_containers[0]
    assert init["image"] == "config-init:0.1.0"  # the chart's appVersion
    assert init["command"] == ["/usr/local/bin/config-init"]
    assert init["args"] == ["materialize",
                            "--layer", a["defaults_dir"],
                            "--layer", "/etc/config-init/overlay",
                            "--dest", a["config_dir"],
                            "--log-format", "json"] + a["extra_args"]
    mounts = {m["mountPath"]: m for m in init["volumeMounts"]}
    assert set(mounts) == {a["home"], "/etc/config-init/overlay"}
    assert mounts[a["home"]]["name"] == "home"
    assert not mounts[a["home"]].get("readOnly")
    assert mounts["/etc/config-init/overlay"]["readOnly"] is True
    # The overlay volume is the chart's ConfigMap, mounted whole.
    overlay = r.volume(mounts["/etc/config-init/overlay"]["name"])
    assert overlay["configMap"]["name"] == r.configmap["metadata"]["name"]

    # The agent mounts the same home volume at the same path, its env points at
    # the directory config-init wrote, and it sees neither the ConfigMap nor any
    # config shell logic.
    agent_c = r.container(agent)
    agent_mounts = {m["mountPath"]: m["name"] for m in agent_c["volumeMounts"]}
    assert agent_mounts[a["home"]] == "home"
    assert "overlay" not in agent_mounts.values()
    env = {e["name"]: e.get("value") for e in agent_c["env"]}
    assert env[a["env"]] == a["config_dir"] == init["args"][init["args"].index("--dest") + 1]
    assert env["HOME"] == a["home"]
    assert "command" not in agent_c and "args" not in agent_c


@pytest.mark.parametrize("agent", AGENTS)
def test_toggle_off_is_the_legacy_mount(tools, tmp_path, agent):
    a = AGENTS[agent]
    r = render(tools, tmp_path, values_for(agent, False))
    assert "initContainers" not in r.pod
    agent_c = r.container(agent)
    mounts = {m["mountPath"]: m for m in agent_c["volumeMounts"]}
    assert mounts[a["legacy_dir"]]["name"] == "overlay"
    assert mounts[a["legacy_dir"]]["readOnly"] is True
    assert mounts[a["home"]]["name"] == "home"
    assert r.volume("overlay")["configMap"]["name"] == r.configmap["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in agent_c["env"]}
    assert env[a["env"]] == a["config_dir"]


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("enabled", TOGGLES)
def test_init_container_runs_as_the_agent(tools, tmp_path, agent, enabled):
    """The agent must be able to rewrite its config files (Codex rewrites config.toml):
    config-init writes them with the agent's own uid/gid, and the pod has an fsGroup."""
    values = values_for(agent, enabled,
                        podSecurityContext={"runAsUser": 4242, "runAsGroup": 4343, "fsGroup": 4444})
    r = render(tools, tmp_path, values)
    pod = r.pod
    assert pod["securityContext"]["fsGroup"] == 4444
    agent_c = r.container(agent)
    uid, gid = effective(pod, agent_c, "runAsUser"), effective(pod, agent_c, "runAsGroup")
    assert (uid, gid) == (4242, 4343)
    for ic in r.init_containers:
        assert (effective(pod, ic, "runAsUser"), effective(pod, ic, "runAsGroup")) == (uid, gid)
        # Explicit on the container: the named template does not rely on the pod's.
        assert ic["securityContext"]["runAsUser"] == uid
        assert ic["securityContext"]["runAsGroup"] == gid


@pytest.mark.parametrize("persistent", [True, False])
def test_home_volume_is_a_pvc_or_an_emptydir(tools, tmp_path, persistent):
    r = render(tools, tmp_path, values_for("codex", True, persistent,
                                           persistence={"enabled": persistent, "size": "3Gi",
                                                        "emptyDir": {"sizeLimit": "1Gi"}}))
    claims = r.statefulset["spec"].get("volumeClaimTemplates", [])
    homes = [v for v in r.pod["volumes"] if v["name"] == "home"]
    if persistent:
        assert [c["metadata"]["name"] for c in claims] == ["home"]
        assert claims[0]["spec"]["resources"]["requests"]["storage"] == "3Gi"
        assert homes == []
    else:
        assert claims == []
        assert homes == [{"name": "home", "emptyDir": {"sizeLimit": "1Gi"}}]


def test_secret_layer_from_files(tools, tmp_path):
    auth = '{"OPENAI_API_KEY": "sk-test"}'
    r = render(tools, tmp_path, values_for("codex", True, secret={"files": {"auth.json": auth}}))
    secret = r.one("Secret")
    assert base64.b64decode(secret["data"]["auth.json"]).decode() == auth
    init = r.init_containers[0]
    args = init["args"]
    assert args[args.index("--secret-layer") + 1] == "/etc/config-init/secret"
    # Precedence: the secret layer comes after (above) the overlay layer.
    assert args.index("--secret-layer") > args.index("/etc/config-init/overlay")
    mount = [m for m in init["volumeMounts"] if m["mountPath"] == "/etc/config-init/secret"]
    assert len(mount) == 1 and mount[0]["readOnly"] is True
    volume = r.volume(mount[0]["name"])
    assert volume["secret"]["secretName"] == secret["metadata"]["name"]
    assert volume["secret"]["defaultMode"] == 0o440
    assert "checksum/secret" in r.statefulset["spec"]["template"]["metadata"]["annotations"]
    # The agent container never sees the Secret volume directly.
    assert all(m["name"] != mount[0]["name"] for m in r.container("codex")["volumeMounts"])


def test_secret_layer_from_existing_secret(tools, tmp_path):
    r = render(tools, tmp_path, values_for("claude", True, secret={"existingSecret": "my-creds"}))
    assert r.all("Secret") == []
    assert r.volume("secret")["secret"]["secretName"] == "my-creds"
    assert "--secret-layer" in r.init_containers[0]["args"]


def test_no_secret_layer_by_default(tools, tmp_path):
    r = render(tools, tmp_path, values_for("codex", True))
    assert r.all("Secret") == []
    assert "--secret-layer" not in r.init_containers[0]["args"]
    assert all(v["name"] != "secret" for v in r.pod["volumes"])


def test_legacy_mode_mounts_the_secret_for_the_entrypoint(tools, tmp_path):
    r = render(tools, tmp_path, values_for("codex", False, secret={"files": {"auth.json": "{}"}}))
    mounts = {m["mountPath"]: m for m in r.container("codex")["volumeMounts"]}
    assert mounts["/etc/codex-secret"]["readOnly"] is True


# ---------------------------------------------------------------- the overlay ConfigMap

def test_settings_render_to_toml_for_codex(tools, tmp_path):
    settings = {"model": "o3", "model_context_window": 200000, "temperature": 0.5,
                "mcp_servers": {"docs": {"command": "npx", "args": ["-y", "docs"],
                                         "startup_timeout_sec": 20}},
                "projects": {"/workspace": {"trust_level": "trusted"}}}
    r = render(tools, tmp_path, values_for("codex", True, overlay={"settings": settings}))
    doc = tomllib.loads(r.configmap["data"]["config.toml"])
    assert doc == settings
    # Whole numbers stay integers (Helm reads them as floats; TOML would get 200000.0).
    assert type(doc["model_context_window"]) is int
    assert type(doc["mcp_servers"]["docs"]["startup_timeout_sec"]) is int
    assert type(doc["temperature"]) is float


def test_settings_render_to_json_for_claude(tools, tmp_path):
    settings = {"permissions": {"allow": ["Bash(git diff:*)"]}, "cleanupPeriodDays": 30}
    r = render(tools, tmp_path, values_for("claude", True, overlay={"settings": settings}))
    text = r.configmap["data"]["settings.json"]
    assert json.loads(text) == settings
    assert "30.0" not in text


def test_files_render_verbatim_with_nested_paths(tools, tmp_path):
    toml_text = '# kept as written\nmodel = "o3"  # a comment\n'
    files = {"config.toml": toml_text, "prompts/review.md": "Review this.\n"}
    r = render(tools, tmp_path, values_for("codex", True, overlay={"files": files}))
    data = r.configmap["data"]
    assert data["config.toml"] == toml_text
    # "/" cannot appear in a key: the key is flattened, items put the file back at its path.
    assert data["prompts__review.md"] == "Review this.\n"
    items = r.volume("overlay")["configMap"]["items"]
    assert {i["key"]: i["path"] for i in items} == {
        "config.toml": "config.toml", "prompts__review.md": "prompts/review.md"}


def test_checksum_annotation_follows_the_configmap(tools, tmp_path):
    def checksum(model):
        r = render(tools, tmp_path, values_for("codex", True, overlay={"settings": {"model": model}}))
        return r.statefulset["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    first = checksum("o3")
    assert len(first) == 64
    assert checksum("o3") == first
    assert checksum("o4") != first


def test_labels_and_selector(tools, tmp_path):
    r = render(tools, tmp_path, values_for("codex", True))
    sts = r.statefulset
    selector = sts["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "coding-agent",
                        "app.kubernetes.io/instance": "demo"}
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    service = r.one("Service")
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"] == selector
    assert sts["spec"]["serviceName"] == service["metadata"]["name"]
    for doc in r.docs:
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "coding-agent-0.1.0"


def test_image_overrides(tools, tmp_path):
    digest = "sha256:" + "a" * 64
    r = render(tools, tmp_path, values_for(
        "claude", True,
        image={"repository": "registry.example/claude", "tag": "2.1.0"},
        configInit={"enabled": True, "image": {"repository": "registry.example/config-init",
                                               "digest": digest}}))
    assert r.container("claude")["image"] == "registry.example/claude:2.1.0"
    assert r.init_containers[0]["image"] == f"registry.example/config-init@{digest}"


# ---------------------------------------------------------------- configInit.mode: sidecar

def status_probe(dest):
    return {"exec": {"command": STATUS + [dest]}}


@pytest.mark.parametrize("agent", AGENTS)
def test_sidecar_mode_is_the_init_container_as_a_native_sidecar(tools, tmp_path, agent):
    """The same initContainers entry: restartPolicy Always, `watch` with materialize's
    flags, a startup probe that holds the agent back until the first run succeeded,
    a readiness probe, no liveness probe."""
    a = AGENTS[agent]
    init = render(tools, tmp_path / "init", values_for(agent, True)).init_containers[0]
    r = render(tools, tmp_path / "sidecar", values_for(agent, True, mode="sidecar"))
    assert [c["name"] for c in r.init_containers] == ["config-init"]
    side = r.init_containers[0]
    assert side["restartPolicy"] == "Always"
    assert side["command"] == init["command"] == ["/usr/local/bin/config-init"]
    assert init["args"][0] == "materialize" and side["args"][0] == "watch"
    assert side["args"][1:] == init["args"][1:]  # no --resync/--debounce unless set
    assert side["args"][1:] == ["--layer", a["defaults_dir"], "--layer", "/etc/config-init/overlay",
                                "--dest", a["config_dir"], "--log-format", "json"] + a["extra_args"]

    startup = side["startupProbe"]
    assert {k: startup[k] for k in ("exec",)} == status_probe(a["config_dir"])
    assert startup["periodSeconds"] == 1
    # Generous: a slow first run (a big tree, a slow volume) must not be killed.
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 60
    ready = side["readinessProbe"]
    assert ready["exec"] == status_probe(a["config_dir"])["exec"]
    assert ready["periodSeconds"] == 10
    assert "livenessProbe" not in side
    # The probe checks the directory the agent reads.
    env = {e["name"]: e.get("value") for e in r.container(agent)["env"]}
    assert ready["exec"]["command"][-1] == env[a["env"]]

    # Everything else is the init container's: mounts, securityContext, resources, image.
    for field in ("image", "imagePullPolicy", "securityContext", "resources", "volumeMounts",
                  "terminationMessagePolicy", "name"):
        assert side[field] == init[field], field
    # In init mode: none of the sidecar's fields (probes on a plain init container
    # are rejected by the API server).
    for field in ("restartPolicy", "startupProbe", "readinessProbe", "livenessProbe"):
        assert field not in init, field


def test_sidecar_resources_suit_a_long_running_process(tools, tmp_path):
    """A sidecar's requests are held for the pod's lifetime and add to the agent's:
    they stay small, and memory is bounded by a limit (a leak cannot take the node)."""
    r = render(tools, tmp_path, values_for("codex", True, mode="sidecar"))
    res = r.init_containers[0]["resources"]
    assert res["requests"] == {"cpu": "10m", "memory": "16Mi"}
    assert res["limits"]["memory"] == "256Mi"
    custom = {"requests": {"cpu": "5m", "memory": "24Mi"}, "limits": {"cpu": "200m", "memory": "64Mi"}}
    r = render(tools, tmp_path / "custom", values_for(
        "codex", True, configInit={"enabled": True, "mode": "sidecar", "resources": custom}))
    assert r.init_containers[0]["resources"] == custom


def test_sidecar_resync_and_debounce(tools, tmp_path):
    ci = {"enabled": True, "mode": "sidecar", "resync": "2m", "debounce": "250ms",
          "extraArgs": ["--strict"]}
    args = render(tools, tmp_path, values_for("codex", True, configInit=ci)).init_containers[0]["args"]
    assert args[0] == "watch"
    assert args[args.index("--resync") + 1] == "2m"
    assert args[args.index("--debounce") + 1] == "250ms"
    assert args[-1] == "--strict"  # extraArgs stay last
    # materialize has no such flags: init mode leaves them out.
    ci["mode"] = "init"
    args = render(tools, tmp_path / "init", values_for("codex", True, configInit=ci)).init_containers[0]["args"]
    assert args[0] == "materialize"
    assert "--resync" not in args and "--debounce" not in args


def test_sidecar_mode_does_not_roll_the_pod_on_a_config_change(tools, tmp_path):
    """init mode: the checksum annotations change the pod template, so a changed overlay
    recreates the pod. sidecar mode: the kubelet updates the volume in place and watch
    merges it; a checksum would end the agent's sessions for nothing."""
    def annotations(mode, model, tag):
        values = values_for("codex", True, mode=mode, overlay={"settings": {"model": model}},
                            secret={"files": {"auth.json": "{}"}})
        r = render(tools, tmp_path / f"{mode}-{model}-{tag}", values)
        return r.statefulset["spec"]["template"]["metadata"].get("annotations", {})
    assert {"checksum/config", "checksum/secret"} <= set(annotations("init", "o3", 1))
    assert annotations("sidecar", "o3", 1) == {}
    assert annotations("sidecar", "o3", 1) == annotations("sidecar", "o4", 2)
    # podAnnotations still apply.
    r = render(tools, tmp_path / "pa", values_for("codex", True, mode="sidecar",
                                                   podAnnotations={"team": "agents"}))
    assert r.statefulset["spec"]["template"]["metadata"]["annotations"] == {"team": "agents"}


def test_mode_is_ignored_when_config_init_is_off(tools, tmp_path):
    r = render(tools, tmp_path, values_for("codex", False, mode="sidecar"))
    assert "initContainers" not in r.pod
    assert "checksum/config" in r.statefulset["spec"]["template"]["metadata"]["annotations"]


KUBE_VERSIONS = [("1.28.9", False), ("v1.28.15-eks.1", False), ("1.27.0", False),
                 ("1.29.0", True), ("v1.29.1-gke.1589017", True), ("1.31.0", True)]


@pytest.mark.parametrize("kube,accepted", KUBE_VERSIONS, ids=[k for k, _ in KUBE_VERSIONS])
def test_sidecar_needs_kubernetes_1_29(tools, tmp_path, kube, accepted):
    """Before 1.29 an init container's restartPolicy is unknown (or behind an alpha gate):
    `watch` would never exit and the agent never start. The render fails instead."""
    proc = helm_template(tools, tmp_path, values_for("codex", True, mode="sidecar"),
                         extra=["--kube-version", kube])
    if accepted:
        assert proc.returncode == 0, proc.stderr
        assert Rendered(proc.stdout).init_containers[0]["restartPolicy"] == "Always"
    else:
        assert proc.returncode != 0, f"sidecar mode rendered for Kubernetes {kube}"
        assert "mode sidecar needs Kubernetes 1.29 or later" in proc.stderr, proc.stderr
        assert kube.lstrip("v").split("-")[0] in proc.stderr, proc.stderr
        # init mode works there.
        proc = helm_template(tools, tmp_path, values_for("codex", True),
                             extra=["--kube-version", kube])
        assert proc.returncode == 0, proc.stderr


# (`helm lint` is not tested for it: in lint mode Helm reports every template `fail`,
# this one included, only as an [INFO] line and exits 0.)


# ---------------------------------------------------------------- NOTES.txt

def render_notes(tools, tmp_path, values):
    """`helm template` does not render NOTES.txt and `helm install --dry-run` needs a
    cluster here, so render it through a copy of the chart that wraps it in a manifest."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "_notes-under-test.tpl").write_text(
        '{{- define "notes-under-test" }}' + notes + "{{- end }}")
    (chart / "templates" / "notes-under-test.yaml").write_text(
        'notes: {{ include "notes-under-test" . | quote }}\n')
    (tmp_path / "v.yaml").write_text(yaml.safe_dump(values))
    proc = run([tools.helm, "template", "demo", chart, "-f", tmp_path / "v.yaml",
                "--show-only", "templates/notes-under-test.yaml"])
    assert proc.returncode == 0, proc.stderr
    return yaml.safe_load(proc.stdout)["notes"]


def test_notes_say_which_edits_survive_and_how_to_roll_an_existing_secret(tools, tmp_path):
    values = values_for("codex", True)
    values["persistence"] = {"enabled": False}
    values["secret"] = {"existingSecret": "codex-auth"}
    notes = render_notes(tools, tmp_path / "empty", values)
    assert "survive a restart of its container inside the same pod, but not\na new pod" in notes
    assert "survive the next start" not in notes
    assert "kubectl rollout restart -n default statefulset/demo-coding-agent" in notes
    values["persistence"] = {"enabled": True}
    values["secret"] = {}
    notes = render_notes(tools, tmp_path / "pvc", values)
    assert "survive restarts and rollouts" in notes and "rollout restart" not in notes


def test_an_existing_secret_gets_a_checksum_annotation(tools, tmp_path):
    values = values_for("codex", True)
    values["secret"] = {"existingSecret": "codex-auth"}
    (tmp_path / "v.yaml").write_text(yaml.safe_dump(values))
    proc = run([tools.helm, "template", "demo", CHART, "-f", tmp_path / "v.yaml",
                "--show-only", "templates/statefulset.yaml"])
    assert proc.returncode == 0, proc.stderr
    annotations = yaml.safe_load(proc.stdout)["spec"]["template"]["metadata"]["annotations"]
    # Under `helm template` lookup finds nothing: the hash of "null".
    assert annotations["checksum/secret"] == hashlib.sha256(b"null").hexdigest()


def test_the_chart_app_version_is_the_binary_version():
    """`make image` tags config-init:<CMake project version>; the chart's default tag is
    its appVersion: they must agree."""
    cmake = (Path(__file__).resolve().parents[2] / "CMakeLists.txt").read_text()
    version = re.search(r"project\(config-init VERSION ([0-9.]+)", cmake).group(1)
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == version


def test_notes_describe_the_wiring(tools, tmp_path):
    on = render_notes(tools, tmp_path / "on", values_for("codex", True))
    assert "-c config-init" in on and "/home/codex/.codex" in on and "manifest.json" in on
    assert "rolls the pod" in on and "watch" not in on
    for agent, says in (("codex", "next session"), ("claude", "ConfigChange")):
        side = render_notes(tools, tmp_path / f"side-{agent}", values_for(agent, True, mode="sidecar"))
        assert "native sidecar" in side and says in side, side
        assert f"config-init status --dest {AGENTS[agent]['config_dir']}" in side, side
        assert "-f -n" in side and "rolls the pod" not in side, side
    off = render_notes(tools, tmp_path / "off", values_for("claude", False))
    assert "legacy" in off and "/etc/claude-config" in off and "-c config-init" not in off


# ---------------------------------------------------------------- values the chart rejects

SCHEMA_REJECTS = [
    ({"agent": "gemini"}, "/agent"),
    ({"configInit": {"enabled": "yes"}}, "/configInit/enabled"),
    ({"configInit": {"enabled": True, "logFormat": "xml"}}, "/configInit/logFormat"),
    ({"podSecurityContext": {"runAsUser": 0, "runAsGroup": 0, "fsGroup": 0}},
     "/podSecurityContext/runAsUser"),
    ({"podSecurityContext": {"runAsUser": "1000", "runAsGroup": 1000, "fsGroup": 1000}},
     "/podSecurityContext/runAsUser"),
    ({"configinit": {"enabled": False}}, "configinit"),           # a typo is not ignored
    # (a bad file name is reported by name: the schema library places it at '')
    ({"overlay": {"files": {"../escape.toml": "x"}}}, "invalid propertyName '../escape.toml'"),
    ({"overlay": {"files": {"..data": "x"}}}, "invalid propertyName '..data'"),
    ({"secret": {"files": {"a//b": "x"}}}, "invalid propertyName 'a//b'"),
    ({"overlay": {"files": {"config.toml": 3}}}, "/overlay/files"),
    ({"persistence": {"enabled": True, "size": "lots"}}, "/persistence/size"),
    ({"image": {"tag": 1.2}}, "/image/tag"),                       # an unquoted tag
    ({"image": {"digest": "sha256:xyz"}}, "/image/digest"),
    ({"secret": {"existingSecret": "Bad_Name"}}, "/secret/existingSecret"),
    ({"resources": {"limits": {"memory": "2 gigs"}}}, "/resources/limits/memory"),
    ({"configInit": {"enabled": True, "mode": "daemon"}}, "/configInit/mode"),
    ({"configInit": {"enabled": True, "mode": "Sidecar"}}, "/configInit/mode"),
    ({"configInit": {"enabled": True, "mode": "sidecar", "resync": "60"}}, "/configInit/resync"),
    ({"configInit": {"enabled": True, "mode": "sidecar", "debounce": "1h"}}, "/configInit/debounce"),
    ({"configInit": {"enabled": True, "mode": "sidecar", "resync": 60}}, "/configInit/resync"),
]


@pytest.mark.parametrize("values,where", SCHEMA_REJECTS,
                         ids=[w for _, w in SCHEMA_REJECTS])
def test_schema_rejects_bad_values(tools, tmp_path, values, where):
    proc = helm_template(tools, tmp_path, values)
    assert proc.returncode != 0, f"accepted {values}"
    assert "don't meet the specifications of the schema" in proc.stderr, proc.stderr
    assert where in proc.stderr, proc.stderr


TEMPLATE_REJECTS = [
    ({"overlay": {"settings": {"model": "o3"}, "files": {"config.toml": "model = 'o4'"}}},
     "overlay.settings and overlay.files"),
    ({"secret": {"existingSecret": "creds", "files": {"auth.json": "{}"}}},
     "secret.existingSecret and secret.files are exclusive"),
    ({"agents": {"codex": {"configDir": "/etc/codex"}}}, "must lie inside"),
    ({"overlay": {"files": {"a/b": "1", "a__b": "2"}}}, "map to the same key"),
]


@pytest.mark.parametrize("values,message", TEMPLATE_REJECTS,
                         ids=[m for _, m in TEMPLATE_REJECTS])
def test_templates_reject_inconsistent_values(tools, tmp_path, values, message):
    if "agents" in values:  # a partial profile must still satisfy the schema
        full = yaml.safe_load((CHART / "values.yaml").read_text())["agents"]
        full["codex"].update(values["agents"]["codex"])
        values = {"agents": full}
    proc = helm_template(tools, tmp_path, values)
    assert proc.returncode != 0, f"accepted {values}"
    assert message in proc.stderr, proc.stderr


# ---------------------------------------------------------------- Kubernetes schemas

def validate(tools, path):
    return run([tools.kubernetes_validate, "--strict", "-k", K8S_VERSION, path])


@pytest.mark.parametrize("agent,enabled,persistent,mode", MATRIX)
@pytest.mark.parametrize("with_secret", [False, True])
def test_rendered_manifests_validate(tools, tmp_path, agent, enabled, persistent, mode,
                                     with_secret):
    values = values_for(agent, enabled, persistent, mode,
                        overlay={"settings": {"model": "o3"}, "files": {"notes/a.md": "x"}})
    if with_secret:
        values["secret"] = {"files": {"auth.json": "{}"}}
    r = render(tools, tmp_path, values)
    out = tmp_path / "rendered.yaml"
    out.write_text(r.text)
    proc = validate(tools, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kinds = {d["kind"] for d in r.docs}
    assert {"StatefulSet", "ConfigMap", "Service", "ServiceAccount"} <= kinds
    # One "passed" line per document: nothing was skipped.
    assert proc.stdout.count("passed") == len(r.docs), proc.stdout


def test_validation_catches_a_broken_manifest(tools, tmp_path):
    """The validator is not a rubber stamp: a wrong type and an unknown field fail."""
    r = render(tools, tmp_path, values_for("codex", True))
    for breakage in ("type", "field"):
        sts = r.statefulset
        broken = json.loads(json.dumps(sts))
        if breakage == "type":
            broken["spec"]["template"]["spec"]["initContainers"][0]["securityContext"]["runAsUser"] = "root"
        else:
            broken["spec"]["template"]["spec"]["initContainers"][0]["volumeMount"] = []
        out = tmp_path / f"broken-{breakage}.yaml"
        out.write_text(yaml.safe_dump(broken))
        proc = validate(tools, out)
        assert proc.returncode != 0, f"{breakage}: {proc.stdout}"


@pytest.mark.parametrize("agent", AGENTS)
def test_sidecar_validates_from_kubernetes_1_29(tools, tmp_path, agent):
    """The sidecar rendering passes the schemas of the oldest version it is rendered for
    (1.29), and the validator does check the field: 1.27's Container has no restartPolicy."""
    r = render(tools, tmp_path, values_for(agent, True, mode="sidecar",
                                           secret={"files": {"auth.json": "{}"}}),
               extra=["--kube-version", "1.29.0"])
    out = tmp_path / "sidecar.yaml"
    out.write_text(r.text)
    proc = run([tools.kubernetes_validate, "--strict", "-k", "1.29.0", out])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("passed") == len(r.docs), proc.stdout
    old = run([tools.kubernetes_validate, "--strict", "-k", "1.27.0", out])
    assert old.returncode != 0, old.stdout
    assert "restartPolicy" in old.stdout + old.stderr, old.stdout + old.stderr


# ---------------------------------------------------------------- the named template elsewhere

OTHER_CHART_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: other
spec:
  selector:
    matchLabels: {app: other}
  template:
    metadata:
      labels: {app: other}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile: {type: RuntimeDefault}
      initContainers:
        {{- include "config-init.initContainer" (dict
              "image" "registry.example.com/config-init:0.1.0"
              "agent" "codex"
              "dest" "/home/codex/.codex"
              "destVolume" "home"
              "destMountPath" "/home/codex"
              "overlayVolume" "codex-config"
              "secretVolume" "codex-auth"
              "runAsUser" 1000
              "runAsGroup" 1000
              "extraArgs" (list "--strict")) | nindent 8 }}
      containers:
        - name: codex
          image: registry.example.com/codex:0.171.0
          env:
            - {name: CODEX_HOME, value: /home/codex/.codex}
          securityContext:
            {{- include "config-init.securityContext" (dict "runAsUser" 1000 "runAsGroup" 1000 "readOnlyRootFilesystem" false) | nindent 12 }}
          volumeMounts:
            - {name: home, mountPath: /home/codex}
      volumes:
        - {name: home, emptyDir: {}}
        - {name: codex-config, configMap: {name: my-codex-config}}
        - {name: codex-auth, secret: {secretName: my-codex-auth, defaultMode: 288}}
"""


def other_chart(tmp_path, deployment=OTHER_CHART_DEPLOYMENT):
    """A chart of someone else's that copied _config-init.tpl, as the README says."""
    chart = tmp_path / "other"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: other\nversion: 1.0.0\n")
    shutil.copy(CHART / "templates" / "_config-init.tpl", chart / "templates")
    (chart / "templates" / "deployment.yaml").write_text(deployment)
    return chart


def test_named_template_in_another_chart(tools, tmp_path):
    chart = other_chart(tmp_path)
    proc = run([tools.helm, "template", "x", chart])
    assert proc.returncode == 0, proc.stderr
    r = Rendered(proc.stdout)
    pod = r.one("Deployment")["spec"]["template"]["spec"]
    [init] = pod["initContainers"]
    assert init["name"] == "config-init"
    assert init["image"] == "registry.example.com/config-init:0.1.0"
    assert init["args"] == ["materialize", "--layer", "/etc/codex-defaults",
                            "--layer", "/etc/config-init/overlay",
                            "--secret-layer", "/etc/config-init/secret",
                            "--dest", "/home/codex/.codex", "--log-format", "json", "--strict"]
    assert init["volumeMounts"] == [
        {"name": "home", "mountPath": "/home/codex"},
        {"name": "codex-config", "mountPath": "/etc/config-init/overlay", "readOnly": True},
        {"name": "codex-auth", "mountPath": "/etc/config-init/secret", "readOnly": True},
    ]
    sc = init["securityContext"]
    assert (sc["runAsUser"], sc["runAsGroup"], sc["readOnlyRootFilesystem"]) == (1000, 1000, True)
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["allowPrivilegeEscalation"] is False
    assert init["terminationMessagePolicy"] == "FallbackToLogsOnError"
    out = tmp_path / "other.yaml"
    out.write_text(proc.stdout)
    proc = validate(tools, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("missing", ["image", "dest", "destVolume", "runAsUser"])
def test_named_template_names_a_missing_key(tools, tmp_path, missing):
    deployment = "\n".join(line for line in OTHER_CHART_DEPLOYMENT.splitlines()
                           if not line.strip().startswith(f'"{missing}" '))
    proc = run([tools.helm, "template", "x", other_chart(tmp_path, deployment)])
    assert proc.returncode != 0
    assert missing in proc.stderr and "config-init.initContainer" in proc.stderr, proc.stderr


def test_named_template_rejects_dest_outside_its_volume(tools, tmp_path):
    deployment = OTHER_CHART_DEPLOYMENT.replace('"dest" "/home/codex/.codex"', '"dest" "/etc/codex"')
    proc = run([tools.helm, "template", "x", other_chart(tmp_path, deployment)])
    assert proc.returncode != 0
    assert "is not inside destMountPath" in proc.stderr, proc.stderr


SIDECAR_INCLUDE = '''"runAsGroup" 1000
              "mode" "sidecar"
              "kubeVersion" .Capabilities.KubeVersion.Version
              "resync" "30s"
              "debounce" "500ms"
              "startupFailureThreshold" 300'''


def test_named_template_sidecar_in_another_chart(tools, tmp_path):
    deployment = OTHER_CHART_DEPLOYMENT.replace('"runAsGroup" 1000', SIDECAR_INCLUDE, 1)
    assert deployment != OTHER_CHART_DEPLOYMENT
    proc = run([tools.helm, "template", "x", other_chart(tmp_path, deployment)])
    assert proc.returncode == 0, proc.stderr
    [init] = Rendered(proc.stdout).one("Deployment")["spec"]["template"]["spec"]["initContainers"]
    assert init["restartPolicy"] == "Always"
    assert init["args"] == ["watch", "--layer", "/etc/codex-defaults",
                            "--layer", "/etc/config-init/overlay",
                            "--secret-layer", "/etc/config-init/secret",
                            "--dest", "/home/codex/.codex", "--log-format", "json",
                            "--resync", "30s", "--debounce", "500ms", "--strict"]
    assert init["startupProbe"]["exec"]["command"] == STATUS + ["/home/codex/.codex"]
    assert init["startupProbe"]["failureThreshold"] == 300
    assert init["readinessProbe"]["exec"]["command"] == STATUS + ["/home/codex/.codex"]
    assert "livenessProbe" not in init
    out = tmp_path / "other.yaml"
    out.write_text(proc.stdout)
    proc = validate(tools, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("change,message", [
    ('"kubeVersion" .Capabilities.KubeVersion.Version', "kubeVersion is required for mode sidecar"),
    ('"mode" "sidecar"', "mode must be"),
], ids=["no-kubeVersion", "bad-mode"])
def test_named_template_rejects_a_bad_sidecar_call(tools, tmp_path, change, message):
    include = SIDECAR_INCLUDE.replace(change, "" if "kubeVersion" in change else '"mode" "daemon"')
    deployment = OTHER_CHART_DEPLOYMENT.replace('"runAsGroup" 1000', include, 1)
    proc = run([tools.helm, "template", "x", other_chart(tmp_path, deployment)])
    assert proc.returncode != 0, proc.stdout
    assert message in proc.stderr and "config-init.initContainer" in proc.stderr, proc.stderr


def test_named_template_old_kubernetes_fails_in_another_chart(tools, tmp_path):
    deployment = OTHER_CHART_DEPLOYMENT.replace('"runAsGroup" 1000', SIDECAR_INCLUDE, 1)
    proc = run([tools.helm, "template", "x", other_chart(tmp_path, deployment),
                "--kube-version", "1.28.3"])
    assert proc.returncode != 0, proc.stdout
    assert "mode sidecar needs Kubernetes 1.29 or later" in proc.stderr, proc.stderr
    assert "v1.28.3" in proc.stderr, proc.stderr

"""charts/coding-agent: configInit.schemas (JSON Schemas as config-init's --schema flags)
and policy (enforced agent policy materialised by an init container of its own into an
emptyDir, mounted read-only at the agent's managed directory)."""

import hashlib
import json
import stat
import tomllib
from pathlib import Path

import pytest

from chartlib import AGENTS, K8S_VERSION, helm_template, mount_files, render, run
from chartlib import unmount_kubelet_tmpfs  # noqa: F401  (autouse: tmpfs volume mounts)
from test_chart_binary import Pod, binary, world  # noqa: F401  (fixtures)

MODES = ["init", "sidecar"]
SCHEMA_DIR = "/etc/config-init/schemas"
POLICY_DEST = "/etc/config-init/policy"
POLICY_SOURCE = "/etc/config-init/overlay"
MANAGED_DIR = {"codex": "/etc/codex", "claude": "/etc/claude-code"}

# What an operator would enforce, per agent: the files each agent reads in its managed dir.
POLICY = {
    "codex": {
        "requirements.toml": 'allowed_approval_policies = ["on-request", "untrusted"]\n'
                             'allowed_sandbox_modes = ["read-only", "workspace-write"]\n',
        "config.toml": 'model = "o3"\n',
    },
    "claude": {
        "managed-settings.json": '{"permissions": {"deny": ["Bash(curl:*)"]}}\n',
        "managed-settings.d/10-team.json": '{"env": {"DISABLE_TELEMETRY": "1"}}\n',
    },
}


def values(agent="codex", mode="init", **more):
    v = {"agent": agent, "configInit": {"enabled": True, "mode": mode}}
    for key, value in more.items():
        if key == "configInit":
            v["configInit"].update(value)
        else:
            v[key] = value
    return v


def schemas_values(files, config_map="agent-schemas"):
    return {"schemas": {"configMap": config_map, "files": files}}


def args_after_log_format(container):
    """The arguments the chart adds after --log-format json (schemas, then the agent's)."""
    args = container["args"]
    return args[args.index("--log-format") + 2:]


def init_by_name(r):
    return {c["name"]: c for c in r.init_containers}


def mounts(container):
    return {m["mountPath"]: m for m in container.get("volumeMounts", [])}


# ---------------------------------------------------------------- configInit.schemas

@pytest.mark.parametrize("agent", AGENTS)
def test_no_schema_flags_by_default(tools, tmp_path, agent):
    r = render(tools, tmp_path, values(agent))
    init = init_by_name(r)["config-init"]
    assert "--schema" not in init["args"] and "--schema-mode" not in init["args"]
    assert SCHEMA_DIR not in mounts(init)
    assert all(v["name"] != "schemas" for v in r.pod["volumes"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("agent", AGENTS)
def test_schemas_become_flags_and_a_read_only_mount(tools, tmp_path, agent, mode):
    files = [
        {"glob": "config.toml", "key": "codex-config.json"},
        {"glob": "settings.json", "path": "/usr/share/config-init/schemas/claude.json",
         "mode": "warn"},
        {"glob": "profiles/*.toml", "key": "profile.json", "mode": "enforce"},
    ]
    r = render(tools, tmp_path, values(agent, mode, configInit=schemas_values(files)))
    init = init_by_name(r)["config-init"]
    assert args_after_log_format(init) == [
        "--schema", f"config.toml={SCHEMA_DIR}/codex-config.json",
        "--schema", "settings.json=/usr/share/config-init/schemas/claude.json",
        "--schema-mode", "settings.json=warn",
        "--schema", f"profiles/*.toml={SCHEMA_DIR}/profile.json",
    ] + AGENTS[agent]["extra_args"]
    # watch takes the same flags as materialize.
    assert init["args"][0] == ("watch" if mode == "sidecar" else "materialize")
    mount = mounts(init)[SCHEMA_DIR]
    assert mount["readOnly"] is True and "subPath" not in mount
    assert r.volume(mount["name"]) == {"name": mount["name"],
                                       "configMap": {"name": "agent-schemas"}}
    # The agent never sees the schemas.
    assert all(m["name"] != mount["name"] for m in r.container(agent)["volumeMounts"])


def test_schemas_baked_into_the_image_need_no_configmap(tools, tmp_path):
    files = [{"glob": "config.toml", "path": "/usr/share/config-init/schemas/codex-config.json"}]
    r = render(tools, tmp_path, values(configInit={"schemas": {"files": files}}))
    init = init_by_name(r)["config-init"]
    assert args_after_log_format(init)[:2] == [
        "--schema", "config.toml=/usr/share/config-init/schemas/codex-config.json"]
    assert SCHEMA_DIR not in mounts(init)
    assert all(v["name"] != "schemas" for v in r.pod["volumes"])


SCHEMA_REJECTS = [
    ({"schemas": {"files": [{"glob": "config.toml"}]}}, "/configInit/schemas/files/0"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "config.toml", "key": "a.json",
                                               "path": "/a.json"}]}},
     "/configInit/schemas/files/0"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "config.toml", "key": "a.json",
                                               "mode": "strict"}]}},
     "/configInit/schemas/files/0/mode"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "a=b", "key": "a.json"}]}},
     "/configInit/schemas/files/0/glob"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "/etc/x.toml", "key": "a.json"}]}},
     "/configInit/schemas/files/0/glob"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "x", "key": "../a.json"}]}},
     "/configInit/schemas/files/0/key"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "x", "path": "relative.json"}]}},
     "/configInit/schemas/files/0/path"),
    ({"schemas": {"configMap": "Not_A_Name", "files": []}}, "/configInit/schemas/configMap"),
    ({"schemas": {"configMap": "s", "files": [{"glob": "x", "key": "a", "url": "http://x"}]}},
     "/configInit/schemas/files/0"),
    ({"schemas": {"configMaps": "s"}}, "/configInit/schemas"),
]


@pytest.mark.parametrize("config_init,where", SCHEMA_REJECTS,
                         ids=[f"{i}:{w}" for i, (_, w) in enumerate(SCHEMA_REJECTS)])
def test_values_schema_refuses_bad_schemas(tools, tmp_path, config_init, where):
    proc = helm_template(tools, tmp_path, values(configInit=config_init))
    assert proc.returncode != 0, f"accepted {config_init}"
    assert "don't meet the specifications of the schema" in proc.stderr, proc.stderr
    assert where in proc.stderr, proc.stderr


# ---------------------------------------------------------------- policy

@pytest.mark.parametrize("agent", AGENTS)
def test_no_policy_by_default(tools, tmp_path, agent):
    r = render(tools, tmp_path, values(agent))
    assert [c["name"] for c in r.init_containers] == ["config-init"]
    assert all(v["name"] not in ("policy", "policy-source") for v in r.pod["volumes"])
    assert MANAGED_DIR[agent] not in mounts(r.container(agent))
    assert [d["metadata"]["name"] for d in r.all("ConfigMap")] == ["demo-coding-agent"]
    assert "checksum/policy" not in r.statefulset["spec"]["template"]["metadata"].get(
        "annotations", {})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("agent", AGENTS)
def test_policy_is_materialised_first_and_mounted_read_only(tools, tmp_path, agent, mode):
    files = POLICY[agent]
    r = render(tools, tmp_path, values(agent, mode, policy={agent: {"files": files}}))

    # Its own ConfigMap, every file as given (nested paths through items).
    cm = r.one("ConfigMap", "demo-coding-agent-policy")
    got, _ = mount_files(r, "policy-source")
    assert got == {path: text.encode() for path, text in files.items()}
    assert r.volume("policy-source")["configMap"]["name"] == cm["metadata"]["name"]
    # The overlay ConfigMap does not carry the policy.
    overlay, _ = mount_files(r, "overlay")
    assert not set(overlay) & set(files)

    # A plain init container, before the config container, in both modes.
    names = [c["name"] for c in r.init_containers]
    assert names == ["config-init-policy", "config-init"]
    policy = r.init_containers[0]
    assert "restartPolicy" not in policy, "the policy container must run once, not as a sidecar"
    assert "startupProbe" not in policy and "readinessProbe" not in policy
    assert policy["image"] == init_by_name(r)["config-init"]["image"]
    assert policy["command"] == ["/usr/local/bin/config-init"]
    require = [a for path in sorted(files) for a in ("--require", path)]
    assert policy["args"] == ["materialize", "--layer", POLICY_SOURCE, "--dest", POLICY_DEST,
                              "--log-format", "json"] + require
    m = mounts(policy)
    assert set(m) == {POLICY_DEST, POLICY_SOURCE}
    assert m[POLICY_DEST]["name"] == "policy" and not m[POLICY_DEST].get("readOnly")
    assert m[POLICY_SOURCE]["name"] == "policy-source" and m[POLICY_SOURCE]["readOnly"] is True
    assert policy["securityContext"]["readOnlyRootFilesystem"] is True
    assert policy["securityContext"]["runAsUser"] == r.pod["securityContext"]["runAsUser"]

    # The policy emptyDir: written by the policy container only, read-only for the agent.
    assert "emptyDir" in r.volume("policy")
    agent_mount = mounts(r.container(agent))[MANAGED_DIR[agent]]
    assert agent_mount["name"] == "policy" and agent_mount["readOnly"] is True
    assert "subPath" not in agent_mount
    writers = [c["name"] for c in r.init_containers + r.pod["containers"]
               for mm in c.get("volumeMounts", []) if mm["name"] == "policy"
               and not mm.get("readOnly")]
    assert writers == ["config-init-policy"]
    # The config container neither reads nor writes it.
    assert all(mm["name"] not in ("policy", "policy-source")
               for mm in init_by_name(r)["config-init"]["volumeMounts"])

    # A policy change rolls the pod, in sidecar mode too.
    annotations = r.statefulset["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/policy" in annotations
    assert ("checksum/config" in annotations) == (mode == "init")


def test_policy_checksum_follows_the_policy(tools, tmp_path):
    def checksum(text, sub):
        r = render(tools, tmp_path / sub,
                   values(mode="sidecar", policy={"codex": {"files": {"requirements.toml": text}}}))
        return r.statefulset["spec"]["template"]["metadata"]["annotations"]["checksum/policy"]
    a = checksum('allowed_approval_policies = ["on-request"]\n', "a")
    b = checksum('allowed_approval_policies = ["untrusted"]\n', "b")
    assert a != b and a == checksum('allowed_approval_policies = ["on-request"]\n', "c")


def test_only_the_selected_agents_policy_is_used(tools, tmp_path):
    r = render(tools, tmp_path, values("codex", policy={"claude": {"files": POLICY["claude"]}}))
    assert [c["name"] for c in r.init_containers] == ["config-init"]
    assert "/etc/claude-code" not in mounts(r.container("codex"))


def test_managed_dir_follows_the_agent_profile(tools, tmp_path):
    r = render(tools, tmp_path, values("codex", policy={"codex": {"files": POLICY["codex"]}},
                                       agents={"codex": {"managedDir": "/opt/codex-policy"}}))
    assert mounts(r.container("codex"))["/opt/codex-policy"]["readOnly"] is True


POLICY_REJECTS = [
    ({"policy": {"gemini": {"files": {}}}}, "/policy"),
    ({"policy": {"codex": {"settings": {"a": 1}}}}, "/policy/codex"),
    ({"policy": {"codex": {"files": {"../etc/passwd": "x"}}}}, "invalid propertyName '../etc/passwd'"),
    ({"policy": {"claude": {"files": {"/etc/claude-code/x.json": "{}"}}}},
     "invalid propertyName '/etc/claude-code/x.json'"),
    ({"policy": {"codex": {"files": {"requirements.toml": 3}}}}, "/policy/codex/files"),
    ({"agents": {"codex": {"managedDir": "etc/codex"}}}, "/agents/codex/managedDir"),
    ({"agents": {"codex": {"managedDir": "/"}}}, "/agents/codex/managedDir"),
]


@pytest.mark.parametrize("more,where", POLICY_REJECTS,
                         ids=[f"{i}:{w}" for i, (_, w) in enumerate(POLICY_REJECTS)])
def test_values_schema_refuses_bad_policy(tools, tmp_path, more, where):
    v = values()
    if "agents" in more:  # a full profile with one bad field
        import yaml
        from chartlib import CHART
        full = yaml.safe_load((CHART / "values.yaml").read_text())["agents"]
        full["codex"].update(more["agents"]["codex"])
        more = {"agents": full}
    v.update(more)
    proc = helm_template(tools, tmp_path, v)
    assert proc.returncode != 0, f"accepted {more}"
    assert "don't meet the specifications of the schema" in proc.stderr, proc.stderr
    assert where in proc.stderr, proc.stderr


TEMPLATE_REJECTS = [
    ({"configInit": {"enabled": False}, "policy": {"codex": {"files": POLICY["codex"]}}},
     "policy.codex needs configInit.enabled=true"),
    ({"configInit": {"enabled": False,
                     "schemas": {"files": [{"glob": "config.toml", "path": "/s.json"}]}}},
     "configInit.schemas needs configInit.enabled=true"),
    ({"configInit": {"enabled": True,
                     "schemas": {"files": [{"glob": "config.toml", "key": "s.json"}]}}},
     "set configInit.schemas.configMap"),
    ({"policy": {"codex": {"files": {"a/b": "1", "a__b": "2"}}}}, "map to the same key"),
]


@pytest.mark.parametrize("more,message", TEMPLATE_REJECTS,
                         ids=[m for _, m in TEMPLATE_REJECTS])
def test_templates_refuse_inconsistent_values(tools, tmp_path, more, message):
    v = {"agent": "codex", **more}
    proc = helm_template(tools, tmp_path, v)
    assert proc.returncode != 0, f"accepted {more}"
    assert message in proc.stderr, proc.stderr


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("agent", AGENTS)
def test_rendered_policy_and_schemas_validate(tools, tmp_path, agent, mode):
    files = [{"glob": "config.toml", "key": "codex-config.json", "mode": "warn"}]
    r = render(tools, tmp_path, values(agent, mode, configInit=schemas_values(files),
                                       policy={agent: {"files": POLICY[agent]}}),
               extra=["--kube-version", K8S_VERSION])
    out = tmp_path / "rendered.yaml"
    out.write_text(r.text)
    proc = run([tools.kubernetes_validate, "--strict", "-k", K8S_VERSION, out])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("passed") == len(r.docs), proc.stdout


def test_helm_lint_with_policy_and_schemas(tools, tmp_path):
    import yaml
    from chartlib import CHART
    f = tmp_path / "values.yaml"
    f.write_text(yaml.safe_dump(values(
        "claude", "sidecar",
        configInit=schemas_values([{"glob": "settings.json", "key": "claude.json", "mode": "warn"}]),
        policy={"claude": {"files": POLICY["claude"]}})))
    proc = run([tools.helm, "lint", "--strict", CHART, "-f", f])
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- the policy container, run

@pytest.mark.parametrize("agent", AGENTS)
def test_rendered_policy_container_writes_the_policy(tools, tmp_path, binary, world, agent):
    """The policy init container's rendered command, run through build/config-init with
    the policy ConfigMap laid out as the kubelet mounts it: the emptyDir then holds every
    policy file, byte for byte, as a regular file at its path."""
    files = POLICY[agent]
    r = render(tools, tmp_path, values(agent, policy={agent: {"files": files}}))
    pod = Pod(r, agent, world, container="config-init-policy")
    proc = pod.run_init()
    assert proc.returncode == 0, f"config-init exited {proc.returncode}:\n{proc.stderr}"
    dest = pod.dest
    assert dest == pod.volumes["policy"]
    written = {str(p.relative_to(dest)): p for p in dest.rglob("*")
               if not p.relative_to(dest).parts[0] == ".config-init"}
    regular = {path: p for path, p in written.items() if stat.S_ISREG(p.lstat().st_mode)}
    assert set(regular) == set(files)
    for path, text in files.items():
        assert regular[path].read_text() == text, path
    assert not any(part.startswith("..") for path in written for part in Path(path).parts)
    # Parsed as the agent would: the TOML and JSON are intact.
    for path, p in regular.items():
        if path.endswith(".toml"):
            tomllib.loads(p.read_text())
        else:
            json.loads(p.read_text())


def test_rendered_policy_container_refuses_a_broken_policy(tools, tmp_path, binary, world):
    """A policy that does not parse stops the pod before the agent starts: exit 3, the
    policy volume left empty."""
    broken = {"requirements.toml": 'allowed_approval_policies = ["on-request"\n'}
    r = render(tools, tmp_path, values(policy={"codex": {"files": broken}}))
    pod = Pod(r, "codex", world, container="config-init-policy")
    proc = pod.run_init()
    assert proc.returncode == 3, proc.stderr
    assert "requirements.toml" in proc.stderr
    assert not (pod.dest / "requirements.toml").exists()


# ---------------------------------------------------------------- the schema flags, run

# Project-written, shaped like Codex's config schema: a closed root, an enum, a map of tables.
CODEX_LIKE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "model": {"type": "string"},
        "sandbox_mode": {"enum": ["read-only", "workspace-write", "danger-full-access"]},
        "approval_policy": {"enum": ["untrusted", "on-request", "never"]},
        "cli_auth_credentials_store": {"type": "string"},
        "check_for_update_on_startup": {"type": "boolean"},
        "projects": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {"trust_level": {"enum": ["trusted", "untrusted"]}}}},
        "notice": {"type": "object"},
    },
}


def schema_pod(tools, tmp_path, world, settings):
    """The codex pod with configInit.schemas naming a user ConfigMap, that ConfigMap (which
    the chart does not render: the user provides it) added to what the kubelet mounts."""
    r = render(tools, tmp_path, values(
        configInit=schemas_values([{"glob": "config.toml", "key": "codex.json"}]),
        overlay={"settings": settings}))
    r.docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "agent-schemas"},
                   "data": {"codex.json": json.dumps(CODEX_LIKE_SCHEMA)}})
    return Pod(r, "codex", world)


def test_rendered_schema_flags_pass_a_valid_overlay(tools, tmp_path, binary, world):
    """The init container's rendered --schema, run through build/config-init against the
    user's schema ConfigMap as the kubelet mounts it: a valid overlay is written, and the
    manifest records the schema's sha256."""
    pod = schema_pod(tools, tmp_path, world, {"approval_policy": "on-request"})
    proc = pod.run_init()
    assert proc.returncode == 0, proc.stderr
    assert tomllib.loads((pod.dest / "config.toml").read_text())["approval_policy"] == "on-request"
    schema_text = json.dumps(CODEX_LIKE_SCHEMA).encode()
    manifest = (pod.dest / ".config-init" / "manifest.json").read_text()
    assert hashlib.sha256(schema_text).hexdigest() in manifest


def test_rendered_schema_flags_refuse_a_misspelt_key(tools, tmp_path, binary, world):
    """A misspelt key in the overlay ConfigMap, with the chart's schema: exit 3 naming the
    key, and nothing written to the config directory."""
    pod = schema_pod(tools, tmp_path, world, {"aproval_policy": "never"})
    proc = pod.run_init()
    assert proc.returncode == 3, proc.stderr
    assert "aproval_policy" in proc.stderr and "additionalProperties" in proc.stderr
    assert not (pod.dest / "config.toml").exists()


def test_notes_name_the_policy_container_and_mount(tools, tmp_path):
    from test_chart import render_notes
    notes = render_notes(tools, tmp_path / "with", values(
        "claude", policy={"claude": {"files": POLICY["claude"]}}))
    assert "mounted read-only at /etc/claude-code" in notes
    assert "-c config-init-policy" in notes
    notes = render_notes(tools, tmp_path / "without", values("claude"))
    assert "config-init-policy" not in notes


# ---------------------------------------------------------------- the named template

def test_named_template_schemas_in_another_chart(tools, tmp_path):
    """A chart that copied _config-init.tpl passes schemas and a schema volume itself."""
    from test_chart import OTHER_CHART_DEPLOYMENT, other_chart
    from chartlib import Rendered
    old = '"extraArgs" (list "--strict")'
    assert old in OTHER_CHART_DEPLOYMENT
    deployment = OTHER_CHART_DEPLOYMENT.replace(old, old + '''
              "schemaVolume" "agent-schemas"
              "schemas" (list (dict "glob" "config.toml" "file" "/etc/config-init/schemas/codex.json")
                              (dict "glob" "*.json" "file" "/usr/share/config-init/schemas/x.json" "mode" "warn"))''')
    proc = run([tools.helm, "template", "x", other_chart(tmp_path, deployment)])
    assert proc.returncode == 0, proc.stderr
    [init] = Rendered(proc.stdout).one("Deployment")["spec"]["template"]["spec"]["initContainers"]
    assert args_after_log_format(init) == [
        "--schema", "config.toml=/etc/config-init/schemas/codex.json",
        "--schema", "*.json=/usr/share/config-init/schemas/x.json",
        "--schema-mode", "*.json=warn",
        "--strict"]
    assert {"name": "agent-schemas", "mountPath": SCHEMA_DIR, "readOnly": True} in init["volumeMounts"]

    bad = deployment.replace('"mode" "warn"', '"mode" "lenient"')
    proc = run([tools.helm, "template", "x", other_chart(tmp_path / "bad", bad)])
    assert proc.returncode != 0
    assert 'schemas[1].mode must be "enforce" or "warn"' in proc.stderr, proc.stderr

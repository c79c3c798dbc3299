"""--schema: every result is validated against a JSON Schema before anything is written."""

import hashlib
import json
from pathlib import Path

from conftest import kubelet_update, kubelet_volume, manifest, run, snapshot, write_tree

SCHEMAS = Path(__file__).resolve().parent / "schemas"
AGENT = SCHEMAS / "agent-config.schema.json"
SETTINGS = SCHEMAS / "settings.schema.json"

DEFAULTS_TOML = """\
model = "gpt-5.5"
approval_policy = "on-request"
sandbox_mode = "workspace-write"
released = 2026-11-28T12:00:00Z

[mcp_servers.docs]
command = "docs-server"
args = ["--stdio"]

[[profiles]]
name = "fast"
model = "gpt-5-mini"
"""


def violations(result):
    """(path, key, keyword, schema) of every schema violation in the JSON log."""
    return sorted((line["path"], line["key"], line["keyword"], line["schema"])
                  for line in result.log() if line.get("event") == "schema-violation")


def materialize(tmp, *layers, extra=()):
    args = []
    for layer in layers:
        args += ["--layer", layer]
    return run(*args, "--dest", tmp / "dest", *extra)


def test_a_misspelt_key_in_a_configmap_overlay_is_exit_3_naming_the_key_and_nothing_is_written(tmp):
    defaults = write_tree(tmp / "defaults", {"config.toml": DEFAULTS_TOML})
    cm = kubelet_volume(tmp / "cm", {"config.toml": 'model = "gpt-5-codex"\n'})
    first = materialize(tmp, defaults, cm, extra=["--schema", f"config.toml={AGENT}"])
    assert first.code == 0, first
    before = snapshot(tmp / "dest")

    kubelet_update(cm, {"config.toml": 'aproval_policy = "never"\n'})
    r = materialize(tmp, defaults, cm, extra=["--schema", f"config.toml={AGENT}"])
    assert r.code == 3, r
    assert violations(r) == [("config.toml", "aproval_policy", "additionalProperties",
                              f"{AGENT}#/additionalProperties")]
    assert "config.toml: aproval_policy: additionalProperties" in r.stderr
    assert "nothing written" in r.stderr
    assert snapshot(tmp / "dest") == before


def test_a_violation_on_the_first_run_leaves_no_destination(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'sandbox_mode = "full"\n'})
    r = materialize(tmp, layer, extra=["--schema", f"*.toml={AGENT}"])
    assert r.code == 3, r
    assert violations(r) == [("config.toml", "sandbox_mode", "enum",
                              f"{AGENT}#/properties/sandbox_mode/enum")]
    assert not (tmp / "dest").exists()


def test_every_violation_of_every_file_is_reported_in_each_format(tmp):
    defaults = write_tree(tmp / "defaults", {
        "config.toml": DEFAULTS_TOML,
        "agent.yaml": "model: gpt-5.5\nsandbox_mode: read-only\n",
        "settings.json": '{"permissions": {"allow": ["Bash(ls)"]}}',
    })
    overlay = write_tree(tmp / "overlay", {
        # TOML: a string where a table belongs, an array of tables with a missing key, a
        # nested table with an unknown key and an enum miss, a oneOf that matches no branch
        "config.toml": 'mcp_servers = { docs = { command = "" }, web = "http://x" }\n'
                       'reasoning = { effort = "max" }\n'
                       '[[profiles]]\nmodel = "o3"\n'
                       '[shell_environment_policy]\ninherit = "some"\nexclud = ["HOME"]\n',
        "agent.yaml": "sandbox_mode: everything\nmax_tokens: 12.5\n",
        "settings.json": '{"permissions": {"defaultMode": "yolo", "ask": []}, "env": {"DEBUG": 1}}',
    })
    r = materialize(tmp, defaults, overlay,
                    extra=["--schema", f"*.toml={AGENT}", "--schema", f"agent.yaml={AGENT}",
                           "--schema", f"settings.json={SETTINGS}"])
    assert r.code == 3, r
    found = violations(r)
    a, s = str(AGENT), str(SETTINGS)
    expected = [
        ("agent.yaml", "max_tokens", "type", f"{a}#/properties/max_tokens/type"),
        ("agent.yaml", "sandbox_mode", "enum", f"{a}#/properties/sandbox_mode/enum"),
        ("config.toml", "mcp_servers.docs.command", "minLength",
         f"{a}#/definitions/server/properties/command/minLength"),
        ("config.toml", "mcp_servers.web", "type", f"{a}#/definitions/server/type"),
        ("config.toml", "profiles[0].name", "required", f"{a}#/properties/profiles/items/required"),
        ("config.toml", "reasoning", "oneOf", f"{a}#/properties/reasoning/oneOf"),
        ("config.toml", "shell_environment_policy.exclud", "additionalProperties",
         f"{a}#/properties/shell_environment_policy/additionalProperties"),
        ("config.toml", "shell_environment_policy.inherit", "enum",
         f"{a}#/properties/shell_environment_policy/properties/inherit/enum"),
        ("settings.json", "env.DEBUG", "type", f"{s}#/properties/env/additionalProperties/type"),
        ("settings.json", "permissions.ask", "additionalProperties",
         f"{s}#/properties/permissions/additionalProperties"),
        ("settings.json", "permissions.defaultMode", "enum",
         f"{s}#/properties/permissions/properties/defaultMode/enum"),
    ]
    for violation in expected:
        assert violation in found, (violation, found)
    # the oneOf's branches explain it: the string branch's enum, the table branch's enum
    assert ("config.toml", "reasoning", "enum", f"{a}#/properties/reasoning/oneOf/0/enum") in found
    assert ("config.toml", "reasoning.effort", "enum",
            f"{a}#/properties/reasoning/oneOf/1/properties/effort/enum") in found
    assert not (tmp / "dest").exists()


def test_the_result_of_a_three_way_merge_with_the_apps_edits_is_validated(tmp):
    defaults = write_tree(tmp / "defaults", {"config.toml": DEFAULTS_TOML})
    cm = kubelet_volume(tmp / "cm", {"config.toml": 'model = "gpt-5-codex"\n'})
    schema = ["--schema", f"config.toml={AGENT}"]
    assert materialize(tmp, defaults, cm, extra=schema).code == 0
    # The app adds a server without its command (each layer alone is valid)...
    config = tmp / "dest" / "config.toml"
    config.write_text(config.read_text() + '\n[mcp_servers.local]\nargs = ["--stdio"]\n')
    before = snapshot(tmp / "dest")
    # ...and the ConfigMap changes: the re-run merges both, and the merge violates.
    kubelet_update(cm, {"config.toml": 'model = "gpt-5.5-codex"\n'})
    r = materialize(tmp, defaults, cm, extra=schema)
    assert r.code == 3, r
    assert violations(r) == [("config.toml", "mcp_servers.local.command", "required",
                              f"{AGENT}#/definitions/server/required")]
    assert snapshot(tmp / "dest") == before

    # The app's valid edit merges and passes: the manifest names the schema it passed.
    config.write_text(config.read_text().replace('args = ["--stdio"]', 'command = "local"'))
    r = materialize(tmp, defaults, cm, extra=schema)
    assert r.code == 0, r
    text = config.read_text()
    assert 'model = "gpt-5.5-codex"' in text and 'command = "local"' in text
    entry = next(f for f in manifest(tmp / "dest")["files"] if f["path"] == "config.toml")
    assert entry["schema_sha256"] == hashlib.sha256(AGENT.read_bytes()).hexdigest()


def test_warn_mode_logs_each_violation_and_writes_anyway(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'aproval_policy = "never"\nsandbox_mode = "full"\n',
                                   "settings.json": '{"cleanupPeriodDays": 7}'})
    r = materialize(tmp, layer, extra=["--schema", f"config.toml={AGENT}",
                                       "--schema", f"settings.json={SETTINGS}",
                                       "--schema-mode", "config.toml=warn"])
    assert r.code == 0, r
    warned = [line for line in r.log() if line.get("event") == "schema-violation"]
    assert {(w["key"], w["level"], w["mode"]) for w in warned} == {
        ("aproval_policy", "warn", "warn"), ("sandbox_mode", "warn", "warn")}
    assert (tmp / "dest" / "config.toml").read_text() == 'aproval_policy = "never"\nsandbox_mode = "full"\n'
    files = {f["path"]: f for f in manifest(tmp / "dest")["files"]}
    assert "schema_sha256" not in files["config.toml"]  # warned about, not passed
    assert files["settings.json"]["schema_sha256"] == hashlib.sha256(SETTINGS.read_bytes()).hexdigest()


def test_a_bare_schema_mode_is_the_default_and_a_glob_mode_wins_over_it(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'sandbox_mode = "full"\n'})
    r = materialize(tmp, layer, extra=["--schema", f"config.toml={AGENT}", "--schema-mode", "warn"])
    assert r.code == 0, r
    r = run("--layer", layer, "--dest", tmp / "d2", "--schema", f"config.toml={AGENT}",
            env={"CONFIG_INIT_SCHEMA_MODE": "warn,config.toml=enforce"})
    assert r.code == 3, r


def test_schema_mode_for_a_glob_no_schema_has_is_a_usage_error(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'model = "x"\n'})
    r = materialize(tmp, layer, extra=["--schema", f"config.toml={AGENT}",
                                       "--schema-mode", "*.toml=warn"])
    assert r.code == 2, r
    assert "no --schema (or spec schema) has the glob '*.toml'" in r.stderr
    r = materialize(tmp, layer, extra=["--schema-mode", "lenient"])
    assert r.code == 2, r


def test_a_ref_to_a_url_or_another_file_is_refused_without_any_fetch(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'model = "x"\n'})
    for ref in ["https://json.schemastore.org/claude-code-settings.json",
                "other.schema.json#/definitions/server", "#server"]:
        schema = tmp / "remote.schema.json"
        schema.write_text(json.dumps({"type": "object",
                                      "properties": {"model": {"$ref": ref}}}))
        r = materialize(tmp, layer, extra=["--schema", f"config.toml={schema}"])
        assert r.code == 2, r
        assert f"$ref '{ref}' at #/properties/model points outside this schema file" in r.stderr
        assert not (tmp / "dest").exists()


def test_a_schema_that_is_not_json_or_not_a_schema_or_missing_is_a_usage_error(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'model = "x"\n'})
    cases = {
        "broken.json": ('{"type": "object",', "not valid JSON"),
        "array.json": ('[{"type": "object"}]', "a JSON Schema must be a JSON object"),
        "bad-type.json": ('{"type": 5}', "not a valid JSON Schema"),
        "draft2020.json": ('{"$schema": "https://json-schema.org/draft/2020-12/schema"}',
                           "is not a supported draft"),
    }
    for name, (content, message) in cases.items():
        (tmp / name).write_text(content)
        r = materialize(tmp, layer, extra=["--schema", f"config.toml={tmp / name}"])
        assert r.code == 2, (name, r)
        assert message in r.stderr, (name, r)
    r = materialize(tmp, layer, extra=["--schema", f"config.toml={tmp / 'missing.json'}"])
    assert r.code == 2 and "cannot read schema" in r.stderr, r
    assert not (tmp / "dest").exists()


def test_plan_shows_violations_and_whether_they_would_block(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'aproval_policy = "never"\n',
                                   "settings.json": '{"permissions": {"defaultMode": "yolo"}}'})
    r = run("plan", "--layer", layer, "--dest", tmp / "dest", "--schema", f"config.toml={AGENT}",
            "--schema", f"settings.json={SETTINGS}", "--schema-mode", "settings.json=warn")
    assert r.code == 3, r
    assert "schemas: 2 checks, 2 violations (1 would block)" in r.stdout
    assert (f"blocks: config.toml: aproval_policy: additionalProperties "
            f"(schema {AGENT}#/additionalProperties)") in r.stdout
    assert (f"warns:  settings.json: permissions.defaultMode: enum "
            f"(schema {SETTINGS}#/properties/permissions/properties/defaultMode/enum)") in r.stdout
    assert not (tmp / "dest").exists()
    r = run("plan", "--layer", layer, "--dest", tmp / "dest", "--schema", f"config.toml={AGENT}",
            "--schema", f"settings.json={SETTINGS}", "--schema-mode", "warn")
    assert r.code == 0, r
    assert "(0 would block)" in r.stdout


def test_schemas_come_from_the_variable_and_from_the_spec(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'aproval_policy = "never"\n',
                                   "settings.json": '{"env": {"A": 1}}'})
    r = run("--layer", layer, "--dest", tmp / "dest",
            env={"CONFIG_INIT_SCHEMA": f"config.toml={AGENT},settings.json={SETTINGS}"})
    assert r.code == 3, r
    assert {v[:3] for v in violations(r)} == {("config.toml", "aproval_policy", "additionalProperties"),
                                             ("settings.json", "env.A", "type")}
    (tmp / "spec").mkdir()
    (tmp / "spec" / "agent.json").write_bytes(AGENT.read_bytes())
    spec = tmp / "spec" / "spec.yaml"
    spec.write_text("schema_mode: warn\nfiles:\n  - path: config.toml\n    schema: agent.json\n"
                    "    schema_mode: enforce\n  - path: settings.json\n"
                    f"    schema: {SETTINGS}\n")
    r = run("--layer", layer, "--dest", tmp / "dest", "--spec", spec)
    assert r.code == 3, r  # config.toml enforced; settings.json only warned about
    assert {(v["path"], v["mode"]) for v in r.log() if v.get("event") == "schema-violation"} == {
        ("config.toml", "enforce"), ("settings.json", "warn")}
    spec.write_text("files:\n  - path: config.toml\n    schema_mode: warn\n")
    r = run("--layer", layer, "--dest", tmp / "dest", "--spec", spec)
    assert r.code == 2 and "schema_mode needs a schema in its entry" in r.stderr, r


def test_toml_datetimes_are_rfc3339_strings_and_big_integers_stay_integers(tmp):
    schema = ["--schema", f"config.toml={AGENT}", "--schema", f"c.json={AGENT}"]
    ok = write_tree(tmp / "ok", {"config.toml": "released = 2026-11-28T12:00:00.5+01:00\n",
                                 "c.json": '{"max_tokens": 18446744073709551615}'})
    r = run("--layer", ok, "--dest", tmp / "d1", *schema)
    assert r.code == 0, r
    # A local date is a string too, but not a date-time; a float is not an integer.
    bad = write_tree(tmp / "bad", {"config.toml": "released = 2026-11-28\n",
                                   "c.json": '{"max_tokens": 1e3}'})
    r = run("--layer", bad, "--dest", tmp / "d2", *schema)
    assert r.code == 3, r
    assert {v[:3] for v in violations(r)} == {("config.toml", "released", "format"),
                                             ("c.json", "max_tokens", "type")}


def test_a_single_layer_file_and_an_unchanged_file_are_checked_too(tmp):
    layer = write_tree(tmp / "l", {"config.toml": 'sandbox_mode = "full"\n'})
    assert materialize(tmp, layer).code == 0  # no schema yet
    r = materialize(tmp, layer, extra=["--schema", f"config.toml={AGENT}"])
    assert r.code == 3, r
    assert violations(r)[0][:3] == ("config.toml", "sandbox_mode", "enum")


def test_a_schema_glob_that_matches_no_file_is_a_warning_and_an_error_under_strict(tmp):
    layer = write_tree(tmp / "l", {"settings.json": "{}"})
    r = materialize(tmp, layer, extra=["--schema", f"setings.json={SETTINGS}"])
    assert r.code == 0, r
    assert [line["glob"] for line in r.log()
            if line.get("event") == "unmatched-rule"] == ["setings.json"]
    r = run("--layer", layer, "--dest", tmp / "d2", "--schema", f"setings.json={SETTINGS}",
            "--strict")
    assert r.code == 3 and f"--schema setings.json={SETTINGS}: matches no file" in r.stderr, r


def test_violations_name_keys_and_schema_constraints_never_a_secret_value(tmp):
    secret = write_tree(tmp / "secret", {"auth.json": '{"token": "s3cr3t-t0ken", "mode": "api-k3y"}'})
    schema = tmp / "auth.schema.json"
    schema.write_text(json.dumps({"type": "object", "additionalProperties": False,
                                  "properties": {"token": {"type": "integer"}}}))
    for command in ("materialize", "plan"):
        r = run(command, "--secret-layer", secret, "--dest", tmp / "dest",
                "--schema", f"auth.json={schema}")
        assert r.code == 3, r
        assert {v[:3] for v in violations(r)} == {("auth.json", "token", "type"),
                                                 ("auth.json", "mode", "additionalProperties")}
        assert "s3cr3t" not in r.stdout + r.stderr and "api-k3y" not in r.stdout + r.stderr
    assert not (tmp / "dest").exists()

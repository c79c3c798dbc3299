"""Key-level deep merge through the binary: render, explain, spec, agents' rules."""

import json
import tomllib
from pathlib import Path

import pytest

from conftest import kubelet_volume, manifest, run, write_tree

REPO = Path(__file__).resolve().parents[2]


def test_render_prints_the_merged_toml_of_the_example():
    r = run("render", "--layer", REPO / "examples/codex/image-defaults",
            "--layer", REPO / "examples/codex/configmap", "config.toml")
    assert r.code == 0, r
    merged = tomllib.loads(r.stdout)
    defaults = tomllib.loads((REPO / "examples/codex/image-defaults/config.toml").read_text())
    overlay = tomllib.loads((REPO / "examples/codex/configmap/config.toml").read_text())
    assert merged["model"] == overlay["model"] == "gpt-5-codex"
    assert merged["mcp_servers"] == overlay["mcp_servers"]
    assert merged["shell_environment_policy"] == {"inherit": "core",
                                                  "exclude": ["AWS_*", "AZURE_*", "GITHUB_TOKEN"]}
    for key in defaults:  # every default key is kept
        assert key in merged


def test_explain_names_the_layer_of_each_key(tmp):
    low = write_tree(tmp / "low", {"config.toml": 'model = "a"\n[tui]\ntheme = "dark"\n'})
    high = write_tree(tmp / "high", {"config.toml": 'model = "b"\n'})
    r = run("explain", "--layer", low, "--layer", high, "config.toml")
    assert r.code == 0, r
    assert r.stdout.splitlines() == [
        f'layer 2:{high}/config.toml\tmodel = "b"',
        f'layer 1:{low}/config.toml\ttui.theme = "dark"',
    ]


def test_the_manifest_records_the_layers_of_a_merged_file(tmp):
    low = write_tree(tmp / "low", {"a.json": '{"x": 1}'})
    high = write_tree(tmp / "high", {"a.json": '{"y": 2}'})
    assert run("--layer", low, "--layer", high, "--dest", tmp / "dest").code == 0
    entry, = manifest(tmp / "dest")["files"]
    assert entry["layers"] == [str(low), str(high)] and entry["merged"] is True
    assert json.loads((tmp / "dest/a.json").read_text()) == {"x": 1, "y": 2}


def test_claude_settings_arrays_union_with_one_flag(tmp):
    low = write_tree(tmp / "low", {"settings.json": '{"permissions": {"allow": ["Read", "Bash(git status)"]}}'})
    high = kubelet_volume(tmp / "cm", {"settings.json": '{"permissions": {"allow": ["Bash(git status)", "Edit"]}}'})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest", "--arrays", "settings.json=union")
    assert r.code == 0, r
    assert json.loads((tmp / "dest/settings.json").read_text()) == {
        "permissions": {"allow": ["Read", "Bash(git status)", "Edit"]}}
    # Without the rule, arrays replace (Codex's rule).
    assert run("--layer", low, "--layer", high, "--dest", tmp / "dest2").code == 0
    assert json.loads((tmp / "dest2/settings.json").read_text()) == {
        "permissions": {"allow": ["Bash(git status)", "Edit"]}}


def test_null_deletes_a_key_in_yaml_and_json(tmp):
    low = write_tree(tmp / "low", {"a.yaml": "keep: 1\ndrop: 2\n", "b.json": '{"keep": 1, "drop": 2}'})
    high = write_tree(tmp / "high", {"a.yaml": "drop: null\n", "b.json": '{"drop": null}'})
    assert run("--layer", low, "--layer", high, "--dest", tmp / "dest").code == 0
    assert (tmp / "dest/a.yaml").read_text() == "keep: 1\n"
    assert json.loads((tmp / "dest/b.json").read_text()) == {"keep": 1}


def test_yaml_strings_that_look_like_other_types_stay_strings(tmp):
    low = write_tree(tmp / "low", {"v.yaml": "a: 'true'\nb: 'yes'\nc: '123'\nd: '1e3'\ne: 0.1\n"})
    high = write_tree(tmp / "high", {"v.yaml": "f: x\n"})
    assert run("--layer", low, "--layer", high, "--dest", tmp / "dest").code == 0
    import yaml  # PyYAML, an independent reader
    assert yaml.safe_load((tmp / "dest/v.yaml").read_text()) == {
        "a": "true", "b": "yes", "c": "123", "d": "1e3", "e": 0.1, "f": "x"}


def test_a_spec_sets_strategies_deletions_and_policies(tmp):
    low = write_tree(tmp / "low", {"config.toml": 'a = [1]\n[mcp_servers.legacy]\ncommand = "x"\n[keep]\nk = 1\n',
                                   "notes.json": '{"a": 1}'})
    high = write_tree(tmp / "high", {"config.toml": "a = [2]\n", "notes.json": '{"b": 2}'})
    spec = tmp / "spec.yaml"
    spec.write_text("files:\n"
                    "  - path: config.toml\n"
                    "    array_paths: {a: append}\n"
                    "    delete: [mcp_servers.legacy]\n"
                    "  - path: notes.json\n"
                    "    policy: replace\n"
                    "    mode: \"0640\"\n")
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest", "--spec", spec)
    assert r.code == 0, r
    assert tomllib.loads((tmp / "dest/config.toml").read_text()) == {"a": [1, 2], "mcp_servers": {}, "keep": {"k": 1}}
    assert json.loads((tmp / "dest/notes.json").read_text()) == {"b": 2}
    assert oct((tmp / "dest/notes.json").stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("text,expected", [
    ("files:\n  - path: a\n    polcy: merge\n", "spec.yaml:3: unknown key 'polcy' in a files entry"),
    ("files:\n  - path: a\n    policy: sometimes\n", "spec.yaml:3: unknown policy 'sometimes'"),
    ("files:\n  - path: a\n    mode: 0644\n", "spec.yaml:3: mode must be a quoted octal string"),
    ("strict: [\n", "invalid spec: "),
])
def test_an_invalid_spec_is_exit_2_naming_its_line(tmp, text, expected):
    (tmp / "spec.yaml").write_text(text)
    low = write_tree(tmp / "low", {"a": "x"})
    r = run("--layer", low, "--dest", tmp / "dest", "--spec", tmp / "spec.yaml")
    assert r.code == 2, r
    assert expected in r.stderr
    assert not (tmp / "dest").exists()


def test_strict_turns_a_type_conflict_into_exit_3(tmp):
    low = write_tree(tmp / "low", {"c.toml": "[server]\nport = 1\n"})
    high = write_tree(tmp / "high", {"c.toml": 'server = "off"\n'})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest")
    assert r.code == 0, r
    assert any("type conflict at server" in line["msg"] for line in r.log())
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest2", "--strict")
    assert r.code == 3, r
    assert "type conflict at server" in r.stderr

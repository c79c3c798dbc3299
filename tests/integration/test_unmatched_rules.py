"""Rules that match no file of any layer, --arrays per key path, no layer at all."""

import json

from conftest import run, snapshot, write_tree

ALLOW_LOW = '{"permissions": {"allow": ["Read"], "deny": ["Bash(rm)"]}}'
ALLOW_HIGH = '{"permissions": {"allow": ["Edit"], "deny": ["Bash(curl)"]}}'


def warnings(r):
    return [line["msg"] for line in r.log() if line.get("level") == "warn"]


def test_an_arrays_glob_that_matches_nothing_is_a_warning_naming_the_flag(tmp):
    low = write_tree(tmp / "low", {"settings.json": ALLOW_LOW})
    high = write_tree(tmp / "high", {"settings.json": ALLOW_HIGH})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest", "--arrays", "setings.json=union")
    assert r.code == 0, r
    assert any(m.startswith("--arrays setings.json=union: matches no file of any layer")
               for m in warnings(r)), r
    # The typo had no effect: the arrays were replaced.
    assert json.loads((tmp / "dest/settings.json").read_text())["permissions"]["allow"] == ["Edit"]


def test_a_matching_glob_gives_no_warning(tmp):
    low = write_tree(tmp / "low", {"sub/settings.json": ALLOW_LOW})
    r = run("--layer", low, "--dest", tmp / "dest", "--arrays", "settings.json=union",
            "--policy", "sub/*.json=replace")
    assert r.code == 0, r
    assert warnings(r) == [], r


def test_an_unmatched_glob_is_an_error_under_strict_and_nothing_is_written(tmp):
    low = write_tree(tmp / "low", {"settings.json": ALLOW_LOW})
    dest = write_tree(tmp / "dest", {"keep.txt": "mine\n"})
    before = snapshot(dest)
    r = run("--layer", low, "--dest", dest, "--strict", "--policy", "auth.jsn=seed")
    assert r.code == 3, r
    assert "--policy auth.jsn=seed: matches no file of any layer" in r.stderr
    assert "(an error under --strict)" in r.stderr
    assert snapshot(dest) == before


def test_an_unmatched_spec_rule_names_the_spec_line(tmp):
    low = write_tree(tmp / "low", {"config.toml": 'model = "a"\n'})
    spec = tmp / "spec.yaml"
    spec.write_text("files:\n  - path: config.toml\n    arrays: union\n  - path: confg.toml\n    arrays: union\n")
    r = run("--layer", low, "--dest", tmp / "dest", "--spec", spec)
    assert r.code == 0, r
    assert warnings(r) == [
        f"{spec}:4 (path: confg.toml): matches no file of any layer (a typo? the glob without "
        "'/' matches a file name in any directory, with '/' the whole path); the rule has no effect"]


def test_arrays_per_key_path_from_the_command_line(tmp):
    low = write_tree(tmp / "low", {"settings.json": ALLOW_LOW})
    high = write_tree(tmp / "high", {"settings.json": ALLOW_HIGH})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest",
            "--arrays", "settings.json:permissions.allow=union")
    assert r.code == 0, r
    assert json.loads((tmp / "dest/settings.json").read_text()) == {
        "permissions": {"allow": ["Read", "Edit"], "deny": ["Bash(curl)"]}}


def test_arrays_per_key_path_rejects_a_bad_key_path(tmp):
    low = write_tree(tmp / "low", {"settings.json": ALLOW_LOW})
    r = run("--layer", low, "--dest", tmp / "dest", "--arrays", 'settings.json:a."b=union')
    assert r.code == 2, r


def test_no_layer_at_all_is_a_warning_that_names_require(tmp):
    r = run("--layer", tmp / "nope1", "--layer", tmp / "nope2", "--dest", tmp / "dest")
    assert r.code == 0, r
    assert warnings(r) == [
        f"no layer exists ({tmp / 'nope1'}, {tmp / 'nope2'}): nothing to materialize; to make a "
        "missing file an error, name it with --require PATH"]
    r = run("--layer", tmp / "nope1", "--dest", tmp / "dest", "--require", "config.toml")
    assert r.code == 3, r

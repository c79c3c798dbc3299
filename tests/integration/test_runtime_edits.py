"""Runtime edits survive re-runs: three-way merge, drift, seed, secrets, stale files."""

import hashlib
import json
import os
import stat
import tomllib
from pathlib import Path

import pytest

from conftest import kubelet_update, kubelet_volume, manifest, run, sha256, snapshot, write_tree

DEFAULTS_TOML = """\
model = "gpt-5.5"
sandbox_mode = "danger-full-access"
approval_policy = "never"

[projects."/home/codex/workspace"]
trust_level = "trusted"
"""


def materialize(*layers, dest, extra=()):
    args = []
    for layer in layers:
        args += ["--layer", layer]
    r = run(*args, "--dest", dest, *extra)
    assert r.code == 0, r
    return r


def actions(result):
    return {line["path"]: line["action"] for line in result.log()
            if "action" in line and line["action"] not in ("conflict", "backed-up")}


def test_the_codex_cycle_keeps_the_apps_edits_and_applies_the_overlays_change(tmp):
    defaults = write_tree(tmp / "defaults", {"config.toml": DEFAULTS_TOML})
    cm = kubelet_volume(tmp / "cm", {"config.toml": 'model = "gpt-5-codex"\n'})
    dest = tmp / "codex-home"
    materialize(defaults, cm, dest=dest)

    # Codex trusts a project and writes its TUI state: it rewrites config.toml (temp + rename).
    text = (dest / "config.toml").read_text()
    text += '\n[projects."/work"]\ntrust_level = "trusted"\n\n[tui]\nnotifications = true\n'
    (dest / "config.toml.tmp").write_text(text)
    os.rename(dest / "config.toml.tmp", dest / "config.toml")
    assert run("verify", "--dest", dest).code == 5  # the app changed a managed file

    # The deployment changes the model in the ConfigMap; the pod restarts.
    kubelet_update(cm, {"config.toml": 'model = "gpt-5.5-codex"\n'})
    r = materialize(defaults, cm, dest=dest)
    assert actions(r)["config.toml"] == "updated"

    result = tomllib.loads((dest / "config.toml").read_text())
    assert result == {
        "model": "gpt-5.5-codex",                     # the overlay's change
        "sandbox_mode": "danger-full-access",         # the defaults
        "approval_policy": "never",
        "projects": {"/home/codex/workspace": {"trust_level": "trusted"},
                     "/work": {"trust_level": "trusted"}},  # the app's edit
        "tui": {"notifications": True},               # the app's edit
    }
    assert run("verify", "--dest", dest).code == 0
    entry = {f["path"]: f for f in manifest(dest)["files"]}["config.toml"]
    assert entry["sha256"] == sha256(dest / "config.toml")

    # Nothing changes: a third run rewrites nothing and keeps the edits.
    before = snapshot(dest)
    r = materialize(defaults, cm, dest=dest)
    assert actions(r)["config.toml"] == "unchanged"
    assert snapshot(dest) == before


def test_a_key_both_changed_goes_to_the_layers_and_is_logged(tmp):
    defaults = write_tree(tmp / "defaults", {"config.toml": 'model = "a"\nother = 1\n'})
    dest = tmp / "dest"
    materialize(defaults, dest=dest)
    (dest / "config.toml").write_text('model = "app"\nother = 1\nmine = true\n')
    (defaults / "config.toml").write_text('model = "layers"\nother = 1\n')
    r = materialize(defaults, dest=dest)
    assert tomllib.loads((dest / "config.toml").read_text()) == {"model": "layers", "other": 1, "mine": True}
    conflicts = [line for line in r.log() if line.get("action") == "conflict"]
    assert [c["key"] for c in conflicts] == ["model"]


def test_keys_the_layers_removed_go_and_keys_the_app_removed_stay_removed(tmp):
    defaults = write_tree(tmp / "d", {"config.toml": "a = 1\nb = 2\nc = 3\n"})
    dest = tmp / "dest"
    materialize(defaults, dest=dest)
    (dest / "config.toml").write_text("a = 1\nc = 3\napp = 1\n")  # the app removed b
    (defaults / "config.toml").write_text("a = 1\nb = 2\n")       # the layers removed c
    materialize(defaults, dest=dest)
    assert tomllib.loads((dest / "config.toml").read_text()) == {"a": 1, "app": 1}
    # ...unless the layers change a key the app removed: then it comes back.
    (defaults / "config.toml").write_text("a = 1\nb = 20\n")
    materialize(defaults, dest=dest)
    assert tomllib.loads((dest / "config.toml").read_text()) == {"a": 1, "b": 20, "app": 1}


def test_json_and_yaml_edits_survive_too(tmp):
    low = write_tree(tmp / "low", {"settings.json": '{"permissions": {"allow": ["Read"]}, "env": {"A": "1"}}\n',
                                   "app.yaml": "server:\n  port: 8080\n  host: localhost\n"})
    high = write_tree(tmp / "high", {"settings.json": '{"env": {"B": "2"}}\n', "app.yaml": "server:\n  port: 9090\n"})
    dest = tmp / "dest"
    materialize(low, high, dest=dest)
    settings = json.loads((dest / "settings.json").read_text())
    settings["theme"] = "dark"
    (dest / "settings.json").write_text(json.dumps(settings, indent=2))
    (dest / "app.yaml").write_text("server:\n  port: 9090\n  host: localhost\n  debug: true\n")
    (high / "settings.json").write_text('{"env": {"B": "3"}}\n')
    (high / "app.yaml").write_text("server:\n  port: 7070\n")
    materialize(low, high, dest=dest)
    assert json.loads((dest / "settings.json").read_text()) == {
        "permissions": {"allow": ["Read"]}, "env": {"A": "1", "B": "3"}, "theme": "dark"}
    text = (dest / "app.yaml").read_text()
    assert "port: 7070" in text and "debug: true" in text and "host: localhost" in text
    assert run("verify", "--dest", dest).code == 0


def test_an_unstructured_file_the_app_changed_is_overwritten_with_a_backup(tmp):
    layer = write_tree(tmp / "l", {"AGENTS.md": "v1\n"})
    dest = tmp / "dest"
    materialize(layer, dest=dest)
    (dest / "AGENTS.md").write_text("the app's notes\n")
    (layer / "AGENTS.md").write_text("v2\n")
    r = materialize(layer, dest=dest)
    assert (dest / "AGENTS.md").read_text() == "v2\n"
    backups = list((dest / ".config-init" / "backup").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith("AGENTS.md.")
    assert backups[0].read_text() == "the app's notes\n"
    assert any(line.get("action") == "backed-up" for line in r.log())


def test_on_drift_fail_is_exit_3_and_writes_nothing(tmp):
    layer = write_tree(tmp / "l", {"AGENTS.md": "v1\n", "other.txt": "o1\n"})
    dest = tmp / "dest"
    materialize(layer, dest=dest)
    (dest / "AGENTS.md").write_text("edited\n")
    (layer / "other.txt").write_text("o2\n")
    before = snapshot(dest)
    r = run("--layer", layer, "--dest", dest, "--on-drift", "fail")
    assert r.code == 3, r
    assert "AGENTS.md changed since the last run (--on-drift fail)" in r.stderr
    assert snapshot(dest) == before


def test_a_file_that_existed_before_config_init_managed_it_is_backed_up(tmp):
    dest = write_tree(tmp / "dest", {"AGENTS.md": "hand-made\n"})
    layer = write_tree(tmp / "l", {"AGENTS.md": "from layer\n"})
    materialize(layer, dest=dest)
    assert (dest / "AGENTS.md").read_text() == "from layer\n"
    backup, = (dest / ".config-init" / "backup").iterdir()
    assert backup.read_text() == "hand-made\n"


def test_seed_writes_once_and_never_again(tmp):
    secret = write_tree(tmp / "secret", {"auth.json": '{"token": "first"}\n'})
    dest = tmp / "dest"
    materialize(secret, dest=dest, extra=["--policy", "auth.json=seed"])
    assert json.loads((dest / "auth.json").read_text()) == {"token": "first"}
    (dest / "auth.json").write_text('{"token": "refreshed by the app"}\n')
    (secret / "auth.json").write_text('{"token": "second"}\n')
    r = materialize(secret, dest=dest, extra=["--policy", "auth.json=seed"])
    assert actions(r)["auth.json"] == "kept"
    assert json.loads((dest / "auth.json").read_text()) == {"token": "refreshed by the app"}
    assert run("verify", "--dest", dest).code == 0  # a seeded file belongs to the app
    # Even when no layer provides it any more, it stays.
    (secret / "auth.json").unlink()
    materialize(secret, dest=dest, extra=["--policy", "auth.json=seed"])
    assert (dest / "auth.json").exists()


def test_secret_layers_are_0600_and_never_shown(tmp):
    low = write_tree(tmp / "low", {"config.toml": 'model = "x"\n'})
    secret = write_tree(tmp / "secret", {"auth.json": '{"token": "s3cr3t-value"}\n',
                                         "config.toml": 'api_key = "s3cr3t-key"\n'})
    dest = tmp / "dest"
    r = run("--layer", low, "--secret-layer", secret, "--dest", dest)
    assert r.code == 0, r
    assert stat.S_IMODE((dest / "auth.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((dest / "config.toml").stat().st_mode) == 0o600  # a secret contributed
    for text in [r.stderr, (dest / ".config-init/manifest.json").read_text()]:
        assert "s3cr3t" not in text
    (secret / "auth.json").write_text('{"token": "s3cr3t-new"}\n')
    r = run("plan", "--layer", low, "--secret-layer", secret, "--dest", dest)
    assert r.code == 0, r
    assert "s3cr3t" not in r.stdout + r.stderr
    assert "<redacted: secret layer>" in r.stdout
    r = run("explain", "--layer", low, "--secret-layer", secret, "config.toml")
    assert "s3cr3t" not in r.stdout and "api_key = <redacted>" in r.stdout
    assert 'model = "x"' in r.stdout
    # A parse error in a secret file names the place, not the content.
    (secret / "auth.json").write_text('{"token": "s3cr3t-broken"')
    tlog = tmp / "tlog"
    r = run("--layer", low, "--secret-layer", secret, "--dest", dest, "--termination-log", tlog)
    assert r.code == 3
    assert "s3cr3t" not in r.stderr + tlog.read_text()
    assert f"{secret}/auth.json:1:" in r.stderr and "details redacted: secret layer" in r.stderr


def test_stale_files_are_removed_if_unchanged_and_kept_if_the_app_changed_them(tmp):
    layer = write_tree(tmp / "l", {"keep.txt": "k", "old/a.txt": "a", "old/deep/b.txt": "b", "edited.txt": "e"})
    dest = tmp / "dest"
    materialize(layer, dest=dest)
    (dest / "edited.txt").write_text("the app changed me")
    for rel in ["old/a.txt", "old/deep/b.txt", "edited.txt"]:
        (layer / rel).unlink()
    r = materialize(layer, dest=dest)
    got = actions(r)
    assert got["old/a.txt"] == "removed" and got["old/deep/b.txt"] == "removed"
    assert got["edited.txt"] == "kept"
    assert not (dest / "old").exists()  # the directories config-init created, now empty
    assert (dest / "edited.txt").read_text() == "the app changed me"
    assert {f["path"] for f in manifest(dest)["files"]} == {"keep.txt"}
    assert run("verify", "--dest", dest).code == 0


def test_a_directory_config_init_created_stays_while_the_app_keeps_files_in_it(tmp):
    layer = write_tree(tmp / "l", {"sessions/README": "x", "top.txt": "t"})
    dest = tmp / "dest"
    materialize(layer, dest=dest)
    (dest / "sessions" / "2026.jsonl").write_text("{}\n")
    (layer / "sessions/README").unlink()
    materialize(layer, dest=dest)
    assert (dest / "sessions" / "2026.jsonl").exists()
    assert not (dest / "sessions" / "README").exists()


def test_group_writable_modes_for_fsgroup_setups(tmp):
    layer = write_tree(tmp / "l", {"a/b.txt": "x"})
    dest = tmp / "dest"
    materialize(layer, dest=dest, extra=["--group-writable"])
    assert stat.S_IMODE((dest / "a/b.txt").stat().st_mode) == 0o664
    assert stat.S_IMODE((dest / "a").stat().st_mode) == 0o775


@pytest.mark.skipif(os.geteuid() != 0, reason="--chown needs root")
def test_chown_sets_the_owner_of_files_and_created_directories(tmp):
    layer = write_tree(tmp / "l", {"a/b.txt": "x"})
    dest = tmp / "dest"
    materialize(layer, dest=dest, extra=["--chown", "1234:5678"])
    for rel in ["a", "a/b.txt"]:
        st = (dest / rel).stat()
        assert (st.st_uid, st.st_gid) == (1234, 5678)


def test_merge_bases_are_flat_and_those_of_earlier_builds_are_still_used(tmp):
    """Bases live at .config-init/base/<sha256 of the path> (no directory per level); one
    left by an earlier build at .config-init/base/<path> still drives the three-way merge."""
    layer = write_tree(tmp / "l", {"conf/deep/c.toml": 'a = 1\nb = 1\n'})
    dest = tmp / "dest"
    materialize(layer, dest=dest)
    flat = dest / ".config-init/base" / hashlib.sha256(b"conf/deep/c.toml").hexdigest()
    assert flat.read_text() == 'a = 1\nb = 1\n'
    assert sorted(p.name for p in (dest / ".config-init/base").iterdir()) == [flat.name]
    legacy = dest / ".config-init/base/conf/deep/c.toml"  # as an earlier build left it
    legacy.parent.mkdir(parents=True)
    flat.rename(legacy)
    m = json.loads((dest / ".config-init/manifest.json").read_text())
    for f in m["files"]:
        f.pop("base_sha256", None)
    (dest / ".config-init/manifest.json").write_text(json.dumps(m, indent=2) + "\n")
    (dest / "conf/deep/c.toml").write_text('a = 1\nb = 1\napp = "mine"\n')  # the app's edit
    write_tree(layer, {"conf/deep/c.toml": 'a = 2\nb = 1\n'})  # the layers' change
    materialize(layer, dest=dest)
    assert tomllib.loads((dest / "conf/deep/c.toml").read_text()) == {"a": 2, "b": 1, "app": "mine"}
    assert flat.read_text() == 'a = 2\nb = 1\n'  # the new base, at the flat name


def test_state_renames_lost_after_the_files_were_renamed_are_only_written_again(tmp):
    """publish does not flush the renames of the merge bases and the manifest (the files'
    renames are flushed before them). If a power loss undid them, the next run must find
    everything as the layers want it, write nothing but the state, and back nothing up."""
    import shutil
    layer = write_tree(tmp / "l", {"config.toml": 'a = 1\n[t]\nk = "v"\n', "notes.txt": "one\n"})
    dest = tmp / "dest"
    materialize(layer, dest=dest)
    shutil.copytree(dest / ".config-init", tmp / "state-v1")
    write_tree(layer, {"config.toml": 'a = 2\n[t]\nk = "v"\n', "notes.txt": "two\n"})
    materialize(layer, dest=dest)
    after_v2 = (dest / ".config-init/manifest.json").read_text()
    # The power loss: the files' renames stayed, the state's did not.
    for name in ("manifest.json", "base"):
        target = dest / ".config-init" / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
        src = tmp / "state-v1" / name
        shutil.copytree(src, target) if src.is_dir() else shutil.copy2(src, target)
    r = materialize(layer, dest=dest)
    assert set(actions(r).values()) == {"unchanged"}, actions(r)
    assert not (dest / ".config-init/backup").exists()
    assert (dest / ".config-init/manifest.json").read_text() == after_v2
    assert run("verify", "--dest", dest).code == 0
    assert tomllib.loads((dest / "config.toml").read_text()) == {"a": 2, "t": {"k": "v"}}

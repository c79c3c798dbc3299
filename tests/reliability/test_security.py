"""Item 6: no input makes config-init write (or delete) outside DEST; it never follows a
symlink inside DEST when writing; modes are exactly the documented ones whatever the umask.

"Input" includes what is already in DEST: the app (or whoever else can write the shared
volume) controls DEST's content, including .config-init/ itself."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

import relutil
from relutil import BIN, run, snapshot, temporaries, write_tree

LAYER = {"a.txt": "new a\n", "sub/b.txt": "new b\n", "conf/c.toml": 'x = 1\n', "s.json": '{"k": 1}\n',
         "deep/er/d.txt": "d\n"}


@pytest.fixture
def world(tmp):
    """A layer, a destination materialised from it, and an `outside` tree to watch."""
    layer = write_tree(tmp / "layer", LAYER)
    outside = write_tree(tmp / "outside", {"victim.txt": "victim\n", "dir/keep.txt": "keep\n",
                                            "manifest.json": "{}\n", "lockfile": ""})
    (outside / "emptydir").mkdir()
    dest = tmp / "dest"
    r = run("--layer", layer, "--dest", dest)
    assert r.code == 0, r
    return layer, dest, outside


def changed_layer(tmp):
    """The same paths with new content, plus a structured file in a second layer (so that a
    merge base is written) and one file fewer (so a stale file is removed)."""
    files = {k: v.replace("new", "newer") for k, v in LAYER.items() if k != "deep/er/d.txt"}
    files["conf/c.toml"] = "x = 2\n"
    return write_tree(tmp / "layer2", files)


def plant(path, target):
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        subprocess.run(["rm", "-rf", str(path)], check=True)
    elif os.path.lexists(path):
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


# What is planted in DEST before the next run: {relative path: outside target (relative to
# the outside tree)}; each must leave the outside untouched.
PLANTS = {
    "file-symlink": {"a.txt": "victim.txt"},
    "dir-symlink": {"sub": "dir"},
    "deeper-dir-symlink": {"deep/er": "dir"},
    "state-dir-symlink": {".config-init": "dir"},
    "base-dir-symlink": {".config-init/base": "dir"},
    "base-file-symlink": {".config-init/base/" + hashlib.sha256(b"conf/c.toml").hexdigest(): "victim.txt"},
    "legacy-base-file-symlink": {".config-init/base/conf/c.toml": "victim.txt"},
    "manifest-symlink": {".config-init/manifest.json": "manifest.json"},
    "lock-symlink": {".config-init/lock": "lockfile"},
    "backup-dir-symlink": {".config-init/backup": "dir"},
    "temporary-named-symlink": {".config-init-999999-1.tmp": "victim.txt", "sub/.config-init-1-2.tmp": "victim.txt"},
    "stale-file-replaced-by-symlink": {"deep/er/d.txt": "victim.txt"},
    "absolute-file-symlink": {"s.json": "/OUTSIDE/victim.txt"},
}


@pytest.mark.parametrize("plant_id", sorted(PLANTS))
def test_symlinks_planted_in_dest_never_lead_outside(plant_id, tmp, world):
    layer, dest, outside = world
    for rel, target in PLANTS[plant_id].items():
        target = target.replace("/OUTSIDE", str(outside))
        plant(dest / rel, target if target.startswith("/") else str(outside / target))
    if plant_id == "backup-dir-symlink":
        (dest / "a.txt").write_text("edited by the app\n")  # drift: makes a backup
    before = snapshot(outside)
    r = run("--layer", changed_layer(tmp), "--dest", dest)
    assert r.code in (0, 3, 4), r
    assert snapshot(outside) == before, f"{plant_id}: something outside DEST changed: {r!r}"
    if r.code == 0:
        for rel in ("a.txt", "sub/b.txt", "conf/c.toml", "s.json"):
            st = os.lstat(dest / rel)
            assert stat.S_ISREG(st.st_mode), f"{rel} is not a regular file"
        assert run("verify", "--dest", dest).code == 0
    else:
        assert r.error(), "a failure without a message"
    assert temporaries(dest) == [] or plant_id == "temporary-named-symlink"


def test_a_hard_link_in_dest_is_replaced_not_written_through(tmp, world):
    layer, dest, outside = world
    (dest / "a.txt").unlink()
    os.link(outside / "victim.txt", dest / "a.txt")
    before = snapshot(outside)
    r = run("--layer", changed_layer(tmp), "--dest", dest)
    assert r.code == 0, r
    assert snapshot(outside)[b"victim.txt"][2] == before[b"victim.txt"][2], "written through a hard link"
    assert (dest / "a.txt").read_text() == "newer a\n"


def crafted_manifest(dest, outside, entries):
    """Adds entries to DEST's manifest, as the app (which can write DEST) might."""
    path = dest / ".config-init/manifest.json"
    m = json.loads(path.read_text())
    template = m["files"][0]
    for rel, target in entries.get("files", {}).items():
        digest = hashlib.sha256((outside / target).read_bytes()).hexdigest()
        m["files"].append({**template, "path": rel, "sha256": digest, "size": (outside / target).stat().st_size})
    m["directories"] = m.get("directories", []) + entries.get("directories", [])
    path.write_text(json.dumps(m, indent=2))


def test_a_crafted_manifest_cannot_make_config_init_delete_outside_dest(tmp, world):
    """The manifest lives in DEST: the app can rewrite it. Paths with `..` in it must never
    reach outside (here: a 'stale' file and an 'empty created directory' outside DEST)."""
    layer, dest, outside = world
    crafted_manifest(dest, outside, {"files": {"../outside/victim.txt": "victim.txt",
                                               "sub/../../outside/dir/keep.txt": "dir/keep.txt",
                                               str(outside / "victim.txt"): "victim.txt"},
                                     "directories": ["../outside/emptydir", str(outside / "emptydir")]})
    before = snapshot(outside)
    r = run("--layer", layer, "--dest", dest)
    assert r.code in (0, 3, 4), r
    assert snapshot(outside) == before, f"config-init deleted outside DEST: {r!r}"
    v = run("verify", "--dest", dest)
    mentioned = [e.get("path", "") for e in v.log() if ".." in e.get("path", "")]
    assert not mentioned or v.code != 0, f"verify read files outside DEST: {mentioned}"


def test_racing_symlink_swaps_in_dest_never_lead_outside(tmp, world):
    """While runs write, another process keeps replacing DEST/sub (a directory the layers
    write into) with a symlink to a directory outside, and back."""
    layer, dest, outside = world
    stop = threading.Event()
    swaps = [0]

    def swapper():
        while not stop.is_set():
            try:
                os.rename(dest / "sub", tmp / "sub-aside")
            except OSError:  # DEST/sub is missing just now (a run is creating it)
                time.sleep(0.0005)
                continue
            try:
                os.symlink(outside / "dir", dest / "sub")
                time.sleep(0.0005)
                os.unlink(dest / "sub")
                os.rename(tmp / "sub-aside", dest / "sub")
                swaps[0] += 1
            except OSError:
                # A run made DEST/sub again meanwhile: drop the copy set aside, or every later
                # rename onto it would fail and the race would stop (seen under load).
                shutil.rmtree(tmp / "sub-aside", ignore_errors=True)

    before = snapshot(outside)
    t = threading.Thread(target=swapper)
    t.start()
    codes = []
    try:
        # 20 runs, and more (up to 200) until the racing process has managed a swap: on a busy
        # machine it may get no time during the first ones.
        n = 0
        while n < 20 or (swaps[0] == 0 and n < 200):
            files = {k: f"{v.strip()} {n}\n" for k, v in LAYER.items() if k.endswith(".txt")}
            codes.append(run("--layer", write_tree(tmp / f"l{n}", files), "--dest", dest).code)
            n += 1
    finally:
        stop.set()
        t.join()
    assert snapshot(outside) == before, f"written outside DEST during a race (exit codes {codes})"
    assert set(codes) <= {0, 3, 4}, codes
    assert swaps[0] > 0, "the racing process never managed a swap"
    print(f"{swaps[0]} swaps during {n} runs, exit codes {codes}")


# ---------------------------------------------------------------------------- modes

@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077, 0o777])
def test_default_modes_whatever_the_umask_and_the_layer_modes(tmp, umask):
    layer = write_tree(tmp / "l", {"open.txt": "a", "setuid.sh": "b", "private.txt": "c",
                                   "n1/n2/n3.toml": "x = 1\n"})
    os.chmod(layer / "open.txt", 0o777)
    os.chmod(layer / "setuid.sh", 0o4755)
    os.chmod(layer / "private.txt", 0o600)
    secret = write_tree(tmp / "secret", {"token": "s3cr3t\n", "keys/k.json": '{"k": "v"}'})
    dest = tmp / "dest"
    r = subprocess.run(["sh", "-c", f'umask {umask:03o}; exec "$0" "$@"', BIN, "--layer", str(layer),
                        "--secret-layer", str(secret), "--dest", str(dest)],
                       capture_output=True, text=True, env=relutil.clean_env())
    assert r.returncode == 0, r.stderr
    for rel in ("open.txt", "setuid.sh", "private.txt", "n1/n2/n3.toml"):
        assert stat.S_IMODE((dest / rel).stat().st_mode) == 0o644, rel
    for rel in ("token", "keys/k.json"):
        assert stat.S_IMODE((dest / rel).stat().st_mode) == 0o600, rel
    for rel in ("n1", "n1/n2", "keys"):
        assert stat.S_IMODE((dest / rel).stat().st_mode) == 0o755, rel
    assert "s3cr3t" not in r.stderr, "a secret's content reached the log"


def test_modes_from_a_spec_and_a_changed_mode_is_restored(tmp):
    layer = write_tree(tmp / "l", {"a.txt": "a", "bin/run.sh": "b", "d/e/f.txt": "c"})
    spec = tmp / "spec.yaml"
    spec.write_text('defaults:\n  directory_mode: "0750"\nfiles:\n  - path: "bin/*"\n    mode: "0755"\n'
                    '  - path: a.txt\n    mode: "0640"\n')
    dest = tmp / "dest"
    r = run("--layer", layer, "--spec", spec, "--dest", dest)
    assert r.code == 0, r
    modes = {rel: stat.S_IMODE((dest / rel).stat().st_mode) for rel in ("a.txt", "bin/run.sh", "d/e/f.txt", "d", "d/e", "bin")}
    assert modes == {"a.txt": 0o640, "bin/run.sh": 0o755, "d/e/f.txt": 0o644, "d": 0o750, "d/e": 0o750, "bin": 0o750}
    os.chmod(dest / "d/e/f.txt", 0o666)
    r = run("--layer", layer, "--spec", spec, "--dest", dest)
    assert r.code == 0, r
    assert stat.S_IMODE((dest / "d/e/f.txt").stat().st_mode) == 0o644


# ---------------------------------------------------- the image's restricted settings

def podman():
    """podman with the project's containers.conf, when both it and the image are there."""
    if subprocess.run(["sh", "-c", "command -v podman"], capture_output=True).returncode != 0:
        return None, "podman is not installed"
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get(
        "CONTAINERS_CONF", str(relutil.REPO / "scripts" / "containers.conf"))}
    image = os.environ.get("IMAGE", "config-init:dev")
    if subprocess.run(["podman", "image", "exists", image], env=env, capture_output=True).returncode != 0:
        return None, f"image {image} does not exist (make image DOCKER=podman)"
    return (env, image), None


def test_hostile_inputs_under_the_restricted_container_settings(tmp):
    """The hostile-input cases that need no root privileges, run in the image as the
    restricted pod runs it (read-only root, no capabilities, uid 65532, no network)."""
    engine, why = podman()
    if engine is None:
        pytest.skip(f"SKIPPED container run: {why}")
    env, image = engine
    import test_hostile
    skip_ids = ("character_device", "block_device", "sparse_2GiB", "large_unstructured", "merged_100k",
                "single_300k", "8MiB", "at_exactly_the_limit", "oversized", "symlink_fan_out")
    ids = [cid for cid in test_hostile.ids() if not any(s in cid for s in skip_ids)]
    if os.environ.get("REL_CONTAINER_CASES", "short") != "all":
        ids = ids[::4]  # the short form: every fourth case (`make soak` runs them all)
    failures = []
    good = write_tree(tmp / "good", test_hostile.GOOD)
    for cid in ids:
        expect, build, name = test_hostile.CASES[cid]
        case_dir = tmp / "cases" / cid
        case_dir.mkdir(parents=True)
        layer = case_dir / "hostile"
        build(layer, case_dir)
        dest = case_dir / "dest"
        dest.mkdir()
        os.chmod(dest, 0o777)
        subprocess.run(["chmod", "-R", "a+rX", str(case_dir), str(good)], check=False)
        args = ["podman", "run", "--rm", "--read-only", "--read-only-tmpfs=false", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--user", "65532:65532", "--network", "none",
                "-v", f"{good}:/layers/good:ro", "-v", f"{case_dir}:/case:ro", "-v", f"{dest}:/dest",
                image, "--log-format", "json", "--layer", "/layers/good", "--layer", "/case/hostile",
                "--dest", "/dest"]
        if (case_dir / "extra-low").exists():
            args[-4:-4] = ["--layer", "/case/extra-low"]
        try:
            done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
            code = done.returncode
        except subprocess.TimeoutExpired:
            code, done = "timeout", None
        if expect == "invalid" and code != 3 or expect == "works" and code != 0 or code not in (0, 3):
            failures.append(f"{cid}: exit {code} (expected {expect}): {(done.stderr if done else '')[-300:]}")
        elif code == 3 and temporaries(dest):
            failures.append(f"{cid}: temporary files left")
    print(f"{len(ids)} hostile cases run in {image} under restricted settings")
    assert not failures, "\n".join(failures)

"""Deterministic benchmark inputs: plain layer trees and kubelet-style volumes.

Every tree is generated once into BENCH_DIR/inputs/<name>/ and reused while its
generator version matches (a `.complete` stamp records it); contents depend only on
fixed seeds, so every run and every machine measures the same bytes.
"""

import json
import os
import random
import shutil

GENERATOR_VERSION = "3"
KUBELET_STAMP = "..2026_01_02_03_04_05.123456789"

# A fixed pool of text the small files are sliced from (cheap, and not all-equal bytes).
_WORDS = ("agent config model sandbox prompt skill plugin server command args env "
          "review test build deploy cluster volume secret token policy profile tool "
          "the a of to and in for with on when every file layer merge default").split()


def _text_pool(seed, size):
    rng = random.Random(seed)
    out = []
    length = 0
    line = []
    while length < size:
        word = rng.choice(_WORDS)
        line.append(word)
        if len(line) >= rng.randint(6, 14):
            text = " ".join(line) + "\n"
            out.append(text)
            length += len(text)
            line = []
    return "".join(out)


def write_tree(root, files):
    """Writes {relative path: bytes} under root (a plain directory tree)."""
    for relative, content in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(content)


def write_kubelet_volume(root, files):
    """Lays {relative path: bytes} out as the kubelet mounts a ConfigMap volume:
    root/..<timestamp>/<paths>, root/..data -> ..<timestamp>, and one symlink per
    top-level entry, root/<name> -> ..data/<name>."""
    write_tree(os.path.join(root, KUBELET_STAMP), files)
    os.symlink(KUBELET_STAMP, os.path.join(root, "..data"))
    for top in sorted({relative.split("/", 1)[0] for relative in files}):
        os.symlink("..data/" + top, os.path.join(root, top))


def tree_stats(files):
    return len(files), sum(len(content) for content in files.values())


# --- case (b): 10,000 small files, nested, in a kubelet overlay over a defaults tree -------

def small_tree_files(count, seed=8, revision=0):
    """(defaults, overlay): the overlay holds `count` small files three levels deep,
    skills/<category>/<skill>/<file>, one in ten a JSON manifest; the defaults tree holds
    one tenth of that: for half the skills a manifest.json (merged with the overlay's)
    and a LICENSE.txt (defaults only). A `revision` other than 0 gives the same paths with
    every file's content changed (other text, the manifests with a "revision" key)."""
    if revision:
        seed += 7919 * revision
    rng = random.Random(seed)
    pool = _text_pool(seed, 1 << 20).encode()
    per_skill = 10
    skills = count // per_skill
    categories = max(1, skills // 100)
    overlay, defaults = {}, {}
    names = ["README.md", "SKILL.md", "prompt.md", "notes.txt", "run.py", "check.sh",
             "example.md", "usage.txt", "lib.py"]
    for s in range(skills):
        category, skill = s % categories, s // categories
        base = "skills/c%02d/s%04d/" % (category, skill)
        for name in names[:per_skill - 1]:
            size = rng.randint(200, 4000)
            start = rng.randrange(0, len(pool) - size)
            overlay[base + name] = pool[start:start + size]
        manifest = {
            "name": "skill-%04d" % s, "version": "1.%d.0" % (s % 7),
            "enabled": True, "tools": ["read", "write", "shell"][: 1 + s % 3],
            "settings": {"timeout": 30 + s % 60, "retries": s % 4},
        }
        if revision:
            manifest["revision"] = revision
        overlay[base + "manifest.json"] = json.dumps(manifest, indent=2).encode()
        if s % 2 == 0:
            manifest = {
                "name": "skill-%04d" % s, "license": "Apache-2.0",
                "settings": {"timeout": 60, "max_tokens": 4096}, "tags": ["default"],
            }
            if revision:
                manifest["revision"] = revision
            defaults[base + "manifest.json"] = json.dumps(manifest, indent=2).encode()
            size = rng.randint(500, 2000)
            start = rng.randrange(0, len(pool) - size)
            defaults[base + "LICENSE.txt"] = pool[start:start + size]
    return defaults, overlay


# --- case (c): 200 files of 1 MiB ---------------------------------------------------------

def large_tree_files(count=200, size=1 << 20, seed=200):
    """(defaults, overlay): `count` incompressible files of `size` bytes in the defaults
    tree (plugins/pNN/blobN.bin), and a small kubelet overlay with one TOML delta."""
    rng = random.Random(seed)
    defaults = {}
    for i in range(count):
        defaults["plugins/p%02d/blob%d.bin" % (i // 10, i % 10)] = rng.randbytes(size)
    defaults["config.toml"] = b'model = "gpt-5.5"\napproval_policy = "never"\n'
    overlay = {"config.toml": b'model = "gpt-5-codex"\n'}
    return defaults, overlay


# --- memory: many structured files, each in both layers (so each is merged) ---------------

def json_tree_files(count, size=64 << 10, seed=64):
    """(defaults, overlay): `count` JSON documents of about `size` bytes at the same paths
    in both layers (settings/NNNN.json), so every one is parsed, merged and re-emitted."""
    rng = random.Random(seed)
    defaults, overlay = {}, {}
    for i in range(count):
        d, o = {}, {}
        k = 0
        while len(json.dumps(d)) < size:
            key = "key_%05d" % k
            d[key] = {"value": rng.randint(0, 1 << 30), "name": "n%08x" % rng.getrandbits(32),
                      "tags": ["a", "b", "c"][: 1 + k % 3]}
            if k % 2 == 0:
                o[key] = {"value": rng.randint(0, 1 << 30)}
            k += 1
        path = "settings/%04d.json" % i
        defaults[path] = json.dumps(d, indent=1).encode()
        overlay[path] = json.dumps(o, indent=1).encode()
    return defaults, overlay


# --- case (e): a 1 MB TOML overlay merged onto a 1 MB TOML defaults file --------------------

def _toml_server(i, overlay):
    lines = ["[mcp_servers.server_%05d]" % i]
    if overlay:
        lines.append('args = ["-y", "@example/server-%05d@2", "--port", "%d", "--verbose"]'
                     % (i, 9000 + i % 1000))
        lines.append("enabled = %s" % ("false" if i % 3 == 0 else "true"))
        lines.append("tool_timeout_sec = %d" % (60 + i % 120))
        lines.append("")
        lines.append("[mcp_servers.server_%05d.env]" % i)
        lines.append('LOG_LEVEL = "%s"' % ("debug" if i % 2 else "info"))
        lines.append('REGION = "eu-west-%d"' % (1 + i % 3))
    else:
        lines.append('command = "npx"')
        lines.append('args = ["-y", "@example/server-%05d", "--port", "%d"]' % (i, 8000 + i % 1000))
        lines.append("enabled = true")
        lines.append("startup_timeout_sec = %d" % (10 + i % 50))
        lines.append("")
        lines.append("[mcp_servers.server_%05d.env]" % i)
        lines.append('API_URL = "https://api.example.com/v1/server/%05d"' % i)
        lines.append('TOKEN_NAME = "SERVER_%05d_TOKEN"' % i)
    lines.append("")
    return "\n".join(lines) + "\n"


def toml_pair(target=1 << 20):
    """(defaults, overlay) TOML texts of about `target` bytes each: the defaults define
    servers 0..N; the overlay changes every other one of them and adds as many new ones."""
    head_d = ('model = "gpt-5.5"\napproval_policy = "never"\nsandbox_mode = "workspace-write"\n\n'
              '[shell_environment_policy]\ninherit = "core"\nexclude = ["AWS_*", "AZURE_*"]\n\n')
    head_o = ('model = "gpt-5-codex"\n\n[shell_environment_policy]\n'
              'exclude = ["AWS_*", "AZURE_*", "GITHUB_TOKEN"]\n\n')
    defaults, overlay = [head_d], [head_o]
    size_d = size_o = 0
    i = 0
    while size_d < target:
        block = _toml_server(i, False)
        defaults.append(block)
        size_d += len(block)
        i += 1
    total = i
    j = 0
    while size_o < target:
        # even servers of the defaults first, then new servers past the end
        index = 2 * j if 2 * j < total else total + (j - (total + 1) // 2)
        block = _toml_server(index, True)
        overlay.append(block)
        size_o += len(block)
        j += 1
    return "".join(defaults).encode(), "".join(overlay).encode()


# --- generation, cached --------------------------------------------------------------------

def _generate(root, builder):
    stamp = os.path.join(root, ".complete")
    if os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == GENERATOR_VERSION:
                return
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    builder(root)
    with open(stamp, "w") as f:
        f.write(GENERATOR_VERSION + "\n")


def ensure_layers(root, make_files, overlay_kubelet=True):
    """Generates root/defaults (a plain tree) and root/overlay (a kubelet volume, or a plain
    tree) from make_files() -> (defaults, overlay), unless already there; returns both paths."""
    def build(where):
        defaults, overlay = make_files()
        write_tree(os.path.join(where, "defaults"), defaults)
        if overlay_kubelet:
            write_kubelet_volume(os.path.join(where, "overlay"), overlay)
        else:
            write_tree(os.path.join(where, "overlay"), overlay)
    _generate(root, build)
    return os.path.join(root, "defaults"), os.path.join(root, "overlay")

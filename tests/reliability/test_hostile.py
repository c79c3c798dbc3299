"""Item 3: hostile inputs. Every run is bounded (prlimit --as=1 GiB, 30 s) and must answer
with a clear error, exit 3, naming the file, leaving the destination byte for byte as it was
and no temporary file; or, for inputs that are valid however odd (names with spaces,
newlines, leading dashes; deep but allowed nesting; a layer that is a symlink), succeed.

Each case is a layer (`hostile`) stacked on a good layer, over a destination the good layer
was already materialised into. The list of cases is reported in docs/reliability.md."""

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

import relutil
from relutil import run, snapshot, temporaries, write_tree

MIB = 1024 * 1024
LIMIT = 16 * MIB  # max_structured_file_size, src/formats/format.h

GOOD = {"config.toml": 'model = "o3"\n[sandbox]\nmode = "read-only"\n', "settings.json": '{"a": 1}\n',
        "agent.yaml": "name: base\n", "AGENTS.md": "# base\n"}

# ------------------------------------------------------------------ the cases

CASES = {}  # id -> (expect, builder, name expected in the message)


def case(expect, name=None, ids=None):
    """Registers a builder(layer_dir, tmp) under its function name. expect: 'invalid' (exit 3),
    'works' (exit 0, verified), 'either' (0 or 3, never anything else)."""
    def register(fn):
        CASES[fn.__name__] = (expect, fn, name)
        return fn
    return register


def files_case(cid, expect, files, name=None):
    def build(layer, tmp):
        write_tree(layer, files)
    CASES[cid] = (expect, build, name if name is not None else next(iter(files)))


# Malformed documents, one file each. The message must name the file.
MALFORMED = {
    "toml": [
        "a = ", 'a = "unterminated', "[table", "[[arr]", "a = 1 = 2", "a = [1, 2", "a = {b = 1",
        "a = 1\na = 2", "[a]\n[a]", "a.b = 1\n[a]\nb = 2", "a = 01", "a = 1979-13-45", "a = 0x",
        "a = tru", "= 1", 'a = "\\q"', 'a = "\\uD800"', 'a = "\x01"', "a = nan1", "[a.]",
        "a = 9223372036854775808", "a = 1__0", "\ufeff\ufeff= x", "a = 1\x00", "[&", "[\n",
        "a = [1, {b = 2}", "a = 1979-05-27T25:00:00", "x = {a = 1, a = 2}", "[[a]]\n[a]",
        "a = '''never closed", 'k = """\\ud800"""', "a = +inf1", "a.b.c = 1\na.b = 2",
        "a = 1 # comment \x7f",
    ],
    "yaml": [
        "a: [1, 2", "a: {b: 1", "- a\nb: 1", "a: b: c", "a:\n\t- 1", '"unterminated', "'x",
        "a: *unknown", "!!binary x", "!custom x", "? [complex]\n: 1", ",",
        "a: 1\n...\ngarbage: [", "key: value\n  bad: 1", "a: !!int x", "a: !!float abc",
        "a: !!bool maybe", "&a [*a]", "a: @x", "a: `x", "%YAML 2.0\n---\na: 1",
        "[a, b]: c", "{a: 1}: b", "a: 1\na: 2", "a: 1\n'a': 2", "&k a: 1\n*k : 2", "a: |\n x\n  y\nz",
        "a: \"\\x\"", "a: 1\nz", "model: gpt-5\nsandbox_mode\n", "a:\n  b: 1\n  c\n",
    ],
    "json": [
        "{", '{"a":}', '{"a" 1}', "[1,]", '{"a":1,}', "{'a':1}", '{"a":01}', '{"a":NaN}',
        '{"a":Infinity}', '{"a":"\\x"}', '{"a":"\x01"}', '{"a":"\\ud800"}', '{"a":1}{"b":2}',
        '{"a":1} x', "//c\n{}", "", '{"a":1,"a":2}', '{"a":1,"\\u0061":2}', '{"a":[1,2}', '{"a":tru}',
        '{"a":-}', '{"a":1.}', '{"a":.5}', '{"a":"unterminated}', "\x00", '{"a":1e}',
    ],
}
for fmt, texts in MALFORMED.items():
    for i, text in enumerate(texts):
        files_case(f"malformed_{fmt}_{i:02d}", "invalid", {f"bad.{fmt}": text})

# Non-UTF-8 content: invalid in every structured format; copied as is in any other file.
for fmt, text in {"toml": b'a = "\xff\xfe"\n', "yaml": b"a: \xff\xfe\n", "json": b'{"a": "\xff\xfe"}\n'}.items():
    files_case(f"non_utf8_content_{fmt}", "invalid", {f"bad.{fmt}": text})
    files_case(f"non_utf8_key_{fmt}", "invalid",
               {f"bad.{fmt}": text.replace(b"a", b"\xc0\xaf", 1).replace(b"\xff\xfe", b"x")})
files_case("non_utf8_content_in_a_plain_file_is_copied", "works", {"blob.txt": b"\xff\xfe\x00binary\x80"})
# Decoded from UTF-16/32 by yaml-cpp (NUL bytes): must not turn into invalid UTF-8 output.
files_case("yaml_nul_bytes", "invalid", {"agent.yaml": b"a: 1\n\x00\x00({three\x00\x00\x00- 5\n"}, "agent.yaml")
files_case("yaml_non_utf8_merged", "invalid", {"agent.yaml": b"name: \xb4x\n"}, "agent.yaml")

# Deep nesting: refused past the documented depth, accepted below it.
for depth, expect in ((100_000, "invalid"), (200, "works")):
    files_case(f"deep_toml_arrays_{depth}", expect, {"deep.toml": "a = " + "[" * depth + "]" * depth + "\n"})
    files_case(f"deep_toml_inline_tables_{depth}", expect,
               {"deep.toml": "a = " + "{b = " * depth + "1" + "}" * depth + "\n"})
    files_case(f"deep_yaml_flow_{depth}", expect, {"deep.yaml": "a: " + "[" * depth + "]" * depth + "\n"})
    files_case(f"deep_yaml_block_{depth}", expect,
               {"deep.yaml": "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"}
               if depth <= 200 else {"deep.yaml": "- " * depth + "x\n"})
    files_case(f"deep_json_{depth}", expect, {"deep.json": "[" * depth + "]" * depth})
files_case("deep_json_objects_1M", "invalid", {"deep.json": '{"a":' * 1_000_000 + "1" + "}" * 1_000_000})
# 20 inline tables, each holding a 16-part dotted key: 320 levels of tables in 20 "values".
files_case("deep_toml_dotted_keys_in_inline_tables", "invalid",
           {"deep.toml": "a = " + ("{" + ".".join(["b"] * 16) + " = ") * 20 + "1" + "}" * 20 + "\n"})

# Very long keys, dotted keys and table headers.
files_case("toml_dotted_key_17_parts", "invalid", {"k.toml": ".".join(["a"] * 17) + " = 1\n"})
files_case("toml_table_header_17_parts", "invalid", {"k.toml": "[" + ".".join(["a"] * 17) + "]\n"})
files_case("toml_array_header_100k_parts", "invalid", {"k.toml": "[[" + ".".join(["a"] * 100_000) + "]]\n"})
files_case("toml_quoted_dotted_key_100k_parts", "invalid", {"k.toml": ".".join(['"a"'] * 100_000) + " = 1\n"})
files_case("toml_spaced_dotted_key_100k_parts", "invalid", {"k.toml": " . ".join(["a"] * 100_000) + " = 1\n"})
files_case("toml_bare_key_8MiB", "either", {"k.toml": "a" * (8 * MIB) + " = 1\n"})
files_case("toml_quoted_key_8MiB", "either", {"k.toml": '"' + "a" * (8 * MIB) + '" = 1\n'})
files_case("toml_table_header_8MiB", "either", {"k.toml": "[" + "a" * (8 * MIB) + "]\nx = 1\n"})
files_case("toml_16_parts_of_512KiB", "either", {"k.toml": ".".join(["a" * (512 * 1024)] * 16) + " = 1\n"})
files_case("yaml_key_8MiB", "either", {"k.yaml": "a" * (8 * MIB) + ": 1\n"})
files_case("yaml_quoted_key_8MiB", "either", {"k.yaml": '"' + "a" * (8 * MIB) + '": 1\n'})
files_case("json_key_8MiB", "either", {"k.json": '{"' + "a" * (8 * MIB) + '": 1}'})

# YAML alias expansion bombs.
laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
files_case("yaml_billion_laughs", "invalid", {"bomb.yaml": laughs})
files_case("yaml_billion_laughs_in_a_key_position", "invalid",
           {"bomb.yaml": laughs.replace("i: &i", "i: &i").rstrip("\n") + "\nkeys:\n  *i : 1\n"})
files_case("yaml_quadratic_blowup", "invalid",
           {"bomb.yaml": 'a: &a "' + "x" * MIB + '"\nb: [' + ",".join(["*a"] * 100) + "]\n"})
files_case("yaml_nested_aliases_deep", "invalid",
           {"bomb.yaml": "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 400))})
files_case("yaml_bomb_in_a_second_document", "invalid", {"bomb.yaml": "a: 1\n---\n" + laughs})
files_case("yaml_two_documents_in_one_layer_are_copied", "works", {"two.yaml": "--- a\n--- b\n"})
files_case("yaml_two_documents_merged", "invalid", {"agent.yaml": "name: x\n---\nname: y\n"}, "agent.yaml")
files_case("yaml_small_aliases_work", "works", {"ok.yaml": "a: &a {x: 1}\nb: *a\nc: [*a, *a]\n"})

# Duplicate keys (yaml-cpp and toml++ differ on what they notice by themselves).
files_case("dup_yaml_nested", "invalid", {"d.yaml": "a:\n  b: 1\n  c: 2\n  b: 3\n"})
files_case("dup_yaml_flow", "invalid", {"d.yaml": "{a: 1, a: 2}"})
files_case("dup_yaml_null_key", "either", {"d.yaml": "~: 1\nnull: 2\n"})
files_case("dup_json_nested", "invalid", {"d.json": '{"x": {"a": 1, "b": 2, "a": 3}}'})
files_case("dup_toml_table_and_dotted", "invalid", {"d.toml": "[a]\nb = 1\n[a.b]\nc = 1\n"})
files_case("dup_toml_quoted_and_bare", "invalid", {"d.toml": 'a = 1\n"a" = 2\n'})

# Size limits.


@case("invalid", "huge.json")
def oversized_json_by_one_byte(layer, tmp):
    write_tree(layer, {"huge.json": '"' + "x" * (LIMIT - 1) + '"'})


@case("invalid", "sparse.json")
def sparse_2GiB_structured_file_is_refused_without_reading_it(layer, tmp):
    layer.mkdir(parents=True, exist_ok=True)
    with open(layer / "sparse.json", "wb") as f:
        f.truncate(2048 * MIB)


@case("invalid", "sparse.yaml")
def sparse_2GiB_yaml_file(layer, tmp):
    layer.mkdir(parents=True, exist_ok=True)
    with open(layer / "sparse.yaml", "wb") as f:
        f.truncate(2048 * MIB)


@case("works")
def structured_file_at_exactly_the_limit(layer, tmp):
    write_tree(layer, {"max.json": '"' + "x" * (LIMIT - 2) + '"'})


@case("works")
def large_unstructured_file_is_streamed(layer, tmp):
    layer.mkdir(parents=True, exist_ok=True)
    with open(layer / "big.bin", "wb") as f:  # sparse: cheap to make, 96 MiB to copy
        f.seek(96 * MIB - 5)
        f.write(b"tail\n")


# Names: odd but valid ones must WORK, in one layer and merged across two.
ODD_NAMES = ["with space.txt", "new\nline.txt", "-n", "--help", "-rf.toml", "a b/c d/e f.json",
             "-d/--x.yaml", "ü/ñ.toml", "back\\slash.txt", "co:lon.txt", "tab\there.txt", " lead.txt",
             "trail .txt", ".hidden", "dir/..not-kubelet", "quote\"s'.txt", "*glob?.txt", "%s%n.txt",
             "x" * 255]


@case("works")
def odd_names_work(layer, tmp):
    files = {}
    for name in ODD_NAMES:
        ext = name.rsplit(".", 1)[-1] if "." in name else ""
        files[name] = {"toml": 'k = "v"\n', "json": '{"k": "v"}', "yaml": "k: v\n"}.get(ext, f"content of {name!r}\n")
    write_tree(layer, files)


@case("works")
def odd_names_merged_across_layers(layer, tmp):
    write_tree(layer, {"-rf.toml": 'k = "high"\n', "new\nline.json": '{"h": 1}', "with space.yaml": "h: 1\n"})
    write_tree(tmp / "extra-low", {"-rf.toml": 'k = "low"\nlow = 1\n', "new\nline.json": '{"l": 1}',
                                   "with space.yaml": "l: 1\n"})


@case("either", "bad")
def non_utf8_file_name(layer, tmp):
    write_tree(layer, {b"bad\xff\xfename.txt": "x\n"})


@case("either", "bad")
def non_utf8_directory_name(layer, tmp):
    write_tree(layer, {b"bad\xc0dir/a.toml": "a = 1\n"})


@case("works")
def layer_directory_with_a_leading_dash(layer, tmp):
    # The runner names this layer "-hostile" and passes it as ./-hostile.
    write_tree(layer, {"-x.toml": "a = 1\n", "--.txt": "x\n"})


def many_keys(fmt, n, offset=0):
    if fmt == "json":
        return "{" + ",".join(f'"k{i + offset}": {i}' for i in range(n)) + "}"
    if fmt == "yaml":
        return "".join(f"k{i + offset}: {i}\n" for i in range(n))
    return "".join(f"k{i + offset} = {i}\n" for i in range(n))


for fmt in ("json", "yaml", "toml"):
    def merged_many_keys(layer, tmp, fmt=fmt):
        """The same file with 100k keys in two layers: merging must not be quadratic."""
        write_tree(tmp / "extra-low", {f"many.{fmt}": many_keys(fmt, 100_000)})
        write_tree(layer, {f"many.{fmt}": many_keys(fmt, 100_000, offset=50_000)})
    CASES[f"merged_100k_keys_{fmt}"] = ("either", merged_many_keys, f"many.{fmt}")
    files_case(f"single_300k_keys_{fmt}", "either", {f"k.{fmt}": many_keys(fmt, 300_000)})


# Symlinks.

def links(layer, entries, files=None):
    write_tree(layer, files or {"inside.txt": "inside\n", "dir/in.txt": "in\n"})
    for name, target in entries.items():
        path = layer / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)


@case("invalid", "rel")
def symlink_escape_relative(layer, tmp):
    (tmp / "outside.txt").write_text("secret\n")
    links(layer, {"rel": "../outside.txt"})


@case("invalid", "abs")
def symlink_escape_absolute(layer, tmp):
    (tmp / "outside.txt").write_text("secret\n")
    links(layer, {"abs": str(tmp / "outside.txt")})


@case("invalid", "etc")
def symlink_escape_to_a_system_directory(layer, tmp):
    links(layer, {"etc": "/etc"})


@case("invalid", "c0")
def symlink_chain_that_escapes(layer, tmp):
    (tmp / "outside").mkdir()
    links(layer, {"c0": "c1", "c1": "dir/c2", "dir/c2": "../../outside"})


@case("works")
def symlink_chain_that_stays_inside(layer, tmp):
    links(layer, {"c0": "c1", "c1": "dir/c2", "dir/c2": "../inside.txt", "dlink": "dir"})


@case("invalid", "up")
def symlink_escape_through_a_directory_link(layer, tmp):
    (tmp / "outside").mkdir()
    (tmp / "outside/x.txt").write_text("x\n")
    links(layer, {"sub/up": "../../outside"})


@case("invalid", "self")
def symlink_loop_to_itself(layer, tmp):
    links(layer, {"self": "self"})


@case("invalid", "loop1")
def symlink_loop_of_two(layer, tmp):
    links(layer, {"loop1": "loop2", "loop2": "loop1"})


@case("invalid", "up")
def directory_loop_through_a_parent_link(layer, tmp):
    links(layer, {"dir/up": ".."})


@case("invalid", "root")
def directory_loop_through_the_root(layer, tmp):
    links(layer, {"dir/root": str(layer)})


@case("invalid", "dangling")
def dangling_symlink(layer, tmp):
    links(layer, {"dangling": "nowhere"})


@case("invalid", "null")
def symlink_to_dev_null(layer, tmp):
    links(layer, {"null": "/dev/null"})


@case("invalid", "..data")
def kubelet_data_link_escaping(layer, tmp):
    (tmp / "evil").mkdir()
    (tmp / "evil/config.toml").write_text("x = 1\n")
    layer.mkdir()
    os.symlink(str(tmp / "evil"), layer / "..data")
    os.symlink("..data/config.toml", layer / "config.toml")


@case("invalid", "other")
def symlink_into_another_layer(layer, tmp):
    links(layer, {"other": "../good/config.toml"})


@case("invalid")
def symlink_fan_out_is_bounded(layer, tmp):
    """Directories that each link twice to the next: 2^40 paths from 80 symlinks. Reading
    must stop with an input error, not take forever or exhaust memory."""
    write_tree(layer, {"d40/f.txt": "x\n"})
    for i in range(40):
        (layer / f"d{i}").mkdir(exist_ok=True)
        os.symlink(f"../d{i + 1}", layer / f"d{i}/a")
        os.symlink(f"../d{i + 1}", layer / f"d{i}/b")


# Special files.

@case("invalid", "fifo")
def fifo_in_a_layer(layer, tmp):
    write_tree(layer, {"ok.txt": "ok\n"})
    os.mkfifo(layer / "fifo")


@case("invalid", "fifo.json")
def fifo_named_like_a_structured_file(layer, tmp):
    write_tree(layer, {"ok.txt": "ok\n"})
    os.mkfifo(layer / "fifo.json")


@case("invalid", "fifo")
def symlink_to_a_fifo_inside(layer, tmp):
    write_tree(layer, {"ok.txt": "ok\n"})
    os.mkfifo(layer / "the-fifo")
    os.symlink("the-fifo", layer / "to-fifo")


@case("invalid", "chr")
def character_device(layer, tmp):
    write_tree(layer, {"ok.txt": "ok\n"})
    os.mknod(layer / "chr", 0o644 | stat.S_IFCHR, os.makedev(1, 3))


@case("invalid", "blk")
def block_device(layer, tmp):
    write_tree(layer, {"ok.txt": "ok\n"})
    os.mknod(layer / "blk", 0o644 | stat.S_IFBLK, os.makedev(7, 0))


@case("invalid", "sock")
def unix_socket(layer, tmp):
    import socket
    write_tree(layer, {"ok.txt": "ok\n"})
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(layer / "sock"))
    s.close()


# Layers and destinations that are not plain directories.

@case("works")
def layer_that_is_a_symlink(layer, tmp):
    write_tree(tmp / "real-layer", {"from-link.txt": "via a symlinked layer\n"})
    os.symlink(tmp / "real-layer", layer)


@case("works")
def layer_that_is_a_relative_symlink_chain(layer, tmp):
    write_tree(tmp / "real-layer", {"from-link.txt": "via two links\n"})
    os.symlink("real-layer", tmp / "link1")
    os.symlink("link1", layer)


@case("invalid", "hostile")
def layer_that_is_a_regular_file(layer, tmp):
    layer.write_text("not a directory\n")


@case("invalid", "hostile")
def layer_that_is_a_symlink_to_a_file(layer, tmp):
    (tmp / "file").write_text("x\n")
    os.symlink(tmp / "file", layer)


@case("invalid", "hostile")
def layer_that_is_a_symlink_loop(layer, tmp):
    os.symlink(layer.name, layer)


def ids():
    return sorted(CASES)


# ------------------------------------------------------------------ the runner

ROOT_ONLY = ("character_device", "block_device")  # mknod


@pytest.fixture
def setup(tmp):
    good = write_tree(tmp / "good", GOOD)
    dest = tmp / "dest"
    r = run("--layer", good, "--dest", dest)
    assert r.code == 0, r
    (dest / "app-state.db").write_bytes(b"the app's own data\n")
    return good, dest


def check_log_lines_are_json(result):
    for line in result.stderr.splitlines():
        if line.strip():
            json.loads(line)  # every log line is one JSON object, even for odd names


@pytest.mark.parametrize("cid", ids())
def test_hostile_input(cid, tmp, setup):
    good, dest = setup
    if cid in ROOT_ONLY and not relutil.is_root():
        pytest.skip("device nodes need root")
    expect, build, name = CASES[cid]
    layer = tmp / ("-hostile" if "leading_dash" in cid else "hostile")
    build(layer, tmp)
    layers = ["--layer", good]
    if (tmp / "extra-low").exists():
        layers += ["--layer", tmp / "extra-low"]
    layers += ["--layer", f"./{layer.name}" if "leading_dash" in cid else layer]
    before = snapshot(dest)
    tlog = tmp / "termination-log"
    result = run(*layers, "--dest", dest, "--termination-log", tlog, cwd=tmp)

    assert result.code != "timeout", f"{cid}: no answer within {relutil.TIME_LIMIT}s"
    assert result.code in (0, 3), f"{cid}: exit {result.code} (expected 0 or 3): {result!r}"
    check_log_lines_are_json(result)
    assert temporaries(dest) == [], f"{cid}: temporary files left"
    if result.code == 3:
        message = result.error()
        assert expect != "works", f"{cid} is valid and must work, but: {message}"
        if name:
            assert name in message, f"{cid}: the message does not name {name!r}: {message!r}"
        assert snapshot(dest) == before, f"{cid}: exit 3 but the destination changed"
        assert tlog.exists() and 0 < tlog.stat().st_size <= 1024, f"{cid}: termination log"
        assert "exit 3" in tlog.read_text(errors="replace").splitlines()[-1]
    else:
        assert expect != "invalid", f"{cid} must be refused (exit 3), but it exited 0: {result!r}"
        verify = run("verify", "--dest", dest)
        assert verify.code == 0, f"{cid}: verify after a successful run: {verify!r}"
        assert (dest / "app-state.db").read_bytes() == b"the app's own data\n"
        for rel, st in relutil.walk(dest):
            assert not stat.S_ISLNK(st.st_mode), f"{cid}: a symlink in the destination: {rel!r}"


def test_odd_names_land_byte_for_byte(tmp, setup):
    good, dest = setup
    layer = tmp / "hostile"
    odd_names_work(layer, tmp)
    r = run("--layer", good, "--layer", f"./{layer.name}", "--dest", dest, cwd=tmp)
    assert r.code == 0, r
    for name in ODD_NAMES:
        assert (dest / name).read_bytes() == (layer / name).read_bytes(), name
    recorded = relutil.manifest_files(dest)
    assert set(ODD_NAMES) <= set(recorded)


def test_destination_that_is_a_symlink_is_refused(tmp, setup):
    good, dest = setup
    os.symlink(dest, tmp / "dest-link")
    before = snapshot(dest)
    r = run("--layer", good, "--dest", tmp / "dest-link")
    assert r.code == 3 and "symlink" in r.error() and "dest-link" in r.error(), r
    assert snapshot(dest) == before


def test_destination_that_is_a_regular_file_is_refused(tmp, setup):
    good, _ = setup
    (tmp / "file").write_text("x\n")
    for dest in (tmp / "file", tmp / "file" / "sub"):
        r = run("--layer", good, "--dest", dest)
        assert r.code == 3, f"--dest {dest}: {r!r}"
        assert str(dest) in r.error(), r
    assert (tmp / "file").read_text() == "x\n"


def test_destination_that_is_a_fifo_or_a_device_is_refused(tmp, setup, needs_root):
    good, _ = setup
    os.mkfifo(tmp / "fifo")
    os.mknod(tmp / "null", 0o644 | stat.S_IFCHR, os.makedev(1, 3))
    for dest in (tmp / "fifo", tmp / "null"):
        r = run("--layer", good, "--dest", dest, timeout=10)
        assert r.code == 3, f"--dest {dest}: {r!r}"


def test_hostile_spec_files_are_usage_errors(tmp, setup):
    good, dest = setup
    specs = {"bomb": laughs, "garbage": ",", "deep": "a: " + "[" * 100_000, "dup": "strict: true\nstrict: false\n"}
    for name, text in specs.items():
        spec = tmp / f"{name}.yaml"
        spec.write_text(text)
        r = run("--layer", good, "--dest", dest, "--spec", spec)
        assert r.code == 2, f"spec {name}: {r!r}"
        assert str(spec) in r.error(), r


def test_three_way_merge_of_a_large_app_edited_file_is_bounded(tmp, setup):
    """The app edited a merged file with 50k keys; the layers changed too. The three-way merge
    (and the tree comparisons around it) must not be quadratic in the number of keys."""
    good, dest = setup
    low = write_tree(tmp / "low", {"many.json": many_keys("json", 50_000)})
    high = write_tree(tmp / "high", {"many.json": many_keys("json", 50_000, offset=25_000)})
    r = run("--layer", low, "--layer", high, "--dest", dest)
    assert r.code == 0, r
    edited = json.loads((dest / "many.json").read_text())
    edited["added-by-the-app"] = True
    (dest / "many.json").write_text(json.dumps(edited, indent=2))
    (low / "many.json").write_text(many_keys("json", 50_000).replace('"k1": 1,', '"k1": 2,'))
    r = run("--layer", low, "--layer", high, "--dest", dest)
    assert r.code != "timeout", f"the three-way merge of 75k keys took over {relutil.TIME_LIMIT}s"
    assert r.code == 0, r
    merged = json.loads((dest / "many.json").read_text())
    assert merged["added-by-the-app"] is True and merged["k1"] == 2

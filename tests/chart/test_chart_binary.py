"""Chart and binary together: the ConfigMap and Secret the chart renders are laid
out on disk exactly as the kubelet mounts them, and build/config-init runs with
the init container's rendered command and arguments (its paths mapped into a
temporary directory, as the user and groups the pod would give it). The
resulting config directory must be what the agent needs: every file present as
a regular file it can rewrite, keys deep-merged, no kubelet internals, a manifest.

CONFIG_INIT_BIN: the binary under test (default build/config-init).
"""

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import tomllib
from pathlib import Path

import pytest

from chartlib import (AGENTS, REPO, deep_merge, kubelet_update, kubelet_volume, mount_files,
                      render, union_merge, volume_kind)
from chartlib import unmount_kubelet_tmpfs  # noqa: F401  (autouse: Secret volume tmpfs mounts)

BIN = Path(os.environ.get("CONFIG_INIT_BIN", REPO / "build" / "config-init"))
# Where the config-init image keeps what the Dockerfile copies in.
IMAGE_FILES = {
    "/usr/local/bin/config-init": BIN,
    "/etc/codex-defaults": REPO / "defaults" / "codex",
    "/etc/claude-defaults": REPO / "defaults" / "claude",
}

CASES = {
    "codex": {
        "overlay": {
            "settings": {
                "model": "o3",                                   # overrides a default
                "model_context_window": 200000,                  # a new key, an integer
                "projects": {"/work/repo": {"trust_level": "trusted"}},  # merges into a table
                "mcp_servers": {"docs": {"command": "npx", "args": ["-y", "docs-mcp"]}},
            },
            "files": {"AGENTS.md": "# Rules\nRun the tests.\n",
                      "prompts/review.md": "Review the diff.\n"},
        },
        "secret": {"auth.json": '{"OPENAI_API_KEY": "sk-test-not-real"}\n'},
        "runtime_edit": ("projects", "/home/codex/runtime", {"trust_level": "trusted"}),
    },
    "claude": {
        "overlay": {
            "settings": {
                "permissions": {"allow": ["Bash(git status)"], "defaultMode": "acceptEdits"},
                "env": {"FOO": "bar"},
            },
            "files": {"CLAUDE.md": "# Rules\n", "commands/review.md": "Review the diff.\n"},
        },
        "secret": {".credentials.json": '{"claudeAiOauth": {"accessToken": "not-real"}}\n'},
        "runtime_edit": ("env", "ADDED_AT_RUNTIME", "1"),
    },
}


@pytest.fixture(scope="module")
def binary():
    if not (BIN.is_file() and os.access(BIN, os.X_OK)):
        pytest.fail(f"config-init binary not found at {BIN}: run `make build` "
                    "(or set CONFIG_INIT_BIN)")
    for agent in AGENTS:
        defaults = REPO / "defaults" / agent
        if not any(defaults.glob("*")):
            pytest.fail(f"{defaults} is empty: the image's default layer is missing")
    return BIN


@pytest.fixture
def world():
    """A temporary root every user can traverse (pytest's tmp_path is 0700 root),
    since config-init runs as the pod's non-root uid."""
    root = Path(tempfile.mkdtemp(prefix="chart-binary-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


class Pod:
    """One rendered pod, its volumes on disk, and one of its init containers (by name,
    default config-init) run for real."""

    def __init__(self, rendered, agent, root, container="config-init"):
        self.rendered = rendered
        self.agent = agent
        self.root = root
        found = [c for c in rendered.init_containers if c["name"] == container]
        assert len(found) == 1, f"expected one init container named {container}"
        self.init = found[0]
        self.sc = self.init["securityContext"]
        pod_sc = rendered.pod["securityContext"]
        self.uid, self.gid = self.sc["runAsUser"], self.sc["runAsGroup"]
        self.fs_group = pod_sc["fsGroup"]
        self.as_root = os.geteuid() == 0
        self.volumes = {}   # volume name -> directory
        self.lay_out_image()
        self.lay_out_volumes()

    def lay_out_image(self):
        image = self.root / "image"
        for inside, source in IMAGE_FILES.items():
            target = image / inside.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(image)], check=True)

    def lay_out_volumes(self):
        for mount in self.init["volumeMounts"]:
            name = mount["name"]
            directory = self.root / "volumes" / name
            if name == "home":
                # With fsGroup the kubelet makes the home root:fsGroup and setgid, ORing in
                # rwx for the group: an emptyDir (0777) becomes 2777; a fresh PVC's root
                # (0755 on a new filesystem) 2775.
                directory.mkdir(parents=True)
                if self.as_root:
                    os.chown(directory, 0, self.fs_group)
                empty_dir = any(v["name"] == "home" and "emptyDir" in v
                                for v in self.rendered.pod.get("volumes", []))
                directory.chmod(0o2777 if empty_dir else 0o2775)
            elif "emptyDir" in self.rendered.volume(name):
                # Another emptyDir (the policy volume): 0777, with fsGroup root:fsGroup 2777.
                directory.mkdir(parents=True)
                if self.as_root:
                    os.chown(directory, 0, self.fs_group)
                directory.chmod(0o2777)
            else:
                files, mode = mount_files(self.rendered, name)
                kubelet_volume(directory, files, mode, gid=self.fs_group if self.as_root else None,
                               kind=volume_kind(self.rendered, name))
            self.volumes[name] = directory
        (self.root / "volumes").chmod(0o755)

    def host_path(self, path):
        """Where a path inside the init container is on this machine."""
        best = None
        for mount in self.init["volumeMounts"]:
            mp = mount["mountPath"].rstrip("/")
            if path == mp or path.startswith(mp + "/"):
                if best is None or len(mp) > len(best[0]):
                    best = (mp, self.volumes[mount["name"]])
        if best:
            return str(best[1]) + path[len(best[0]):]
        for inside in IMAGE_FILES:
            if path == inside or path.startswith(inside + "/"):
                return str(self.root / "image" / path.lstrip("/"))
        raise AssertionError(f"{path} is neither under a volume mount of the init container "
                             "nor in the config-init image")

    def host_argv(self, argv):
        """A command as the container runs it, its absolute paths mapped to this machine
        (also the FILE of `--schema GLOB=FILE`)."""
        mapped = []
        for i, arg in enumerate(argv):
            if arg.startswith("/"):
                arg = self.host_path(arg)
            elif i > 0 and argv[i - 1] == "--schema" and "=/" in arg:
                glob, path = arg.split("=", 1)
                arg = glob + "=" + self.host_path(path)
            mapped.append(arg)
        return mapped

    def command(self):
        return self.host_argv(self.init["command"] + self.init["args"])

    def _drop_privileges(self):
        os.setgroups([self.fs_group])
        os.setgid(self.gid)
        os.setuid(self.uid)

    def _env(self):
        env = {"PATH": "/usr/bin:/bin"}
        env.update({e["name"]: e["value"] for e in self.init.get("env", [])})
        return env

    def run_init(self, argv=None):
        return subprocess.run(argv or self.command(), capture_output=True, text=True,
                              env=self._env(),
                              preexec_fn=self._drop_privileges if self.as_root else None,
                              cwd=self.root, timeout=60)

    def start_sidecar(self, log):
        """Starts the container's command in the background (a sidecar), output to log."""
        return subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                env=self._env(),
                                preexec_fn=self._drop_privileges if self.as_root else None,
                                cwd=self.root)

    def probe(self, kind):
        """Runs the container's exec probe (startupProbe, readinessProbe) as the kubelet
        would, in the container: its exit code (0 = success)."""
        argv = self.host_argv(self.init[kind]["exec"]["command"])
        return self.run_init(argv).returncode

    @property
    def dest(self):
        args = self.init["args"]
        return Path(self.host_path(args[args.index("--dest") + 1]))


def render_pod(tools, tmp_path, agent, overlay, secret):
    values = {"agent": agent, "configInit": {"enabled": True},
              "overlay": overlay, "secret": {"files": secret}}
    return render(tools, tmp_path, values)


def json_lines(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "config-init logged nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"--log-format json, yet this log line is not JSON: {line!r}")
    return parsed


def parse(path):
    text = path.read_bytes()
    if path.suffix == ".toml":
        return tomllib.loads(text.decode())
    return json.loads(text)


def tree(directory):
    """{relative path: lstat} of everything under directory."""
    return {str(p.relative_to(directory)): p.lstat() for p in directory.rglob("*")}


def expected_main(pod, defaults_dir, overlay_text, main_file):
    args = pod.init["args"]
    union = f"{main_file}=union" in args and args[args.index(f"{main_file}=union") - 1] == "--arrays"
    merge = union_merge if union else deep_merge
    low = parse(defaults_dir / main_file)
    high = tomllib.loads(overlay_text) if main_file.endswith(".toml") else json.loads(overlay_text)
    return merge(low, high)


@pytest.mark.parametrize("agent", AGENTS)
def test_rendered_init_container_materialises_the_config_dir(tools, tmp_path, binary, world, agent):
    case = CASES[agent]
    a = AGENTS[agent]
    rendered = render_pod(tools, tmp_path, agent, case["overlay"], case["secret"])
    pod = Pod(rendered, agent, world)

    proc = pod.run_init()
    assert proc.returncode == 0, f"config-init exited {proc.returncode}:\n{proc.stderr}"
    json_lines(proc.stderr)
    for secret_text in case["secret"].values():
        assert secret_text.strip() not in proc.stderr, "secret content reached the log"

    dest = pod.dest
    assert dest == pod.volumes["home"] / Path(a["config_dir"]).relative_to(a["home"])
    overlay_files, _ = mount_files(rendered, "overlay")
    secret_files, _ = mount_files(rendered, "secret")
    defaults_dir = REPO / "defaults" / agent
    default_files = {str(p.relative_to(defaults_dir)) for p in defaults_dir.rglob("*") if p.is_file()}
    expected = set(overlay_files) | set(secret_files) | default_files

    entries = tree(dest)
    files = {p for p, st in entries.items()
             if not p.startswith(".config-init") and not stat.S_ISDIR(st.st_mode)}
    assert files == expected
    for p in sorted(entries):
        assert not any(part.startswith("..") for part in Path(p).parts), \
            f"kubelet bookkeeping copied into the config dir: {p}"
    for p in expected:
        st = entries[p]
        assert stat.S_ISREG(st.st_mode), f"{p} is not a regular file (symlink into a mount?)"
        # The agent (same uid) must be able to rewrite it.
        assert st.st_mode & stat.S_IWUSR, f"{p} is not writable by its owner"
        if pod.as_root:
            assert (st.st_uid, st.st_gid) == (pod.uid, pod.gid) or \
                (st.st_uid == pod.uid and st.st_gid == pod.fs_group), \
                f"{p} is owned by {st.st_uid}:{st.st_gid}, not the agent's {pod.uid}:{pod.gid}"
    for p in secret_files:
        assert stat.S_IMODE(entries[p].st_mode) == 0o600, f"secret {p} is not 0600"
    for p in set(overlay_files) - {a["main_file"]}:
        assert stat.S_IMODE(entries[p].st_mode) == 0o644, p

    # Files only in one layer arrive byte for byte; the main file is deep-merged.
    for p in set(overlay_files) - {a["main_file"]}:
        assert (dest / p).read_bytes() == overlay_files[p]
    for p in secret_files:
        assert (dest / p).read_bytes() == secret_files[p]
    merged = parse(dest / a["main_file"])
    assert merged == expected_main(pod, defaults_dir, overlay_files[a["main_file"]].decode(),
                                   a["main_file"])

    # The manifest records every managed file with its digest.
    manifest = json.loads((dest / ".config-init" / "manifest.json").read_text())
    recorded = {f["path"]: f for f in manifest["files"]}
    assert set(recorded) == expected
    for p, entry in recorded.items():
        assert entry["sha256"] == hashlib.sha256((dest / p).read_bytes()).hexdigest(), p
    assert [layer["secret"] for layer in manifest["layers"]] == [False, False, True]

    # The agent can rewrite its config as itself (Codex does, with temp file + rename).
    if pod.as_root:
        probe = subprocess.run(
            ["sh", "-c", 'f="$1"; cp "$f" "$f.tmp" && echo >> "$f.tmp" && mv "$f.tmp" "$f"',
             "sh", str(dest / a["main_file"])],
            preexec_fn=lambda: (os.setgroups([pod.fs_group]), os.setgid(pod.gid), os.setuid(pod.uid)),
            capture_output=True, text=True)
        assert probe.returncode == 0, f"the agent's uid cannot rewrite its config: {probe.stderr}"


@pytest.mark.parametrize("agent", AGENTS)
def test_pod_restart_and_configmap_update(tools, tmp_path, binary, world, agent):
    """The home volume outlives the pod: a restart re-runs the init container on the
    files it wrote before (rewrites nothing), keeps what the agent edited at run time,
    and a ConfigMap update (a new ..data swap) reaches the config directory."""
    case = CASES[agent]
    a = AGENTS[agent]
    rendered = render_pod(tools, tmp_path / "v1", agent, case["overlay"], case["secret"])
    pod = Pod(rendered, agent, world)
    first = pod.run_init()
    assert first.returncode == 0, first.stderr
    dest = pod.dest
    main = dest / a["main_file"]

    before = {p: (st.st_ino, st.st_mtime_ns) for p, st in tree(dest).items()
              if not p.startswith(".config-init")}
    again = pod.run_init()
    assert again.returncode == 0, again.stderr
    after = {p: (st.st_ino, st.st_mtime_ns) for p, st in tree(dest).items()
             if not p.startswith(".config-init")}
    assert after == before, "a second run with the same inputs rewrote files"

    # The agent edits its config at run time (as the agent's uid would).
    table, key, value = case["runtime_edit"]
    if main.suffix == ".toml":  # as Codex records a trusted project
        main.write_text(main.read_text() + f'\n[{table}."{key}"]\ntrust_level = "trusted"\n')
    else:
        doc = parse(main)
        doc[table][key] = value
        main.write_text(json.dumps(doc, indent=2) + "\n")
    assert parse(main)[table][key] == value

    # The user changes the overlay: helm upgrade -> new ConfigMap -> the kubelet swaps ..data.
    changed = json.loads(json.dumps(case["overlay"]))
    if agent == "codex":
        changed["settings"]["model"] = "o4-mini"
    else:
        changed["settings"]["env"]["FOO"] = "baz"
    rendered2 = render_pod(tools, tmp_path / "v2", agent, changed, case["secret"])
    files2, mode2 = mount_files(rendered2, "overlay")
    kubelet_update(pod.volumes["overlay"], files2, mode2,
                   gid=pod.fs_group if pod.as_root else None)
    pod.rendered = rendered2
    pod.init = rendered2.init_containers[0]
    assert pod.init["args"] == rendered.init_containers[0]["args"]

    third = pod.run_init()
    assert third.returncode == 0, third.stderr
    result = parse(main)
    assert result[table][key] == value, "the agent's runtime edit was lost"
    if agent == "codex":
        assert result["model"] == "o4-mini"
    else:
        assert result["env"]["FOO"] == "baz"
    assert not any(p.name.startswith("..") for p in dest.rglob("*"))


CHECK_CODEX = REPO / "tests" / "container" / "check-codex-config.sh"


def test_real_codex_accepts_the_result(tools, tmp_path, binary, world):
    """The config.toml the chart's overlay and config-init produce together is one the
    real Codex CLI accepts (--strict-config), via tests/container/check-codex-config.sh."""
    if not CHECK_CODEX.is_file():
        pytest.skip(f"{CHECK_CODEX} not present")
    case = CASES["codex"]
    pod = Pod(render_pod(tools, tmp_path, "codex", case["overlay"], case["secret"]), "codex", world)
    proc = pod.run_init()
    assert proc.returncode == 0, proc.stderr
    check = subprocess.run([str(CHECK_CODEX), str(pod.dest)], capture_output=True, text=True,
                           timeout=600)
    if check.returncode == 77:
        pytest.skip(f"real Codex CLI unavailable: {check.stdout}{check.stderr}")
    assert check.returncode == 0, check.stdout + check.stderr


def test_default_empty_configmap(tools, tmp_path, binary, world):
    """The chart's default ConfigMap is empty: the kubelet mounts ..data -> an empty
    directory, and config.toml is the image defaults."""
    rendered = render_pod(tools, tmp_path, "codex", {}, {})
    files, _ = mount_files(rendered, "overlay")
    assert files == {}
    pod = Pod(rendered, "codex", world)
    overlay = pod.volumes["overlay"]
    assert sorted(p.name for p in overlay.iterdir())[0] == "..2026_11_28_12_00_00.123"
    assert os.listdir(overlay / "..data") == []
    proc = pod.run_init()
    assert proc.returncode == 0, proc.stderr
    assert parse(pod.dest / "config.toml") == parse(REPO / "defaults" / "codex" / "config.toml")


def test_projected_overlay_volume(tools, tmp_path, binary, world):
    """The overlay as a projected volume (ConfigMap and Secret in one, as a chart using the
    config-init.initContainer template may mount it): a tmpfs root, 3777 with fsGroup."""
    case = CASES["codex"]
    rendered = render_pod(tools, tmp_path, "codex", case["overlay"], case["secret"])
    overlay = rendered.volume("overlay")
    secret = rendered.volume("secret")["secret"]
    name = overlay.pop("configMap")["name"]
    overlay["projected"] = {"defaultMode": 0o440, "sources": [
        {"configMap": {"name": name}},
        {"secret": {"name": secret["secretName"], "items": secret["items"]}}]}
    pod = Pod(rendered, "codex", world)
    root = pod.volumes["overlay"]
    if pod.as_root:
        assert stat.S_IMODE(root.stat().st_mode) == 0o3777 and root.stat().st_gid == pod.fs_group
        assert any(line.split()[1] == str(root) and line.split()[2] == "tmpfs"
                   for line in Path("/proc/mounts").read_text().splitlines())
    assert (root / "auth.json").is_symlink() and (root / "config.toml").is_symlink()
    proc = pod.run_init()
    assert proc.returncode == 0, proc.stderr
    assert parse(pod.dest / "config.toml")["model"] == "o3"
    # In both layers here (the projected overlay and the Secret layer): merged, re-emitted.
    assert parse(pod.dest / "auth.json") == json.loads(case["secret"]["auth.json"])


# ---------------------------------------------------------------- configInit.mode: sidecar
#
# The sidecar runs `config-init watch` with materialize's flags. The first test needs
# only materialize; the ones marked needs_watch run the real `watch` and `status`
# (issue 11) and fail, loudly, against a binary without them. Deselect them with
# -m "not needs_watch" only while that binary is not built yet.

def render_sidecar(tools, tmp_path, agent, overlay, secret, **config_init):
    values = {"agent": agent,
              "configInit": {"enabled": True, "mode": "sidecar", **config_init},
              "overlay": overlay, "secret": {"files": secret}}
    return render(tools, tmp_path, values)


def materialize_argv(pod):
    """The sidecar's command with `watch` and its own flags taken out: materialize's."""
    args = list(pod.init["args"])
    assert args[0] == "watch", args
    for flag in ("--resync", "--debounce"):
        if flag in args:
            i = args.index(flag)
            del args[i:i + 2]
    return pod.host_argv(pod.init["command"] + ["materialize"] + args[1:])


@pytest.mark.parametrize("agent", AGENTS)
def test_sidecar_flags_are_materialize_flags(tools, tmp_path, binary, agent):
    """Every flag the sidecar passes to watch besides --resync/--debounce is one the
    released materialize accepts, and gives the same directory as the init container."""
    case = CASES[agent]
    results = {}
    for mode in ("init", "sidecar"):
        root = Path(tempfile.mkdtemp(prefix=f"chart-binary-{mode}-"))
        try:
            root.chmod(0o755)
            if mode == "init":
                pod = Pod(render_pod(tools, tmp_path / mode, agent, case["overlay"], case["secret"]),
                          agent, root)
                proc = pod.run_init()
            else:
                pod = Pod(render_sidecar(tools, tmp_path / mode, agent, case["overlay"],
                                         case["secret"], resync="30s", debounce="200ms"),
                          agent, root)
                assert pod.host_argv(pod.init["startupProbe"]["exec"]["command"])[-1] == str(pod.dest)
                proc = pod.run_init(materialize_argv(pod))
            assert proc.returncode == 0, f"{mode}: {proc.stderr}"
            results[mode] = {p: (pod.dest / p).read_bytes() for p, st in tree(pod.dest).items()
                             if not p.startswith(".config-init") and stat.S_ISREG(st.st_mode)}
        finally:
            shutil.rmtree(root, ignore_errors=True)
    assert results["sidecar"] == results["init"]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Sidecar:
    """The sidecar process of one Pod: started, watched for an early exit, stopped."""

    def __init__(self, pod, root):
        self.pod = pod
        self.log_path = root / "sidecar.log"
        self.log = open(self.log_path, "w")
        self.proc = pod.start_sidecar(self.log)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self):
        if self.proc.poll() is not None:
            pytest.fail(f"config-init {self.pod.init['args'][0]} exited {self.proc.returncode}:\n"
                        f"{self.output()}")
        return True

    def probe_ok(self, kind):
        self.alive()
        return self.pod.probe(kind) == 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def close(self):
        self.stop()
        self.log.close()


def app_rewrite(pod, path, edit):
    """The agent rewrites its config as Codex does: temp file + rename, as its uid.
    edit is (table, key, value): for TOML a [table."key"] section is appended (how Codex
    records a trusted project), for JSON the document is rewritten with the key set."""
    table, key, value = edit
    if path.suffix == ".toml":
        text = path.read_text() + f'\n[{table}."{key}"]\ntrust_level = "trusted"\n'
    else:
        doc = parse(path)
        doc.setdefault(table, {})[key] = value
        text = json.dumps(doc, indent=2) + "\n"
    tmp = path.with_name(path.name + ".app-tmp")
    tmp.write_text(text)
    if pod.as_root:
        os.chown(tmp, pod.uid, pod.gid)
    os.rename(tmp, path)
    assert parse(path)[table][key] == value


BAD_MAIN = {"config.toml": b"model = = not toml\n", "settings.json": b'{"env": \n'}


@pytest.mark.needs_watch
@pytest.mark.parametrize("agent", AGENTS)
def test_sidecar_watch_follows_configmap_updates(tools, tmp_path, binary, world, agent):
    """The rendered sidecar, run for real: the startup probe passes only after the first
    run; a ConfigMap update (a kubelet ..data swap) reaches the directory with the app's
    edit kept; a bad update leaves the directory as it was and the readiness probe fails;
    a good one makes it pass again; SIGTERM ends it with exit 0."""
    case = CASES[agent]
    a = AGENTS[agent]
    rendered = render_sidecar(tools, tmp_path / "v1", agent, case["overlay"], case["secret"],
                              debounce="200ms", resync="60s")
    pod = Pod(rendered, agent, world)
    main = pod.dest / a["main_file"]
    assert pod.probe("startupProbe") != 0, "status succeeded before any run"
    sidecar = Sidecar(pod, world)
    try:
        started = time.monotonic()
        wait_for(lambda: sidecar.probe_ok("startupProbe"), 30, "the startup probe")
        print(f"{agent}: startup probe passed {time.monotonic() - started:.2f} s after start")
        assert pod.probe("readinessProbe") == 0
        overlay_files, _ = mount_files(rendered, "overlay")
        assert parse(main) == expected_main(pod, REPO / "defaults" / agent,
                                            overlay_files[a["main_file"]].decode(), a["main_file"])

        table, key, value = case["runtime_edit"]
        app_rewrite(pod, main, case["runtime_edit"])

        changed = json.loads(json.dumps(case["overlay"]))
        if agent == "codex":
            changed["settings"]["model"], field, new = "o4-mini", ("model",), "o4-mini"
        else:
            changed["settings"]["env"]["FOO"], field, new = "baz", ("env", "FOO"), "baz"

        def current(doc):
            for f in field:
                doc = doc[f]
            return doc

        good, mode = mount_files(render_sidecar(tools, tmp_path / "v2", agent, changed,
                                                case["secret"]), "overlay")
        gid = pod.fs_group if pod.as_root else None
        swapped = time.monotonic()
        kubelet_update(pod.volumes["overlay"], good, mode, "..2026_12_01_10_00_00.001", gid)
        wait_for(lambda: sidecar.alive() and current(parse(main)) == new, 20, "the update in DEST")
        print(f"{agent}: swap to DEST {time.monotonic() - swapped:.2f} s")
        assert parse(main)[table][key] == value, "the app's edit was lost"
        assert pod.probe("readinessProbe") == 0

        before = main.read_bytes()
        bad = dict(good)
        bad[a["main_file"]] = BAD_MAIN[a["main_file"]]
        kubelet_update(pod.volumes["overlay"], bad, mode, "..2026_12_01_10_01_00.002", gid)
        wait_for(lambda: not sidecar.probe_ok("readinessProbe"), 20, "readiness to fail")
        assert main.read_bytes() == before, "a bad update changed DEST"
        assert sidecar.alive()

        changed2 = json.loads(json.dumps(changed))
        if agent == "codex":
            changed2["settings"]["model"], new = "o5", "o5"
        else:
            changed2["settings"]["env"]["FOO"], new = "qux", "qux"
        good2, _ = mount_files(render_sidecar(tools, tmp_path / "v3", agent, changed2,
                                              case["secret"]), "overlay")
        kubelet_update(pod.volumes["overlay"], good2, mode, "..2026_12_01_10_02_00.003", gid)
        wait_for(lambda: sidecar.probe_ok("readinessProbe"), 20, "readiness to pass again")
        assert current(parse(main)) == new
        assert parse(main)[table][key] == value, "the app's edit was lost"
        assert not any(p.name.startswith("..") for p in pod.dest.rglob("*"))

        stopping = time.monotonic()
        code = sidecar.stop()
        assert code == 0, f"watch exited {code} on SIGTERM:\n{sidecar.output()}"
        assert time.monotonic() - stopping < 2, "watch took over 2 s to stop when idle"
    finally:
        sidecar.close()


@pytest.mark.needs_watch
@pytest.mark.parametrize("agent", AGENTS)
def test_sidecar_first_run_failure_keeps_the_agent_back(tools, tmp_path, binary, world, agent):
    """A bad first config: watch exits with materialize's exit code (the kubelet restarts
    it, the agent never starts), and the startup probe never passes."""
    case = CASES[agent]
    a = AGENTS[agent]
    rendered = render_sidecar(tools, tmp_path, agent, case["overlay"], case["secret"])
    pod = Pod(rendered, agent, world)
    good, mode = mount_files(rendered, "overlay")
    bad = dict(good)
    bad[a["main_file"]] = BAD_MAIN[a["main_file"]]
    kubelet_update(pod.volumes["overlay"], bad, mode, "..2026_12_01_11_00_00.001",
                   pod.fs_group if pod.as_root else None)
    expected = pod.run_init(materialize_argv(pod))
    assert expected.returncode not in (0, None), expected.stderr
    watch = pod.run_init()
    assert watch.returncode == expected.returncode, \
        f"watch exited {watch.returncode}, materialize {expected.returncode}:\n{watch.stderr}"
    assert pod.probe("startupProbe") != 0
    assert not (pod.dest / a["main_file"]).exists()

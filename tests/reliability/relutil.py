"""Helpers of the reliability suite: running the real binary under limits, building
layer trees, snapshots and digests of destinations, private mount namespaces.

Kept out of conftest.py so that the stand-alone scripts (crash_trials.py) can import it too.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CONFIG_INIT_BIN", str(REPO / "build" / "config-init"))
# A sanitizer build (ASan reserves terabytes of address space): no --as limit then.
SANITIZED = os.environ.get("CONFIG_INIT_SANITIZED") == "1"

# `.config-init-<pid>-<n>.tmp`, as src/publish/atomic_file.cpp names temporary files.
TEMP_RE = re.compile(r"^\.config-init-\d+-\d+\.tmp$")
STATE = ".config-init"

# Limits every hostile-input run gets: address space and wall time.
MEMORY_LIMIT = 1024 * 1024 * 1024
TIME_LIMIT = 20 * (3 if SANITIZED else 1)


class Result:
    def __init__(self, code, stdout, stderr, seconds):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def log(self):
        """The JSON log lines (stderr is not a terminal, so the binary logs JSON)."""
        out = []
        for line in self.stderr.splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"unparsable": line})
        return out

    def error(self):
        """The message of the final error line, or ''."""
        for entry in reversed(self.log()):
            if entry.get("level") == "error":
                return entry.get("msg", "")
        return ""

    def summary(self):
        for entry in self.log():
            if entry.get("event") == "summary":
                return entry
        return None

    def __repr__(self):
        err = self.stderr if len(self.stderr) < 6000 else self.stderr[:3000] + "\n...\n" + self.stderr[-3000:]
        return f"<exit {self.code} after {self.seconds:.2f}s\nstdout:\n{self.stdout[:2000]}\nstderr:\n{err}>"


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIG_INIT_")}
    env["CONFIG_INIT_LOG_FORMAT"] = "json"
    if extra:
        env.update(extra)
    return env


def command(args, memory=None):
    """The command line for config-init ARGS under an address-space limit (prlimit)."""
    cmd = [BIN, *map(os.fsencode, args)]
    if memory and not SANITIZED and shutil.which("prlimit"):
        cmd = ["prlimit", f"--as={memory}", "--", *cmd]
    return cmd


def run(*args, env=None, timeout=TIME_LIMIT, memory=MEMORY_LIMIT, cwd=None, prefix=()):
    """Runs config-init ARGS with bounded memory and time. A timeout is reported as exit
    code 'timeout' instead of raising, so tests can assert on it with a clear message."""
    cmd = [*prefix, *command(args, memory)]
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, env=clean_env(env), timeout=timeout, cwd=cwd)
        code = done.returncode
        out, err = done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, out, err = "timeout", expired.stdout or b"", expired.stderr or b""
    return Result(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  time.monotonic() - start)


def write_tree(root, files):
    """Creates a plain tree: {relative path (str or bytes): text or bytes}."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = Path(os.fsdecode(os.fsencode(root) + b"/" + os.fsencode(rel)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def walk(root):
    """(relative path as bytes, lstat) of every entry below root, hidden ones included."""
    root_b = os.fsencode(root)
    out = []
    for dirpath, dirnames, filenames in os.walk(root_b):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            out.append((os.path.relpath(path, root_b), os.lstat(path)))
    return out


def snapshot(root, mtimes=True):
    """Every entry below `root`: type, mode, and content digest, link target, or nothing;
    with `mtimes`, file mtimes and inode numbers too ('byte for byte as before' and 'not
    rewritten'). None when root does not exist. Directory mtimes are left out: the lock and
    temporary files touch them without changing any content."""
    root = Path(root)
    if not os.path.lexists(root):
        return None
    result = {}
    for rel, st in walk(root):
        path = os.path.join(os.fsencode(root), rel)
        if stat.S_ISLNK(st.st_mode):
            result[rel] = ("link", os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            result[rel] = ("dir", oct(st.st_mode & 0o7777))
        elif stat.S_ISREG(st.st_mode):
            entry = ("file", oct(st.st_mode & 0o7777), sha256_file(path))
            result[rel] = entry + ((st.st_mtime_ns, st.st_ino) if mtimes else ())
        else:
            result[rel] = ("other", oct(st.st_mode))
    return result


def temporaries(root):
    """Relative paths of config-init temporary files anywhere below root."""
    if not os.path.isdir(root):
        return []
    return sorted(rel for rel, st in walk(root) if TEMP_RE.match(os.path.basename(rel).decode("latin-1")))


def content_digests(root, include_state=False):
    """{relative path (str): sha256} of the regular files below root; config-init's own
    .config-init/ left out unless include_state."""
    out = {}
    for rel, st in walk(root):
        rel_s = os.fsdecode(rel)
        if not include_state and (rel_s == STATE or rel_s.startswith(STATE + "/")):
            continue
        if stat.S_ISREG(st.st_mode):
            out[rel_s] = sha256_file(os.path.join(os.fsencode(root), rel))
    return out


def manifest(dest):
    return json.loads((Path(dest) / STATE / "manifest.json").read_text())


def manifest_files(dest):
    """{path: sha256} recorded in DEST's manifest."""
    return {f["path"]: f["sha256"] for f in manifest(dest)["files"]}


def is_root():
    return os.geteuid() == 0


def can_unshare():
    """True when `unshare -m` works here (root, util-linux)."""
    if not is_root() or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                          capture_output=True).returncode == 0


def in_mount_namespace(script, env=None, timeout=120):
    """Runs the bash `script` in a private mount namespace: every mount it makes disappears
    with it, whatever happens (no cleanup can be forgotten, no mount leaks to the host)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-euo", "pipefail",
                           "-c", script], capture_output=True, text=True, env=full_env,
                          timeout=timeout)
    return done


def copy_tree(src, dst):
    """cp -a (keeps modes, mtimes, symlinks)."""
    subprocess.run(["cp", "-a", "--", str(src), str(dst)], check=True)


def remove_tree(path):
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--", str(path)], check=True)

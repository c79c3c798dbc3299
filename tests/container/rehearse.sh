#!/usr/bin/env bash
# Rehearses the config-init image as a Kubernetes init container would run it,
# on this machine, with a Docker-compatible engine.
#
# Usage: DOCKER=podman tests/container/rehearse.sh [IMAGE]     (default IMAGE: config-init:dev)
# Env:   DOCKER   engine command (default: docker)
#        CODEX    optional path of the codex binary: the merged config.toml is
#                 then also checked with tests/container/check-codex-config.sh
#        KEEP=1   keep the temporary directory for inspection
# Exit:  0 when every check passed, 1 otherwise; ends with "N passed, N failed".
#
# What it mimics:
# - the overlay is laid out exactly as the kubelet's AtomicWriter lays out a
#   ConfigMap volume (timestamped dir, relative `..data` symlink, one
#   top-level symlink per key) and is mounted read-only;
# - the destination is a host directory created like an emptyDir (mode 0777);
# - the container runs as the "restricted" Pod Security Standard demands,
#   plus readOnlyRootFilesystem and no network;
# - the termination-log file is a 0666 file bind-mounted at /dev/termination-log;
# - last, `watch` runs detached as a native sidecar would, `status` is its exec probe,
#   and the overlay is swapped the kubelet's way under it (good, bad, good).
set -euo pipefail

DOCKER=${DOCKER:-docker}
image=${1:-config-init:dev}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
max_size=$((5 * 1000 * 1000))   # "under 5 MB"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...: runs the command, records the result
  local what=$1; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}
indent() { sed 's/^/       | /'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/config-init-rehearse.XXXXXX")
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work"; return; fi
  # Files written by uid 65532 may not be removable by a non-root caller.
  rm -rf "$work" 2>/dev/null ||
    { [[ $DOCKER == *podman* ]] && podman unshare rm -rf "$work" 2>/dev/null; } ||
    echo "note: could not remove $work (files owned by uid 65532); remove it with sudo" >&2
}
trap cleanup EXIT

echo "# config-init container rehearsal: $DOCKER, image $image"
echo "# work dir: $work"

# ---- the image itself -------------------------------------------------------------
if ! $DOCKER image inspect "$image" >/dev/null 2>&1; then
  bad "image $image exists (build it first: make image DOCKER=$DOCKER)"
  echo "$pass passed, $fail failed"
  exit 1
fi
ok "image $image exists"

user=$($DOCKER image inspect --format '{{.Config.User}}' "$image")
check "image runs as 65532:65532 (User is '$user')" test "$user" = "65532:65532"

size=$($DOCKER image inspect --format '{{.Size}}' "$image")
echo "       image size: $size bytes ($((size / 1024)) KiB)"
check "image is under 5 MB ($size < $max_size bytes)" test "$size" -lt "$max_size"

if $DOCKER run --rm --network none --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1; then
  bad "image has no shell (/bin/sh ran)"
else
  ok "image has no shell (--entrypoint /bin/sh fails)"
fi

# The image's files: the binary and the default layers, nothing else (the
# engine adds a few empty files to a created container: left out).
cid=$($DOCKER create "$image")
files=$($DOCKER export "$cid" | tar -t | grep -v '/$' |
  grep -Ev '^(\.dockerenv|etc/(hostname|hosts|resolv\.conf|mtab)|(dev|proc|sys|run)/.*)$' |
  LC_ALL=C sort) || files=
$DOCKER rm "$cid" >/dev/null
echo "       image files: $(echo "$files" | head -10 | tr '\n' ' ')$([ "$(echo "$files" | wc -l)" -le 10 ] || echo ...)"
extra=$(echo "$files" | grep -Ev '^(usr/local/bin/config-init|etc/(codex|claude)-defaults/.+|usr/share/config-init/schemas/[^/]+\.json)$' | head -5 | tr '\n' ' ' || true)
only_expected_files() { [ -z "$extra" ] && echo "$files" | grep -qx usr/local/bin/config-init; }
check "image holds only config-init, /etc/{codex,claude}-defaults/ (and SCHEMA_URLS schemas)${extra:+ (also: $extra)}" \
  only_expected_files

version=$($DOCKER run --rm --network none "$image" --version 2>&1) && rc=0 || rc=$?
check "--version exits 0 ('$version')" test "$rc" -eq 0

# ---- a ConfigMap volume, laid out as the kubelet does ------------------------------
overlay=$work/codex-config
ts1=..2026_11_28_12_00_00.123456789
mkdir -p "$overlay/$ts1"
cat >"$overlay/$ts1/config.toml" <<'EOF'
# ConfigMap overlay: carries only the deltas over /etc/codex-defaults.
model = "gpt-5-codex"

[mcp_servers.docs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "/home/codex/workspace"]
EOF
cat >"$overlay/$ts1/AGENTS.md" <<'EOF'
# Team instructions

Run `make test` before every commit.
EOF
chmod 0755 "$overlay" "$overlay/$ts1"
chmod 0644 "$overlay/$ts1"/*
ln -s "$ts1" "$overlay/..data"
ln -s ..data/config.toml "$overlay/config.toml"
ln -s ..data/AGENTS.md "$overlay/AGENTS.md"

# The destination, as an emptyDir: root-owned (here: the caller), mode 0777.
# auth.json stands for a file the app wrote at runtime: it must survive.
dest=$work/codex-home
mkdir -p "$dest"
chmod 0777 "$dest"
printf '{"OPENAI_API_KEY": "sk-rehearsal"}\n' >"$dest/auth.json"
chmod 0644 "$dest/auth.json"

# The kubelet's terminationMessagePath file: 0666, empty.
tlog=$work/termination-log
: >"$tlog"
chmod 0666 "$tlog"

# ---- run it as a restricted pod would ---------------------------------------------
run_flags=(--rm --read-only --cap-drop ALL --security-opt no-new-privileges
  --user 65532:65532 --network none
  -v "$overlay:/etc/codex-config:ro"
  -v "$dest:/home/codex/.codex"
  -v "$tlog:/dev/termination-log")
# podman adds tmpfs on /tmp, /run, /var/tmp under --read-only; a pod has none.
[[ $($DOCKER --version 2>/dev/null) == *podman* ]] && run_flags+=(--read-only-tmpfs=false)
materialize=(materialize --layer /etc/codex-defaults --layer /etc/codex-config --dest /home/codex/.codex)

run() { # run LOGFILE ARGS...: runs the image, stderr to LOGFILE, returns its exit code
  local log=$1; shift
  local rc=0
  $DOCKER run "${run_flags[@]}" "$image" "$@" >"$log.out" 2>"$log" || rc=$?
  cat "$log.out" >>"$log"
  return $rc
}

# Listing of the destination: type, mode and size of every entry; mtime and
# sha256 of every file (directory mtimes are left out: a lock file or a temp
# file created and removed again changes them without changing any content).
snapshot() {
  (cd "$dest" && find . -mindepth 1 -printf '%p %y %m %s\n' | LC_ALL=C sort &&
    find . -type f -printf '%p mtime %T@\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

echo "# run 1: defaults + overlay into an empty destination"
echo "#   $DOCKER run ${run_flags[*]} $image ${materialize[*]}"
rc=0
run "$work/run1.log" "${materialize[@]}" || rc=$?
indent <"$work/run1.log"
check "run 1 exits 0 (exit $rc)" test "$rc" -eq 0

cfg=$dest/config.toml
check "config.toml is a regular file, not a symlink" test -f "$cfg" -a ! -L "$cfg"
same_regular_file() { [ -f "$1" ] && [ ! -L "$1" ] && cmp -s "$1" "$2"; }
check "AGENTS.md (overlay only) is a regular file, byte-identical" \
  same_regular_file "$dest/AGENTS.md" "$overlay/$ts1/AGENTS.md"
leaked=$(cd "$dest" && find . -name '..*' -print | head -5)
check "no kubelet internals copied (..data, ..<timestamp>)${leaked:+: $leaked}" test -z "$leaked"
auth_untouched() { grep -q sk-rehearsal "$dest/auth.json" && [ "$(stat -c %a "$dest/auth.json")" = 644 ]; }
check "runtime file auth.json untouched" auth_untouched
if [ -s "$tlog" ]; then
  echo "       note: termination-log written on success: $(head -c 200 "$tlog")"
fi

# The merged config.toml: the overlay's keys win, every default key survives.
toml_checks() {
  python3 - "$cfg" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    doc = tomllib.load(f)
def get(path):
    node = doc
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return "<missing>"
        node = node[k]
    return node
expect = [
    (("model",), "gpt-5-codex", "overlay"),
    (("mcp_servers", "docs", "command"), "npx", "overlay"),
    (("sandbox_mode",), "danger-full-access", "default"),
    (("approval_policy",), "never", "default"),
    (("projects", "/home/codex/workspace", "trust_level"), "trusted", "default"),
]
bad = 0
for path, want, origin in expect:
    got = get(path)
    mark = "ok" if got == want else "MISMATCH"
    bad += got != want
    print(f"       {mark}: {'.'.join(path)} = {got!r} (want {want!r}, from the {origin})")
sys.exit(1 if bad else 0)
EOF
}
toml_checks_grep() { # fallback without Python 3.11's tomllib: line-based
  grep -Eq '^model *= *"gpt-5-codex"' "$cfg" && grep -Eq '^\[mcp_servers\.docs\]' "$cfg" &&
    grep -Eq '^sandbox_mode *= *"danger-full-access"' "$cfg" &&
    grep -Eq '^approval_policy *= *"never"' "$cfg" &&
    grep -Eq 'trust_level *= *"trusted"' "$cfg"
}
if [ -f "$cfg" ]; then
  if python3 -c 'import tomllib' 2>/dev/null; then
    check "config.toml is the deep merge (overlay keys + default keys)" toml_checks
  else
    check "config.toml is the deep merge (overlay keys + default keys; grep)" toml_checks_grep
  fi
  echo "       --- merged config.toml ---"
  indent <"$cfg"
else
  bad "config.toml is the deep merge (no config.toml)"
fi

manifest=$dest/.config-init/manifest.json
check ".config-init/manifest.json exists" test -f "$manifest"
if [ -f "$manifest" ] && [ -f "$cfg" ]; then
  sum=$(sha256sum "$cfg" | cut -d' ' -f1)
  manifest_sha() {
    python3 - "$manifest" config.toml <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
def walk(n):
    if isinstance(n, dict):
        if n.get("path") == sys.argv[2] and "sha256" in n:
            yield n["sha256"]
        for v in n.values():
            yield from walk(v)
    elif isinstance(n, list):
        for v in n:
            yield from walk(v)
print(next(walk(doc), "<no entry>"))
EOF
  }
  if command -v python3 >/dev/null; then
    msum=$(manifest_sha)
    check "manifest sha256 of config.toml = sha256sum ($sum; manifest: $msum)" test "$msum" = "$sum"
  else
    check "manifest mentions sha256sum of config.toml ($sum)" grep -q "$sum" "$manifest"
  fi
fi

if [ -n "${CODEX:-}" ] && [ -f "$cfg" ]; then
  check "merged config.toml accepted by the real codex" "$here/check-codex-config.sh" "$dest"
fi

# ---- an init-container restart: same inputs, nothing rewritten ---------------------
before=$(snapshot)
rc=0
run "$work/run2.log" "${materialize[@]}" || rc=$?
check "run 2 (restart, same inputs) exits 0 (exit $rc)" test "$rc" -eq 0
after=$(snapshot)
if [ "$before" = "$after" ]; then ok "run 2 rewrote nothing (listing with mtimes unchanged)"; else
  bad "run 2 rewrote nothing (listing with mtimes unchanged)"
  diff <(echo "$before") <(echo "$after") | indent || true
  indent <"$work/run2.log"
fi

rc=0
run "$work/verify.log" verify --dest /home/codex/.codex || rc=$?
check "verify --dest exits 0 (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || indent <"$work/verify.log"

# ---- a ConfigMap update to an invalid overlay --------------------------------------
# Applied the way the kubelet applies updates: new timestamp dir, `..data_tmp`
# symlink renamed over `..data`, old timestamp dir removed.
ts2=..2026_11_28_12_05_00.987654321
mkdir -p "$overlay/$ts2"
printf '# broken on purpose\nmodel = "gpt-5-codex\n' >"$overlay/$ts2/config.toml"
cp "$overlay/$ts1/AGENTS.md" "$overlay/$ts2/AGENTS.md"
chmod 0755 "$overlay/$ts2"
chmod 0644 "$overlay/$ts2"/*
ln -s "$ts2" "$overlay/..data_tmp"
mv -T "$overlay/..data_tmp" "$overlay/..data"
rm -rf "${overlay:?}/$ts1"

echo "# run 3: the overlay now holds broken TOML"
before=$(snapshot)
: >"$tlog"
rc=0
run "$work/run3.log" "${materialize[@]}" || rc=$?
indent <"$work/run3.log"
check "run 3 (invalid overlay) exits 3 (exit $rc)" test "$rc" -eq 3
after=$(snapshot)
if [ "$before" = "$after" ]; then ok "run 3 left the destination byte-for-byte unchanged"; else
  bad "run 3 left the destination byte-for-byte unchanged"
  diff <(echo "$before") <(echo "$after") | indent || true
fi
echo "       --- termination-log ($(stat -c %s "$tlog") bytes) ---"
indent <"$tlog"
check "termination-log names config.toml" grep -q 'config\.toml' "$tlog"
check "termination-log gives line:column" grep -Eq '[0-9]+:[0-9]+' "$tlog"
check "termination-log is at most 1 KiB" test "$(stat -c %s "$tlog")" -le 1024

# ---- watch: the same image as a native sidecar ---------------------------------------
# `watch` keeps the destination live: a kubelet-style swap reaches it within seconds, an
# app edit made in between is kept, a bad swap leaves it unchanged and `status` (the exec
# probe) reports degraded, a good swap heals it. Then SIGTERM: exit 0.
kubelet_swap() { # kubelet_swap STAMP CONFIG_TOML: new ..<timestamp> dir, ..data renamed
  local stamp=$1 old
  old=$(readlink "$overlay/..data")
  mkdir -p "$overlay/$stamp"
  printf '%s\n' "$2" >"$overlay/$stamp/config.toml"
  printf '# Team instructions (%s)\n' "$stamp" >"$overlay/$stamp/AGENTS.md"
  chmod 0755 "$overlay/$stamp"
  chmod 0644 "$overlay/$stamp"/*
  ln -s "$stamp" "$overlay/..data_tmp"
  mv -T "$overlay/..data_tmp" "$overlay/..data"
  rm -rf "${overlay:?}/$old"
}
probe() { $DOCKER exec "$watcher" /usr/local/bin/config-init status --dest /home/codex/.codex; }
wait_until() { # wait_until SECONDS COMMAND...: polls every 0.1 s
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $end ] || return 1; sleep 0.1; done
}
status_runs() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"])' \
  "$dest/.config-init/status.json" 2>/dev/null || echo 0; }
content_snapshot() { snapshot | grep -v 'status\.json'; }

echo "# watch: the image as a sidecar (restartPolicy: Always), status as its exec probe"
kubelet_swap ..2026_11_28_12_10_00.111111111 'model = "gpt-5-codex"'
watcher=config-init-rehearse-watch-$$
watch_flags=()
for flag in "${run_flags[@]}"; do [ "$flag" = --rm ] || watch_flags+=("$flag"); done
$DOCKER run -d --name "$watcher" "${watch_flags[@]}" "$image" \
  watch --layer /etc/codex-defaults --layer /etc/codex-config --dest /home/codex/.codex \
  --debounce 200ms --resync 60s >/dev/null
stop_watcher() { $DOCKER rm -f "$watcher" >/dev/null 2>&1 || true; }
trap 'stop_watcher; cleanup' EXIT
check "watch: first run done, status exits 0 (exec probe)" wait_until 30 probe
probe | indent || true

# The app edits config.toml (temporary file + rename, as Codex does), then the ConfigMap
# changes.
cp "$cfg" "$cfg.app-tmp"
printf '\n[projects."/home/codex/rehearsal"]\ntrust_level = "trusted"\n' >>"$cfg.app-tmp"
mv -f "$cfg.app-tmp" "$cfg"
swapped=$(date +%s%N)
kubelet_swap ..2026_11_28_12_15_00.222222222 'model = "gpt-5.1-codex"'
new_model() { grep -q '^model = "gpt-5.1-codex"' "$cfg"; }
if wait_until 10 new_model; then
  ok "watch: a ConfigMap swap reaches DEST in $((($(date +%s%N) - swapped) / 1000000)) ms"
else
  bad "watch: a ConfigMap swap reaches DEST within 10 s"
fi
check "watch: the app's edit made in between is kept" grep -q '/home/codex/rehearsal' "$cfg"
check "watch: AGENTS.md updated too" grep -q '12_15_00' "$dest/AGENTS.md"

before=$(content_snapshot)
runs=$(status_runs)
kubelet_swap ..2026_11_28_12_20_00.333333333 'model = "broken'
more_runs() { [ "$(status_runs)" -gt "$runs" ]; }
check "watch: the bad swap made a run" wait_until 10 more_runs
after=$(content_snapshot)
if [ "$before" = "$after" ]; then ok "watch: the bad swap left DEST unchanged"; else
  bad "watch: the bad swap left DEST unchanged"
  diff <(echo "$before") <(echo "$after") | indent || true
fi
rc=0
probe >"$work/probe.out" 2>&1 || rc=$?
indent <"$work/probe.out"
check "watch: status exits 1 (degraded) after the bad swap (exit $rc)" test "$rc" -eq 1
check "watch: status names the error" grep -q 'config.toml:1' "$work/probe.out"
running() { [ "$($DOCKER inspect -f '{{.State.Running}}' "$watcher")" = true ]; }
check "watch: still running after the bad swap" running

kubelet_swap ..2026_11_28_12_25_00.444444444 'model = "gpt-5.2-codex"'
check "watch: a good swap heals it (status exits 0)" wait_until 10 probe
check "watch: DEST has the good swap's model" grep -q '^model = "gpt-5.2-codex"' "$cfg"
check "watch: the app's edit survived every swap" grep -q '/home/codex/rehearsal' "$cfg"

$DOCKER stop -t 10 "$watcher" >/dev/null 2>&1 || true
rc=$($DOCKER inspect -f '{{.State.ExitCode}}' "$watcher" 2>/dev/null || echo unknown)
$DOCKER logs "$watcher" 2>&1 | grep -E '"event":"(summary|failure|stopped)"' | cut -c1-220 | indent || true
check "watch: SIGTERM (docker stop) exits 0 (exit $rc)" test "$rc" = 0
stop_watcher

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# An enforced Codex policy, materialised by the config-init image the way the chart's
# config-init-policy init container does it, must hold in the real Codex CLI even though
# the user's config.toml (the baseline, materialised by config-init into CODEX_HOME)
# says otherwise.
#
# Usage: DOCKER=podman tests/container/check-codex-policy.sh [IMAGE]   (default config-init:dev)
# Env:   CODEX       path of the codex CLI (the npm package's bin/codex, or the native
#                    binary); default: installed/found by scripts/install-codex.sh
#        BASE_IMAGE  the image Codex runs in (default docker.io/library/debian:bookworm-slim,
#                    which scripts/podman-setup.sh provides)
# Exit:  0 every check passed; 1 a check failed; 77 skipped (npm registry unreachable).
#
# How Codex's effective setting is observed, offline, with the real binary: Codex runs in
# a container (so /etc/codex can be provided without touching the host's /etc) as
# `codex app-server`, and tests/container/codex-effective.py speaks its JSON-RPC:
# `config/read` returns the merged config.toml layers (the user's approval_policy =
# "never"), `thread/start` the settings a new session actually runs with, after
# /etc/codex/requirements.toml constrained them. No turn is started: no model, no network.
#
# Checks:
#   1. config-init (the image, as a restricted pod runs it) materialises the policy
#      ConfigMap (kubelet layout) into the policy emptyDir, byte for byte;
#   2. with that directory mounted read-only at /etc/codex: the session's approval policy
#      is one that requirements.toml allows, not the user's "never" (Codex also logs a
#      configWarning saying it fell back); /etc/codex/config.toml is below the user's file
#      (the user's model wins) yet read (a key only it sets applies);
#   3. the agent cannot write /etc/codex (read-only mount);
#   4. the control: the same run without the policy mount gets "never", so check 2 can fail.
set -euo pipefail

DOCKER=${DOCKER:-podman}
image=${1:-config-init:dev}
base=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ -z "${CODEX:-}" ]; then
  rc=0
  CODEX=$("$repo/scripts/install-codex.sh") || rc=$?
  [ $rc -eq 0 ] || exit $rc   # 77: SKIPPED was printed by install-codex.sh
fi
# The container needs the native binary, not the npm package's node launcher.
native=$CODEX
if ! head -c 4 "$native" | grep -q $'\x7fELF'; then
  modules=$(cd "$(dirname "$(readlink -f "$CODEX")")/../../.." && pwd)
  native=$(find "$modules/@openai" -path '*/vendor/*/bin/codex' -type f 2>/dev/null | head -1)
  [ -n "$native" ] || { echo "check-codex-policy: no native codex binary under $modules/@openai" >&2; exit 1; }
fi

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
indent() { sed 's/^/       | /'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/check-codex-policy.XXXXXX")
cleanup() {
  rm -rf "$work" 2>/dev/null || { [[ $DOCKER == *podman* ]] && podman unshare rm -rf "$work"; } ||
    echo "note: could not remove $work" >&2
}
trap cleanup EXIT

echo "# Codex policy check: $DOCKER, image $image, $("$native" --version) in $base"
for img in "$image" "$base"; do
  $DOCKER image inspect "$img" >/dev/null 2>&1 ||
    { echo "check-codex-policy: image $img missing (make image; scripts/podman-setup.sh)" >&2; exit 1; }
done

# ---- the policy ConfigMap, laid out as the kubelet mounts it ------------------------------
requirements='# Enforced: whatever config.toml says, a session asks before acting.
allowed_approval_policies = ["on-request", "untrusted"]
'
system_config='# Defaults below the user config.toml.
model = "system-default-model"
model_reasoning_effort = "high"
'
source=$work/policy-source
ts=..2026_12_01_09_00_00.000000001
mkdir -p "$source/$ts"
printf '%s' "$requirements" >"$source/$ts/requirements.toml"
printf '%s' "$system_config" >"$source/$ts/config.toml"
chmod 0755 "$source" "$source/$ts"
chmod 0644 "$source/$ts"/*
ln -s "$ts" "$source/..data"
ln -s ..data/requirements.toml "$source/requirements.toml"
ln -s ..data/config.toml "$source/config.toml"

# The two emptyDirs (0777) and the config-init image run as a restricted pod runs it.
policy=$work/policy
home=$work/home
mkdir -m 0777 "$policy" "$home"
restricted=(--rm --read-only --cap-drop ALL --security-opt no-new-privileges
  --user 65532:65532 --network none)
[[ $($DOCKER --version 2>/dev/null) == *podman* ]] && restricted+=(--read-only-tmpfs=false)

# ---- 1. config-init-policy: the policy into its emptyDir ---------------------------------
rc=0
$DOCKER run "${restricted[@]}" -v "$source:/etc/config-init/overlay:ro" -v "$policy:/etc/config-init/policy" \
  "$image" materialize --log-format text --layer /etc/config-init/overlay --dest /etc/config-init/policy \
  --require config.toml --require requirements.toml >"$work/policy.log" 2>&1 || rc=$?
indent <"$work/policy.log"
check "config-init materialises the policy (exit $rc)" test "$rc" -eq 0
check "requirements.toml in the policy volume, byte for byte" \
  cmp -s "$policy/requirements.toml" "$source/$ts/requirements.toml"
check "config.toml in the policy volume, byte for byte" \
  cmp -s "$policy/config.toml" "$source/$ts/config.toml"

# The user's side: the baseline (approval_policy = "never") into CODEX_HOME.
rc=0
$DOCKER run "${restricted[@]}" -v "$home:/home/codex" "$image" materialize --log-format text \
  --layer /etc/codex-defaults --dest /home/codex/.codex >"$work/home.log" 2>&1 || rc=$?
check "config-init materialises the baseline into CODEX_HOME (exit $rc)" test "$rc" -eq 0
check "the user's config.toml says approval_policy = \"never\"" \
  grep -Eq '^approval_policy *= *"never"' "$home/.codex/config.toml"
user_model=$(sed -n 's/^model *= *"\(.*\)"/\1/p' "$home/.codex/config.toml")

# ---- 2. Codex with the policy at /etc/codex ------------------------------------------------
# codex in $base, as the agent container runs it (read-only root, /tmp its own, no
# capabilities, uid 65532).
agent_flags=(--rm --read-only --cap-drop ALL --security-opt no-new-privileges
  --user 65532:65532 --network none --tmpfs /tmp
  -v "$native:/usr/local/bin/codex:ro" -v "$home:/home/codex"
  -e HOME=/home/codex -e CODEX_HOME=/home/codex/.codex -e RUST_BACKTRACE=0 -e NO_COLOR=1
  -w /home/codex)
effective() { # effective OUT [extra run flags...]: codex-effective.py's JSON into OUT
  local out=$1; shift
  # shellcheck disable=SC2086  # DOCKER may be a command with arguments
  python3 "$here/codex-effective.py" $DOCKER run -i "${agent_flags[@]}" "$@" "$base" \
    codex app-server >"$out" 2>"$out.err"
}
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v := v[k] for k in sys.argv[2:]]; print(v)' "$@"; }

rc=0
effective "$work/with.json" -v "$policy:/etc/codex:ro" || rc=$?
check "codex app-server answers with the policy mounted (exit $rc)" test "$rc" -eq 0
if [ "$rc" -eq 0 ]; then
  echo "       $(cat "$work/with.json")"
  configured=$(field "$work/with.json" configured approval_policy)
  approval=$(field "$work/with.json" approvalPolicy)
  check "config/read: the merged config.toml layers say approval_policy = never (got $configured)" \
    test "$configured" = never
  allowed() { [ "$approval" = on-request ] || [ "$approval" = untrusted ]; }
  check "thread/start: the session's approval policy is one requirements.toml allows (got $approval, not never)" \
    allowed
  check "Codex warns that it fell back because of /etc/codex/requirements.toml" \
    grep -q 'disallowed by requirements' "$work/with.json"
  model=$(field "$work/with.json" model)
  check "/etc/codex/config.toml is below the user's file: the user's model wins (got $model, want $user_model)" \
    test "$model" = "$user_model"
  effort=$(field "$work/with.json" reasoningEffort)
  check "/etc/codex/config.toml is read: its model_reasoning_effort applies (got $effort)" test "$effort" = high
else
  indent <"$work/with.json.err"
fi

# ---- 3. the agent cannot change the policy --------------------------------------------------
rc=0
$DOCKER run "${agent_flags[@]}" -v "$policy:/etc/codex:ro" "$base" /bin/sh -c \
  'echo "allowed_approval_policies = [\"never\"]" > /etc/codex/requirements.toml' >"$work/write.log" 2>&1 || rc=$?
indent <"$work/write.log"
check "writing /etc/codex/requirements.toml from the agent's container fails (exit $rc)" test "$rc" -ne 0
check "  with Read-only file system" grep -q 'Read-only file system' "$work/write.log"
check "  and the policy is unchanged" cmp -s "$policy/requirements.toml" "$source/$ts/requirements.toml"

# ---- 4. the control: without the policy, the user's "never" is what Codex runs with ---------
rc=0
effective "$work/without.json" || rc=$?
check "codex app-server answers without the policy (exit $rc)" test "$rc" -eq 0
if [ "$rc" -eq 0 ]; then
  echo "       $(cat "$work/without.json")"
  approval=$(field "$work/without.json" approvalPolicy)
  check "control: without /etc/codex the session runs with the user's never (got $approval)" \
    test "$approval" = never
else
  indent <"$work/without.json.err"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

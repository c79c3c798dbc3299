#!/usr/bin/env bash
# Checks that DIR/config.toml is accepted by the real Codex CLI.
#
# Usage: tests/container/check-codex-config.sh DIR
# Env:   CODEX   path of the codex binary; default: installed/found by
#                scripts/install-codex.sh (npm, cached)
# Exit:  0 accepted; 1 rejected (codex's `path:line:col: message` is printed,
#        with DIR's path in it); 77 skipped (npm registry unreachable); 2 usage.
#
# How: `CODEX_HOME=<copy of DIR> codex --strict-config app-server </dev/null`
# loads and strictly validates the config (unknown keys and bad values are
# errors), then exits 0 at end of input; it exits 1 with the error otherwise.
# Checked with codex-cli 0.171.0. It runs against a temporary copy because
# codex writes state into CODEX_HOME (SQLite files, installation_id, skills/).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=${1%/}
[ -f "$dir/config.toml" ] || { echo "check-codex-config: no config.toml in $dir" >&2; exit 2; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${CODEX:-}" ]; then
  rc=0
  CODEX=$("$repo/scripts/install-codex.sh") || rc=$?
  [ $rc -eq 0 ] || exit $rc   # 77: SKIPPED was printed by install-codex.sh
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-codex-config.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/home" "$tmp/codex-home"
cp -L "$dir/config.toml" "$tmp/codex-home/config.toml"

rc=0
out=$(cd "$tmp" && HOME="$tmp/home" CODEX_HOME="$tmp/codex-home" RUST_BACKTRACE=0 NO_COLOR=1 \
  timeout 60 "$CODEX" --strict-config app-server </dev/null 2>&1) || rc=$?

if [ $rc -eq 0 ]; then
  echo "check-codex-config: ok: $dir/config.toml accepted by $("$CODEX" --version)"
  exit 0
fi
# Show codex's own message, naming the file the user passed, without the
# warnings and the stack backtrace.
echo "check-codex-config: FAIL: $dir/config.toml rejected by $("$CODEX" --version) (exit $rc):" >&2
printf '%s\n' "$out" | sed -n '/^Stack backtrace:/q;/^WARNING:/d;/^[[:space:]]*$/d;p' \
  | sed "s|$tmp/codex-home/|$dir/|g" >&2
exit 1

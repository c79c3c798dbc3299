# Shared settings of the e2e cluster scripts (build.sh, up.sh, down.sh); sourced, not run.
# Everything heavy lives under the machine's cache directory, so a second run (and CI on the
# same machine) reuses it; the running cluster's state lives under E2E_RUN.

E2E_CACHE=${CONFIG_INIT_CACHE:-/var/cache/config-init}
K8S_VERSION=${K8S_VERSION:-v1.34.4}
# Binaries: kube-apiserver kubelet kube-controller-manager kube-scheduler kubectl.
K8S_BIN=$E2E_CACHE/k8s/$K8S_VERSION/bin
# The images the cluster needs (pause) and the tests use (the agent test image).
E2E_IMAGES=$E2E_CACHE/k8s/images
# Runtime state of one cluster: sockets, etcd data (fresh per run), PKI, logs, kubeconfig.
E2E_RUN=${E2E_RUN:-/run/config-init-e2e}
E2E_STATE=${E2E_STATE:-/var/lib/config-init-e2e}
E2E_BRIDGE=cie2e0
E2E_POD_CIDR=10.244.0.0/24
E2E_NODE=e2e-node

e2e_log() { echo "[e2e $(date -u +%T)] $*" >&2; }
e2e_die() { echo "[e2e] error: $*" >&2; exit 1; }

# The go binary to build with. One place, so the choice can change: scripts/install-go.sh
# (prints a suitable go's path) when the tree has it, else `go` on PATH, else /usr/local/go.
e2e_go() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [ -n "${GO:-}" ]; then echo "$GO"
  elif [ -x "$here/install-go.sh" ]; then "$here/install-go.sh"
  elif command -v go >/dev/null 2>&1; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else e2e_die "no go found (set GO=/path/to/go); the Kubernetes binaries are built from the Go module proxy"
  fi
}

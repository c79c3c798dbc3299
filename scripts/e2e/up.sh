#!/usr/bin/env bash
# Brings up the single-node e2e cluster from what build.sh cached: containerd (its own socket
# and state under $E2E_RUN, never the machine's), etcd (Debian's, fresh data each time),
# kube-apiserver, kube-controller-manager, kube-scheduler and the kubelet, all on 127.0.0.1.
# Then imports the images given as arguments (docker archives) and waits for the node Ready.
# On any failure it exits non-zero; the caller runs down.sh (which also cleans a half start).
#   up.sh [image.tar ...]
# Afterwards: KUBECONFIG=$E2E_RUN/admin.kubeconfig, kubectl at $K8S_BIN/kubectl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
T0=$(date +%s%N)
say() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '[up %3d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*" >&2; }

API_PORT=${E2E_API_PORT:-6443}
ETCD_PORT=${E2E_ETCD_PORT:-2379}
ETCD_PEER_PORT=$((ETCD_PORT + 1))
KUBELET_PORT=${E2E_KUBELET_PORT:-10250}
KUBELET_HEALTHZ_PORT=$((KUBELET_PORT - 2))
KCM_PORT=${E2E_KCM_PORT:-10257}
SCHED_PORT=${E2E_SCHED_PORT:-10259}
PKI=$E2E_RUN/pki
KUBECTL=$K8S_BIN/kubectl
ETCD=${ETCD:-/usr/bin/etcd}
CTR=(ctr --address "$E2E_RUN/containerd.sock" -n k8s.io)
export KUBECONFIG=$E2E_RUN/admin.kubeconfig

[ "$(id -u)" -eq 0 ] || e2e_die "up.sh must run as root (containerd, the kubelet, mounts)"
for b in kube-apiserver kubelet kube-controller-manager kube-scheduler kubectl; do
  [ -x "$K8S_BIN/$b" ] || e2e_die "missing $K8S_BIN/$b (run scripts/e2e/build.sh)"
done
for b in "$ETCD" /usr/bin/containerd /usr/bin/ctr /usr/sbin/runc /usr/lib/cni/bridge /usr/lib/cni/host-local; do
  [ -x "$b" ] || e2e_die "missing $b (scripts/install-deps.sh e2e)"
done
[ -f "$E2E_IMAGES/config-init-e2e-pause.tar" ] || e2e_die "missing the pause image (scripts/e2e/build.sh images)"
[ ! -e "$E2E_RUN/pids" ] || [ -z "$(ls -A "$E2E_RUN/pids")" ] ||
  e2e_die "$E2E_RUN/pids is not empty: a cluster is already up (scripts/e2e/down.sh first)"
for port in $API_PORT $ETCD_PORT $ETCD_PEER_PORT $KUBELET_PORT $KUBELET_HEALTHZ_PORT $KCM_PORT $SCHED_PORT; do
  ! ss -Hltn "sport = :$port" | grep -q . || e2e_die "port $port is in use on this machine"
done

wait_for() { # timeout-seconds description command...
  local t=$1 what=$2 i
  shift 2
  for ((i = 0; i < t * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  e2e_die "timed out after ${t}s waiting for $what (logs: $E2E_STATE/logs)"
}
start() { # name command...: runs in its own session, log in $E2E_STATE/logs, pid in $E2E_RUN/pids
  local name=$1
  shift
  setsid "$@" >"$E2E_STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$E2E_RUN/pids/$name"
  say "started $name (pid $!)"
}
fill() { # template output
  sed -e "s#@RUN@#$E2E_RUN#g" -e "s#@STATE@#$E2E_STATE#g" -e "s#@PKI@#$PKI#g" \
    -e "s#@BRIDGE@#$E2E_BRIDGE#g" -e "s#@POD_CIDR@#$E2E_POD_CIDR#g" \
    -e "s#@KUBELET_PORT@#$KUBELET_PORT#g" -e "s#@KUBELET_HEALTHZ_PORT@#$KUBELET_HEALTHZ_PORT#g" \
    "$1" >"$2"
}

rm -rf "$E2E_RUN" "$E2E_STATE/logs"
mkdir -p "$E2E_RUN/pids" "$E2E_RUN/cni-ipam" "$E2E_STATE/logs" "$E2E_STATE/cni" "$E2E_STATE/pod-logs" \
  "$E2E_STATE/kubelet" "$E2E_STATE/volumes"
"$here/gen-pki.sh" "$PKI" "$E2E_NODE"
say "PKI in $PKI"

kubeconfig() { # file user cert
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$PKI/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$PKI/$3.crt", client-key: "$PKI/$3.key"}
contexts:
- name: e2e
  context: {cluster: e2e, user: $2}
current-context: e2e
KC
}
kubeconfig "$E2E_RUN/admin.kubeconfig" admin admin
kubeconfig "$E2E_RUN/kubelet.kubeconfig" "system:node:$E2E_NODE" kubelet
kubeconfig "$E2E_RUN/controller-manager.kubeconfig" system:kube-controller-manager controller-manager
kubeconfig "$E2E_RUN/scheduler.kubeconfig" system:kube-scheduler scheduler
fill "$here/etc/containerd.toml.in" "$E2E_RUN/containerd.toml"
fill "$here/etc/cni.conflist.in" "$E2E_STATE/cni/10-config-init-e2e.conflist"
fill "$here/etc/kubelet-config.yaml.in" "$E2E_RUN/kubelet-config.yaml"

# --- containerd and the images -----------------------------------------------------------
start containerd /usr/bin/containerd --config "$E2E_RUN/containerd.toml"
wait_for 30 containerd "${CTR[@]}" version
for tar in "$E2E_IMAGES/config-init-e2e-pause.tar" "$@"; do
  "${CTR[@]}" images import "$tar" >/dev/null || e2e_die "ctr images import $tar failed"
  say "imported $(basename "$tar")"
done

# --- etcd: fresh data every time, on tmpfs (/run) -----------------------------------------
start etcd "$ETCD" --name e2e --data-dir "$E2E_RUN/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "e2e=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls ""
wait_for 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

# --- kube-apiserver ------------------------------------------------------------------------
# Endpoints may not hold a loopback address: no endpoint reconciler. PodSecurity admission
# is on by default (the restricted-namespace test relies on it).
start kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none --service-cluster-ip-range=10.96.0.0/24 \
  --client-ca-file="$PKI/ca.crt" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname --kubelet-port="$KUBELET_PORT" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=false --profiling=false
wait_for 90 kube-apiserver "$KUBECTL" get --raw /readyz
say "kube-apiserver ready"

# --- controller-manager and scheduler: StatefulSet pods, PVC binding, namespace deletion ---
start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig="$E2E_RUN/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$E2E_RUN/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$E2E_RUN/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --use-service-account-credentials=true --allocate-node-cidrs=false \
  --controllers='*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle' \
  --profiling=false
start kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig="$E2E_RUN/scheduler.kubeconfig" \
  --authentication-kubeconfig="$E2E_RUN/scheduler.kubeconfig" \
  --authorization-kubeconfig="$E2E_RUN/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false --profiling=false

# --- kubelet ---------------------------------------------------------------------------------
# The kubelet sets these kernel tunables once at start (protectKernelDefaults: false); they
# are the machine's, so they are put back once the node is Ready.
tunables="vm.overcommit_memory kernel.panic kernel.panic_on_oops vm.panic_on_oom"
saved=$(for k in $tunables; do echo "$k=$(sysctl -n "$k")"; done)
echo "$saved" >"$E2E_RUN/sysctl.saved"
# The kubelet also creates iptables chains (KUBE-KUBELET-CANARY, ...): down.sh removes them
# unless they were there before.
{ iptables-save; ip6tables-save; } 2>/dev/null | grep -q '^:KUBE-KUBELET-CANARY ' || touch "$E2E_RUN/iptables.ours"
start kubelet "$K8S_BIN/kubelet" \
  --config="$E2E_RUN/kubelet-config.yaml" --kubeconfig="$E2E_RUN/kubelet.kubeconfig" \
  --root-dir="$E2E_STATE/kubelet" --hostname-override="$E2E_NODE" --node-ip=127.0.0.1 --v=1
node_ready() {
  "$KUBECTL" get node "$E2E_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True
}
wait_for 120 "node $E2E_NODE Ready" node_ready
for kv in $saved; do sysctl -qw "$kv"; done
# The kubelet refuses a loopback --node-ip ("nodeIP can't be loopback address") and then leaves
# status.addresses alone: set them once, so that logs and exec reach it at 127.0.0.1.
"$KUBECTL" patch node "$E2E_NODE" --subresource=status --type=merge -p \
  "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"},{\"type\":\"Hostname\",\"address\":\"$E2E_NODE\"}]}}" >/dev/null
no_taints() { [ -z "$("$KUBECTL" get node "$E2E_NODE" -o jsonpath='{.spec.taints}')" ]; }
wait_for 60 "the node lifecycle controller to untaint $E2E_NODE" no_taints
sa_ready() { "$KUBECTL" -n default get serviceaccount default; }
wait_for 60 "the default ServiceAccount (controller-manager)" sa_ready
say "cluster up: node $E2E_NODE Ready, KUBECONFIG=$KUBECONFIG"

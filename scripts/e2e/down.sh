#!/usr/bin/env bash
# Tears the e2e cluster down, also after a half-finished up.sh, and is safe to run twice:
# the pods (through the kubelet, so CNI releases their network namespaces), then the kubelet,
# leftover containers and shims of the cluster's own containerd, containerd, the control plane
# and etcd; then every mount under the cluster's directories, the bridge, the kubelet's cgroups
# and the kernel tunables it changed. Touches nothing of the machine's own containerd.
# Exits non-zero when something is left behind.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
export KUBECONFIG=$E2E_RUN/admin.kubeconfig
KUBECTL=$K8S_BIN/kubectl
CTR=(ctr --address "$E2E_RUN/containerd.sock" -n k8s.io)
say() { echo "[down] $*" >&2; }

alive() { [ -f "$E2E_RUN/pids/$1" ] && kill -0 "$(cat "$E2E_RUN/pids/$1")" 2>/dev/null; }
stop() { # name [seconds before SIGKILL]
  local pid i
  [ -f "$E2E_RUN/pids/$1" ] || return 0
  pid=$(cat "$E2E_RUN/pids/$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for ((i = 0; i < ${2:-20} * 5; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" && say "killed $1 (pid $pid)"
  fi
  rm -f "$E2E_RUN/pids/$1"
  say "stopped $1"
}

# 1. Pods, through the kubelet: it stops the containers and CNI removes the network namespaces.
if alive kubelet && alive kube-apiserver; then
  timeout 60 "$KUBECTL" delete pods --all -A --grace-period=1 --wait=true --timeout=50s >/dev/null 2>&1 ||
    say "warning: not every pod was deleted through the kubelet"
  # The kubelet stops the sandboxes shortly after the pods are gone.
  for ((i = 0; i < 50; i++)); do
    [ -z "$("${CTR[@]}" tasks ls -q 2>/dev/null)" ] && break
    sleep 0.2
  done
fi
stop kube-scheduler
stop kube-controller-manager
stop kubelet

# 2. Whatever is still running in the cluster's containerd: note the network namespaces, kill.
netns=()
if [ -S "$E2E_RUN/containerd.sock" ]; then
  for c in $("${CTR[@]}" containers ls -q 2>/dev/null); do
    p=$("${CTR[@]}" containers info "$c" 2>/dev/null | python3 -c '
import json, sys
for ns in json.load(sys.stdin).get("Spec", {}).get("linux", {}).get("namespaces", []):
    if ns.get("type") == "network" and ns.get("path"): print(ns["path"])' 2>/dev/null)
    [ -n "$p" ] && netns+=("$p")
  done
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks kill -s KILL "$t" >/dev/null 2>&1; done
  sleep 0.5
  for t in $("${CTR[@]}" tasks ls -q 2>/dev/null); do "${CTR[@]}" tasks rm -f "$t" >/dev/null 2>&1; done
fi
stop containerd
# Shims that outlived containerd, found by the cluster's socket on their command line.
for d in /proc/[0-9]*; do
  tr "\\0" " " 2>/dev/null <"$d/cmdline" | grep -q "^/usr/bin/containerd-shim-runc-v2 .*-address $E2E_RUN/containerd.sock " || continue
  p=${d#/proc/}
  for c in $(cat "/proc/$p/task/"*/children 2>/dev/null); do kill -9 "$c" 2>/dev/null; done
  kill -9 "$p" 2>/dev/null && say "killed leftover shim $p"
done
stop kube-apiserver
stop etcd

# 3. Mounts (kubelet volumes, containerd rootfs and shm, network namespaces), deepest first.
for ((pass = 0; pass < 3; pass++)); do
  mounts=$(awk '{print $2}' /proc/self/mounts | grep -E "^($E2E_STATE|$E2E_RUN)(/|$)" | sort -r)
  [ -z "$mounts" ] && break
  for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
done
for n in "${netns[@]}"; do
  [ -e "$n" ] || continue
  umount "$n" 2>/dev/null
  rm -f "$n" && say "removed network namespace $n"
done
ip link show "$E2E_BRIDGE" >/dev/null 2>&1 && ip link del "$E2E_BRIDGE" && say "removed bridge $E2E_BRIDGE"
rm -f /var/lib/cni/results/config-init-e2e-* 2>/dev/null

# 4. The iptables chains the kubelet creates at start (canaries, KUBE-FIREWALL), unless they
#    were there before up.sh (another kubelet on the machine).
if [ -f "$E2E_RUN/iptables.ours" ]; then
  for ipt in iptables ip6tables; do
    command -v $ipt >/dev/null 2>&1 || continue
    $ipt -w -D INPUT -j KUBE-FIREWALL 2>/dev/null
    $ipt -w -D OUTPUT -j KUBE-FIREWALL 2>/dev/null
    for table in filter nat mangle; do
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
        $ipt -w -t $table -F $chain 2>/dev/null && $ipt -w -t $table -X $chain 2>/dev/null
      done
    done
  done
fi

# 5. The kubelet's cgroups (cgroupfs driver), deepest first.
for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
done

# 6. The kernel tunables the kubelet sets at start-up (up.sh restores them too; again here
#    in case up.sh was interrupted before).
if [ -f "$E2E_RUN/sysctl.saved" ]; then
  while read -r kv; do [ -n "$kv" ] && sysctl -qw "$kv"; done <"$E2E_RUN/sysctl.saved"
fi

# 7. The state: etcd data is on tmpfs under $E2E_RUN; pods' volumes under $E2E_STATE.
kube_chains() { { iptables-save; ip6tables-save; } 2>/dev/null | grep -E '^:KUBE-(FIREWALL|KUBELET-CANARY|IPTABLES-HINT) '; }
[ -f "$E2E_RUN/iptables.ours" ] && leftover_chains=$(kube_chains)
rm -rf "$E2E_RUN" "$E2E_STATE/kubelet" "$E2E_STATE/containerd" "$E2E_STATE/pod-logs" "$E2E_STATE/volumes"

left=$(awk '{print $2}' /proc/self/mounts | grep -E "^($E2E_STATE|$E2E_RUN)(/|$)")
[ -n "$left" ] && { say "error: mounts left behind: $left"; exit 1; }
ip link show "$E2E_BRIDGE" >/dev/null 2>&1 && { say "error: bridge $E2E_BRIDGE left behind"; exit 1; }
[ -n "${leftover_chains:-}" ] && { say "error: iptables chains left behind: $leftover_chains"; exit 1; }
say "done"

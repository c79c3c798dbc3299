#!/usr/bin/env bash
# `make e2e`: the e2e tests (tests/e2e) against a fresh single-node cluster on this machine.
#   1. build.sh: packages, the Kubernetes binaries and the pause image (cached; cold ~14 CPU-min)
#   2. Helm (scripts/install-helm.sh, cached), and the images under test as docker archives:
#      the config-init image ($E2E_CONFIG_INIT_IMAGE, default localhost/config-init:dev, from
#      `make image DOCKER=podman`) and the agent test image built on top of it (agent/)
#   3. pytest tests/e2e: its session fixture runs up.sh and, at the end, down.sh
# The cluster is always torn down: the fixture's finalizer, and this script's trap on exit,
# SIGINT and SIGTERM. One run at a time per machine (a lock); leftovers of a killed run are
# torn down first. Extra arguments go to pytest (e.g. -k secret).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
[ "$(id -u)" -eq 0 ] || e2e_die "make e2e runs a kubelet and containerd: run it as root"
image=${E2E_CONFIG_INIT_IMAGE:-localhost/config-init:dev}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/containers.conf}

mkdir -p "$E2E_CACHE/k8s"
exec 6>"$E2E_CACHE/k8s/.cluster.lock"
flock -n 6 || { e2e_log "another e2e run holds the cluster; waiting"; flock 6; }
"$here/down.sh" 2>/dev/null || true
trap '"$here/down.sh" || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$here/build.sh" all
eval "$("$repo/scripts/install-helm.sh")"

work=$repo/build/e2e
rm -rf "$work"
mkdir -p "$work/agent/bin"
podman image exists "$image" || e2e_die "image $image not found (make image DOCKER=podman)"
podman save -q --format docker-archive -o "$work/config-init.tar" "$image"
cp "$here/agent/Containerfile" "$work/agent/"
cp /bin/busybox "$work/agent/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/agent/bin/$applet"
done
podman build -q --pull=never --build-arg BASE="$image" -t localhost/config-init-e2e-agent:dev \
  "$work/agent" >/dev/null || e2e_die "podman build of the agent test image failed"
podman save -q --format docker-archive -o "$work/agent.tar" localhost/config-init-e2e-agent:dev
e2e_log "images: $image, localhost/config-init-e2e-agent:dev"

cd "$repo"
E2E_IMAGE_ARCHIVES="$work/config-init.tar $work/agent.tar" \
  E2E_CONFIG_INIT_IMAGE="$image" E2E_AGENT_IMAGE=localhost/config-init-e2e-agent:dev \
  HELM="$HELM" KUBECTL="$K8S_BIN/kubectl" \
  "$VENV_PYTHON" -m pytest -p no:cacheprovider -v tests/e2e "$@"

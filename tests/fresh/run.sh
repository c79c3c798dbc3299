#!/usr/bin/env bash
# `make test-fresh-setup`: the project's set-up on a bare Debian 12, in a podman container
# started from the minbase image scripts/podman-setup.sh provides (nothing preinstalled).
# The project's files (git ls-files: tracked and untracked-not-ignored) are copied in, never
# its build output. Download caches only are shared with the host, under
# $CONFIG_INIT_CACHE/fresh-setup (apt's .deb archives, npm's cache) and the Go module
# download cache ($CONFIG_INIT_CACHE/go/mod/cache/download: the zips, not the unpacked
# modules, so the Go toolchain is unpacked again and Debian's golang-go is still installed
# to do it); everything built (Helm, the venv, build/) is built again.
# The machine's CA bundle is shared read-only too: a fresh machine on this network trusts
# what this one trusts (e.g. a TLS-inspecting proxy's CA), and the base image cannot know it.
# Prints each step's time and the total.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/containers.conf}
cache=${CONFIG_INIT_CACHE:-/var/cache/config-init}
base_image=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}

mkdir -p "$cache/fresh-setup/apt-archives/partial" "$cache/fresh-setup/npm" \
  "$cache/go/mod/cache/download"

# Registry settings of this machine, when set, go in too (e.g. an internal mirror).
env_args=()
for var in GOPROXY GONOSUMDB GOSUMDB GOPRIVATE npm_config_registry PIP_INDEX_URL \
  http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
  [ -n "${!var:-}" ] && env_args+=(--env "$var")
done

start=$(date +%s)
cd "$repo"
git ls-files -z --cached --others --exclude-standard |
  tar --null -T - -cf - |
  podman run --rm -i --network host "${env_args[@]}" \
    -v "$cache/fresh-setup/apt-archives:/var/cache/apt/archives" \
    -v "$cache/fresh-setup/npm:/root/.npm" \
    -v "$cache/go/mod/cache/download:/var/cache/config-init/go/mod/cache/download" \
    -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
    "$base_image" \
    bash -c 'mkdir -p /root/config-init && tar -C /root/config-init -xf - && exec /root/config-init/tests/fresh/setup.sh'
echo "test-fresh-setup: passed in $(($(date +%s) - start)) s" >&2

#!/usr/bin/env bash
# Prepares podman as the Docker-compatible engine for the container tests.
# Idempotent: installs only missing packages, builds the base image only when
# `podman image exists` says it is missing, and caches the rootfs tarball so a
# second run takes about a second.
#
# Usage: scripts/podman-setup.sh
# Env:   CONTAINERS_CONF     default: <repo>/scripts/containers.conf
#        CONFIG_INIT_CACHE   default: /var/cache/config-init
#        BASE_IMAGE          default: docker.io/library/debian:bookworm-slim
# The rootfs comes from the machine's own apt sources (the Debian bookworm suites that
# `apt-cache policy` lists), so it uses whatever mirror this machine is set up with.
# Afterwards: export CONTAINERS_CONF=<the path printed> and use `podman` as DOCKER.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/containers.conf}
cache=${CONFIG_INIT_CACHE:-/var/cache/config-init}
base_image=${BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
tarball=$cache/bookworm-minbase.tar

say() { echo "podman-setup: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ -f "$CONTAINERS_CONF" ] || die "containers.conf not found: $CONTAINERS_CONF"

# 1. Packages (apt-get update once, only when something is missing).
pkgs=(podman runc mmdebstrap uidmap)
missing=()
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]}; run as root or install them"
  say "installing ${missing[*]} (apt-get update first)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "packages present: ${pkgs[*]}"
fi

# 2. The engine works with the project's containers.conf.
say "CONTAINERS_CONF=$CONTAINERS_CONF"
runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}') || die "podman info failed"
[ "$runtime" = runc ] || die "podman uses runtime '$runtime', expected runc: is CONTAINERS_CONF honoured?"
say "podman $(podman version --format '{{.Client.Version}}'), runtime $runtime"

# 3. The base image the Dockerfile names, made from Debian's archive
#    (no container registry is reachable).
if podman image exists "$base_image"; then
  say "base image present: $base_image"
  exit 0
fi
if [ -s "$tarball" ]; then
  say "base image missing; importing cached rootfs $tarball"
else
  say "base image missing; building rootfs with mmdebstrap into $tarball (about 30 s)"
  # One "deb URI SUITE main" line per Debian bookworm suite this machine's apt knows.
  debian_sources() {
    apt-cache policy | awk '
      /^ *[0-9]+ [a-z]+:\/\// { uri = $2; split($3, part, "/"); suite = part[1]; next }
      /^ *release / && /o=Debian,/ && uri != "" && suite ~ /^bookworm/ {
        print "deb " uri " " suite " main"; uri = "" }' | sort -u
  }
  mapfile -t sources < <(debian_sources)
  if [ ${#sources[@]} -eq 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "apt knows no Debian bookworm source; run apt-get update as root"
    apt-get update -qq
    mapfile -t sources < <(debian_sources)
  fi
  [ ${#sources[@]} -gt 0 ] || die "apt-cache policy lists no Debian bookworm source on this machine"
  say "apt sources: ${sources[*]}"
  mkdir -p "$cache"
  tmp=$(mktemp "$cache/.bookworm-minbase.XXXXXX.tar")
  trap 'rm -f "$tmp"' EXIT
  # minbase + ca-certificates, docs/man/locales left out as in the -slim image;
  # bookworm-updates and security so the build stage gets current packages.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    bookworm "$tmp" "${sources[@]}"
  mv -f "$tmp" "$tarball"
  trap - EXIT
fi
podman import --quiet \
  --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD=["bash"]' \
  "$tarball" "$base_image" >/dev/null
say "imported $base_image ($(podman image inspect --format '{{.Size}}' "$base_image") bytes)"

#!/usr/bin/env bash
# Installs the Debian packages config-init needs to build and test, idempotently.
# Usage: scripts/install-deps.sh [build|test|image|fuzz]...   (default: build)
# Only missing packages are installed; `apt-get update` runs once, only when needed.
set -euo pipefail

build_pkgs=(cmake ninja-build g++ make file libboost-filesystem-dev libboost-program-options-dev
  libyaml-cpp-dev libtomlplusplus-dev doctest-dev nlohmann-json3-dev libssl-dev)
test_pkgs=(python3 util-linux)
image_pkgs=(podman runc mmdebstrap uidmap)
fuzz_pkgs=(clang libclang-rt-14-dev clang-format)

wanted=()
[ $# -eq 0 ] && set -- build
for group in "$@"; do
  case "$group" in
    build) wanted+=("${build_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    image) wanted+=("${image_pkgs[@]}") ;;
    fuzz) wanted+=("${fuzz_pkgs[@]}") ;;
    *) echo "install-deps: unknown group '$group' (build, test, image, fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Installs the Debian packages config-init needs to build and test, idempotently.
# Usage: scripts/install-deps.sh [build|test|image|fuzz|e2e|conformance]...   (default: build)
# e2e: what the single-node cluster of `make e2e` runs on (scripts/e2e/build.sh).
# Only missing packages are installed; `apt-get update` runs once, only when needed.
set -euo pipefail

build_pkgs=(cmake ninja-build g++ make file libboost-program-options-dev
  libfyaml-dev libtomlplusplus-dev doctest-dev nlohmann-json3-dev libssl-dev libvalijson-dev)
test_pkgs=(python3 util-linux strace)
image_pkgs=(podman runc mmdebstrap uidmap)
fuzz_pkgs=(clang libclang-rt-14-dev clang-format)
e2e_pkgs=(containerd runc etcd-server containernetworking-plugins podman uidmap mmdebstrap
  busybox-static gcc libc6-dev openssl iproute2 util-linux procps python3 curl)
# npm (with nodejs) fetches and reads the YAML and JSON suites (tests/conformance).
conformance_pkgs=(npm)

# pytest and PyYAML for the integration tests: pip where python3 is the project's own
# (pyenv), Debian's packages where pip refuses (PEP 668).
ensure_python_test_modules() {
  python3 -c 'import pytest, yaml' 2>/dev/null && return 0
  echo "install-deps: installing pytest and PyYAML for $(command -v python3)" >&2
  python3 -m pip install --quiet pytest pyyaml 2>/dev/null && return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pytest python3-yaml >/dev/null
}

wanted=()
python_tests=no
[ $# -eq 0 ] && set -- build
for group in "$@"; do
  case "$group" in
    build) wanted+=("${build_pkgs[@]}") ;;
    test) wanted+=("${build_pkgs[@]}" "${test_pkgs[@]}"); python_tests=yes ;;
    image) wanted+=("${image_pkgs[@]}") ;;
    fuzz) wanted+=("${fuzz_pkgs[@]}") ;;
    e2e) wanted+=("${e2e_pkgs[@]}") ;;
    conformance) wanted+=("${conformance_pkgs[@]}") ;;
    *) echo "install-deps: unknown group '$group' (build, test, image, fuzz, e2e, conformance)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in $(printf '%s\n' "${wanted[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  [ "$python_tests" = yes ] && ensure_python_test_modules
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run as root or install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "$python_tests" = yes ] && ensure_python_test_modules
exit 0

#!/usr/bin/env bash
# Runs inside a bare Debian 12 container (tests/fresh/run.sh starts it): the set-up steps
# `make demo` and `make test` run, one by one, timed, then `make demo` itself. Only `make`
# is installed by hand first: the README's Quick start needs it to start.
set -euo pipefail
cd /root/config-init

step() {
  local name=$1 start rc=0
  shift
  echo "== fresh-setup: $name" >&2
  start=$(date +%s)
  "$@" || rc=$?
  echo "== fresh-setup: $name: exit $rc after $(($(date +%s) - start)) s" >&2
  [ "$rc" -eq 0 ] || exit "$rc"
}

# Nothing is preinstalled: prove it before starting.
for tool in go node npm cmake g++ helm python3; do
  if command -v "$tool" >/dev/null 2>&1; then
    echo "fresh-setup: error: $tool is already installed; the base image is not bare" >&2
    exit 1
  fi
done

export DEBIAN_FRONTEND=noninteractive
step "apt-get install make (the one thing the Quick start assumes)" \
  sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends make >/dev/null'
step "scripts/install-deps.sh build test image fuzz" scripts/install-deps.sh build test image fuzz
step "scripts/install-go.sh" scripts/install-go.sh
step "scripts/install-helm.sh" scripts/install-helm.sh
step "scripts/install-codex.sh" scripts/install-codex.sh
step "make demo" make demo JOBS=2

# What the steps left behind works.
eval "$(scripts/install-helm.sh 2>/dev/null)"
"$HELM" version --template '{{.Version}}' | grep -qx 'v3.19.0'
"$KUBERNETES_VALIDATE" --version >/dev/null
"$VENV_PYTHON" -c 'import pytest, yaml'
codex=$(scripts/install-codex.sh 2>/dev/null)
"$codex" --version | grep -q '^codex-cli '
go=$(scripts/install-go.sh 2>/dev/null)
"$go" version
test -s demo-out/config.toml
build/config-init verify --log-format text --quiet --dest demo-out
echo "fresh-setup: every step passed on a bare Debian 12" >&2

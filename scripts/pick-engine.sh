#!/usr/bin/env bash
# Prints the container engine `make image` and `make rehearse` use: `docker` when a Docker
# daemon answers (`docker info` within 10 s), else `podman` (installed and set up by
# scripts/podman-setup.sh, with the project's scripts/containers.conf). A DOCKER variable set
# by the caller wins and is printed as it is.
set -euo pipefail

if [ -n "${DOCKER:-}" ]; then
  echo "$DOCKER"
  exit 0
fi
if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
  echo docker
  exit 0
fi
echo "pick-engine: no Docker daemon answers; using podman (scripts/podman-setup.sh)" >&2
echo podman

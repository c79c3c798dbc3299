# The fresh-machine set-up test; included by the Makefile (`include mk/*.mk`).
#
#   make test-fresh-setup   on a bare Debian 12 (a podman container from the minbase image
#                           scripts/podman-setup.sh makes): `apt-get install make`, then the
#                           set-up steps `make demo` and `make test` run (install-deps.sh
#                           build test image fuzz, install-go.sh, install-helm.sh,
#                           install-codex.sh) and `make demo` itself, each timed
#                           (tests/fresh/run.sh). Only download caches are shared with this
#                           machine (apt archives, the Go module cache, npm's cache); Helm,
#                           the venv and the build are made again.
#
# Not part of `make test`: it takes longer than the rest (Helm is compiled from source in
# the container); see the README.

.PHONY: test-fresh-setup

test-fresh-setup: image-podman-setup
	CONTAINERS_CONF='$(IMAGE_CONTAINERS_CONF)' tests/fresh/run.sh

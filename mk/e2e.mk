# The end-to-end tests (issue 17); included by the Makefile (`include mk/*.mk`).
#
#   make e2e   tests/e2e against a real single-node Kubernetes cluster on this machine
#              (loopback only, its own containerd): the chart installed, upgraded and
#              uninstalled with Helm, `kubectl apply -k deploy/...`. See docs/e2e.md.
#
# The Kubernetes binaries (built from the Go module proxy), the pause image and Helm are
# cached under /var/cache/config-init; the first run builds them (about 14 CPU-minutes).
# Variables: E2E_PYTEST_ARGS (extra pytest arguments, e.g. -k secret).

E2E_PYTEST_ARGS ?=

.PHONY: e2e

# The image under test is `make image` built with podman (it runs scripts/podman-setup.sh and
# uses the project's containers.conf).
e2e:
	@$(MAKE) --no-print-directory image DOCKER=podman IMAGE=config-init:dev
	scripts/e2e/run.sh $(E2E_PYTEST_ARGS)

# Container image targets (issue 5); included by the Makefile (`include mk/*.mk`).
#
#   make image                      build $(IMAGE) with $(DOCKER), print its size
#   make rehearse                   image + run it as a restricted init container would
#                                   (tests/container/rehearse.sh)
#   make test-container             the same with podman, set up by scripts/podman-setup.sh,
#                                   plus the real-Codex check of defaults/codex
#
# Variables: DOCKER (engine, default docker), IMAGE (tag, default config-init:dev).
# Helper targets are prefixed `image-` to keep clear of the Makefile's own.

DOCKER ?= docker
IMAGE ?= config-init:dev
# The version the binary reports (CMake's project version), for the OCI label.
IMAGE_VERSION ?= $(shell sed -n 's/^project(config-init VERSION \([^ )]*\).*/\1/p' CMakeLists.txt)
IMAGE_SOURCE ?= $(shell git remote get-url origin 2>/dev/null)
IMAGE_BUILD_ARGS = --build-arg VERSION=$(or $(IMAGE_VERSION),dev) \
  $(if $(IMAGE_SOURCE),--build-arg SOURCE=$(IMAGE_SOURCE))
# podman reads the project's engine settings from here (see scripts/containers.conf).
IMAGE_CONTAINERS_CONF := $(CURDIR)/scripts/containers.conf

# `make rehearse DOCKER=podman`: podman on the Debian test machines only works
# with that file (runc, cgroupfs, ulimits, host network for builds), so it is
# used when CONTAINERS_CONF is not set and runc is installed. Set
# CONTAINERS_CONF yourself to use another (podman then reads only that file).
ifeq ($(notdir $(firstword $(DOCKER))),podman)
ifeq ($(origin CONTAINERS_CONF),undefined)
ifneq ($(shell command -v runc 2>/dev/null),)
export CONTAINERS_CONF := $(IMAGE_CONTAINERS_CONF)
endif
endif
endif

.PHONY: image rehearse test-container image-podman-setup image-check-codex-defaults

image:
	$(DOCKER) build $(IMAGE_BUILD_ARGS) -t $(IMAGE) .
	@size=$$($(DOCKER) image inspect --format '{{.Size}}' $(IMAGE)) && \
	  echo "image $(IMAGE): $$size bytes ($$((size / 1024)) KiB)"

rehearse: image
	DOCKER='$(DOCKER)' CODEX='$(CODEX)' tests/container/rehearse.sh $(IMAGE)

# Everything podman does here uses the project's containers.conf.
test-container: export CONTAINERS_CONF := $(IMAGE_CONTAINERS_CONF)
test-container: image-podman-setup
	@codex=; rc=0; codex=$$(scripts/install-codex.sh) || rc=$$?; \
	if [ $$rc -eq 77 ]; then codex=; elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	$(MAKE) --no-print-directory rehearse DOCKER=podman CODEX="$$codex"
	@$(MAKE) --no-print-directory image-check-codex-defaults

image-podman-setup:
	CONTAINERS_CONF='$(IMAGE_CONTAINERS_CONF)' scripts/podman-setup.sh

# The Codex baseline must be accepted by the real Codex CLI (exit 77: npm
# registry unreachable, reported as SKIPPED, not a failure).
image-check-codex-defaults:
	@rc=0; tests/container/check-codex-config.sh defaults/codex || rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "SKIPPED: Codex check of defaults/codex (npm registry unreachable)"; \
	else exit $$rc; fi

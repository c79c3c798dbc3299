# Container image targets; included by the Makefile (`include mk/*.mk`).
#
#   make image                      build $(IMAGE) (also tagged config-init:$(IMAGE_VERSION), the
#                                   chart's default appVersion tag) with $(DOCKER), print its size
#   make rehearse                   image + run it as a restricted init container would
#                                   (tests/container/rehearse.sh)
#   make test-container             the same with podman, set up by scripts/podman-setup.sh,
#                                   plus the real-Codex checks of defaults/codex and of an
#                                   enforced policy (tests/container/check-codex-policy.sh),
#                                   the SCHEMA_URLS build (tests/container/test-image-schemas.sh)
#                                   and the engine-choice test
#   make image-clean                remove the build stage's image that `image` keeps for its
#                                   layer cache (`make test` ends with it)
#
# Variables: DOCKER (engine; default: docker when its daemon answers, else podman, as
# scripts/pick-engine.sh decides), IMAGE (tag, default config-init:dev), SCHEMA_URLS
# (NAME=URL pairs: JSON Schemas fetched into /usr/share/config-init/schemas/NAME.json of
# the image; default none; see docs/container.md).
# Helper targets are prefixed `image-` to keep clear of the Makefile's own.

# Decided once, when a recipe first needs it (so `make build` never asks Docker).
DOCKER ?= $(eval DOCKER := $(shell DOCKER= scripts/pick-engine.sh))$(DOCKER)
IMAGE ?= config-init:dev
# The version the binary reports (CMake's project version), for the OCI label and the
# second tag (the chart's appVersion; tests/chart checks that the two agree).
IMAGE_VERSION ?= $(shell sed -n 's/^project(config-init VERSION \([^ )]*\).*/\1/p' CMakeLists.txt)
# The OCI source label: the clone's remote, only when it is a URL (a local path says nothing
# to whoever pulls the image).
IMAGE_SOURCE ?= $(shell git remote get-url origin 2>/dev/null | grep -E '^(https?|ssh|git)://|^[^/:]+@[^/:]+:')
SCHEMA_URLS ?=
IMAGE_BUILD_ARGS = --build-arg VERSION=$(or $(IMAGE_VERSION),dev) \
  $(if $(IMAGE_SOURCE),--build-arg SOURCE=$(IMAGE_SOURCE)) \
  $(if $(strip $(SCHEMA_URLS)),--build-arg 'SCHEMA_URLS=$(strip $(SCHEMA_URLS))')
# podman reads the project's engine settings from here (see scripts/containers.conf), unless
# the caller set CONTAINERS_CONF (podman then reads only that file).
IMAGE_CONTAINERS_CONF := $(CURDIR)/scripts/containers.conf
IMAGE_IS_PODMAN = $(filter podman,$(notdir $(firstword $(DOCKER))))
IMAGE_ENGINE = $(if $(IMAGE_IS_PODMAN),CONTAINERS_CONF='$(or $(CONTAINERS_CONF),$(IMAGE_CONTAINERS_CONF))') $(DOCKER)

.PHONY: image rehearse test-container image-podman-setup image-check-codex-defaults \
        image-check-codex-policy image-test-schemas image-test-engine image-clean

# With podman: podman-setup.sh first (packages, and the base image built from Debian's archive
# when it is missing: no container registry needs to be reachable). The build stage is
# labelled config-init.stage=build and kept, so that the next build reuses its layers;
# `make image-clean` (run at the end of `make test`) removes it (only that one).
image:
	@echo "engine: $(DOCKER)"
	$(if $(IMAGE_IS_PODMAN),CONTAINERS_CONF='$(or $(CONTAINERS_CONF),$(IMAGE_CONTAINERS_CONF))' scripts/podman-setup.sh)
	$(IMAGE_ENGINE) build $(IMAGE_BUILD_ARGS) -t $(IMAGE) $(if $(IMAGE_VERSION),-t config-init:$(IMAGE_VERSION)) .
	@size=$$($(IMAGE_ENGINE) image inspect --format '{{.Size}}' $(IMAGE)) && \
	  echo "image $(IMAGE): $$size bytes ($$((size / 1024)) KiB)"

rehearse: image
	$(if $(IMAGE_IS_PODMAN),CONTAINERS_CONF='$(or $(CONTAINERS_CONF),$(IMAGE_CONTAINERS_CONF))') \
	  DOCKER='$(DOCKER)' CODEX='$(CODEX)' tests/container/rehearse.sh $(IMAGE)

# Everything podman does here uses the project's containers.conf.
test-container: export CONTAINERS_CONF := $(IMAGE_CONTAINERS_CONF)
test-container: image-podman-setup
	@codex=; rc=0; codex=$$(scripts/install-codex.sh) || rc=$$?; \
	if [ $$rc -eq 77 ]; then codex=; elif [ $$rc -ne 0 ]; then exit $$rc; fi; \
	$(MAKE) --no-print-directory rehearse DOCKER=podman CODEX="$$codex"
	@$(MAKE) --no-print-directory image-check-codex-defaults
	@$(MAKE) --no-print-directory image-check-codex-policy DOCKER=podman
	@$(MAKE) --no-print-directory image-test-schemas DOCKER=podman
	@$(MAKE) --no-print-directory image-test-engine

# Removes the build stage's image (labelled config-init.stage=build) and checks that none is
# left: `make test` ends with it, so that it leaves no 800 MB build image behind.
image-clean:
	-@$(IMAGE_ENGINE) image prune -f --filter label=config-init.stage=build >/dev/null
	@left=$$($(IMAGE_ENGINE) images -q --filter label=config-init.stage=build 2>/dev/null); \
	if [ -n "$$left" ]; then echo "error: build-stage images left behind: $$left" >&2; exit 1; fi; \
	echo "no build-stage image left behind"

# The engine choice of `make rehearse` (fake docker and podman commands on PATH).
image-test-engine:
	tests/container/test-pick-engine.sh

image-podman-setup:
	CONTAINERS_CONF='$(IMAGE_CONTAINERS_CONF)' scripts/podman-setup.sh

# The Codex baseline must be accepted by the real Codex CLI (exit 77: npm
# registry unreachable, reported as SKIPPED, not a failure).
image-check-codex-defaults:
	@rc=0; tests/container/check-codex-config.sh defaults/codex || rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "SKIPPED: Codex check of defaults/codex (npm registry unreachable)"; \
	else exit $$rc; fi

# A policy materialised by the image into what becomes /etc/codex must hold in the real Codex
# CLI against a user config.toml that says otherwise (exit 77: npm registry unreachable).
image-check-codex-policy:
	@rc=0; DOCKER='$(DOCKER)' tests/container/check-codex-policy.sh $(IMAGE) || rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "SKIPPED: Codex policy check (npm registry unreachable)"; \
	else exit $$rc; fi

# The SCHEMA_URLS build argument: a schema served on 127.0.0.1 ends up in the image (a
# second build that reuses every layer of $(IMAGE)'s build stage but the last).
image-test-schemas:
	DOCKER='$(DOCKER)' tests/container/test-image-schemas.sh $(IMAGE)

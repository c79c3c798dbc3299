# config-init: one static binary in a FROM scratch image, run as a Kubernetes
# init container. Build:  docker build -t config-init:dev .   (or `make image`)
# Works unchanged with podman (`make image` picks it when no Docker daemon answers).

# ---- build stage: compile, run the unit tests, strip ----------------------------
FROM debian:bookworm-slim AS build
# `make image` removes this stage's image afterwards by this label (and nothing else).
LABEL config-init.stage=build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ make file \
      libboost-program-options-dev libfyaml-dev \
      libtomlplusplus-dev doctest-dev nlohmann-json3-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# Unit tests run as part of the build: a red test fails the image build.
RUN rm -rf build \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build \
 && ctest --test-dir build --output-on-failure

# The final stage has no libc: refuse anything but a fully static binary.
# Then lay out the final filesystem, with modes that do not depend on the
# builder's umask (USER 65532 must be able to read the defaults).
RUN strip --strip-all build/config-init \
 && file build/config-init \
 && file build/config-init | grep -Eq 'statically linked|static-pie linked' \
 && build/config-init --version \
 && install -D -m 0755 build/config-init /rootfs/usr/local/bin/config-init \
 && mkdir -p /rootfs/etc/codex-defaults /rootfs/etc/claude-defaults \
 && cp -R defaults/codex/. /rootfs/etc/codex-defaults/ \
 && cp -R defaults/claude/. /rootfs/etc/claude-defaults/ \
 && chown -R 0:0 /rootfs \
 && chmod -R u=rwX,go=rX /rootfs/etc

# ---- final stage: the binary and the default layers, nothing else ---------------
FROM scratch

ARG VERSION=dev
ARG SOURCE=NOASSERTION
ARG LICENSES=NOASSERTION
LABEL org.opencontainers.image.title="config-init" \
      org.opencontainers.image.description="Materialises layered configuration (defaults + ConfigMap/Secret overlays, deep-merged) into an application's config directory; run as a Kubernetes init container." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}" \
      org.opencontainers.image.version="${VERSION}"

COPY --from=build /rootfs/ /

# Numeric, so runAsNonRoot can verify it (Pod Security Standards "restricted").
USER 65532:65532
# No CMD on purpose: with no arguments config-init materialises from its
# CONFIG_INIT_* environment variables (a pod may configure it by env alone).
ENTRYPOINT ["/usr/local/bin/config-init"]

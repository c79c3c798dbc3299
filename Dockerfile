# config-init: one static binary in a FROM scratch image, run as a Kubernetes
# init container. Build:  docker build -t config-init:dev .   (or `make image`)
# Works unchanged with podman (`make image` picks it when no Docker daemon answers).
#
# Build argument SCHEMA_URLS (default: none, and then the build fetches nothing):
# whitespace-separated NAME=URL pairs; each URL is fetched at build time into
# /usr/share/config-init/schemas/NAME.json of the image, for `--schema GLOB=FILE`.
# The agents' schemas, pinned to the agent's version: docs/container.md, "Agent schemas".

# ---- build stage: compile, run the unit tests, strip ----------------------------
FROM debian:bookworm-slim AS build
# `make image` removes this stage's image afterwards by this label (and nothing else).
LABEL config-init.stage=build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ make file \
      libboost-program-options-dev libfyaml-dev libvalijson-dev \
      libtomlplusplus-dev doctest-dev nlohmann-json3-dev libssl-dev \
      curl ca-certificates \
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

# Optional JSON Schemas (SCHEMA_URLS, see the top of this file). Declared after the
# compile so that a build with other URLs reuses every layer above. Each file must parse
# as JSON (config-init itself reads it); a download error or a bad pair fails the build.
ARG SCHEMA_URLS=
RUN set -eu; \
    [ -n "$SCHEMA_URLS" ] || exit 0; \
    dir=/rootfs/usr/share/config-init/schemas; \
    mkdir -p "$dir"; \
    for pair in $SCHEMA_URLS; do \
      name=${pair%%=*}; url=${pair#*=}; \
      case "$name" in ''|.*|*[!A-Za-z0-9._-]*) \
        echo "SCHEMA_URLS: '$pair': want NAME=URL, NAME of A-Z a-z 0-9 . _ -" >&2; exit 1;; esac; \
      case "$url" in http://?*|https://?*) ;; \
        *) echo "SCHEMA_URLS: '$pair': the URL must be http:// or https://" >&2; exit 1;; esac; \
      [ ! -e "$dir/$name.json" ] || { echo "SCHEMA_URLS: $name given twice" >&2; exit 1; }; \
      curl -fsSL --retry 2 --proto '=http,https' --max-filesize 20000000 -o "$dir/$name.json" "$url"; \
      build/config-init render --quiet --layer "$dir" "$name.json" >/dev/null \
        || { echo "SCHEMA_URLS: $url is not JSON" >&2; exit 1; }; \
      echo "schema $name.json: $url sha256 $(sha256sum "$dir/$name.json" | cut -d' ' -f1)"; \
    done; \
    chown -R 0:0 /rootfs/usr/share; \
    chmod -R u=rwX,go=rX /rootfs/usr/share

# ---- final stage: the binary, the default layers (and SCHEMA_URLS' schemas) -----
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

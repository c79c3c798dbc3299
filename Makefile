# config-init: `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
# Other targets: build, test-unit, test-integration, test-watch, test-asan, format, clean; the
# image (mk/image.mk), chart (mk/chart.mk), reliability (mk/reliability.mk), conformance
# (mk/conformance.mk), bench (mk/bench.mk), fresh-machine (mk/fresh.mk) and e2e (mk/e2e.mk,
# docs/e2e.md) targets are described in the README. `test` names every suite it runs.

BUILD ?= build
ASAN_BUILD ?= build-asan
BIN := $(BUILD)/config-init
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PYTEST ?= python3 -m pytest

.PHONY: all deps test-deps build demo test test-unit test-integration test-watch test-asan \
        format check-format clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONFIG_INIT_WERROR=ON $(CMAKE_FLAGS)

# The fully static binary at build/config-init, and the unit tests.
build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	@file $(BIN) | grep -q 'statically linked' || { echo "error: $(BIN) is not statically linked" >&2; exit 1; }
	@echo "built $(BIN): $$(stat -c %s $(BIN)) bytes, statically linked"

# Materialise the bundled example (image defaults + a kubelet-style ConfigMap) into demo-out/.
demo: build
	@rm -rf demo-out
	@echo "== config-init materialize: examples/codex/image-defaults + examples/codex/configmap -> demo-out/"
	$(BIN) materialize --log-format text \
	  --layer examples/codex/image-defaults --layer examples/codex/configmap \
	  --dest demo-out --require config.toml
	@echo
	@echo "== the files in demo-out/ (no ..data, no ..<timestamp>: kubelet internals are never copied)"
	@cd demo-out && find . -path ./.config-init -prune -o -type f -printf '%M %6s  %P\n' | sort -k3
	@echo
	@echo "== demo-out/config.toml: every default key kept, the overlay's keys merged in"
	@cat demo-out/config.toml
	@echo
	@echo "== where each key of config.toml came from (config-init explain)"
	@$(BIN) explain --log-format text --quiet \
	  --layer examples/codex/image-defaults --layer examples/codex/configmap config.toml
	@echo
	@echo "== a second run rewrites nothing; verify re-hashes every managed file"
	$(BIN) materialize --log-format text --quiet \
	  --layer examples/codex/image-defaults --layer examples/codex/configmap --dest demo-out
	$(BIN) verify --log-format text --quiet --dest demo-out

test-unit: build
	$(BUILD)/unit-tests

test-integration: build test-deps
	CONFIG_INIT_BIN=$(abspath $(BIN)) $(PYTEST) -q tests/integration

# `config-init watch` and `status` as a process (tests/watch): kubelet-style swaps, latency,
# app edits racing 1,000 swaps, RSS and descriptors over 1,000 runs (about two minutes).
test-watch: build test-deps
	CONFIG_INIT_BIN=$(abspath $(BIN)) $(PYTEST) -q tests/watch

# The unit and integration tests again, under AddressSanitizer and UBSan (a dynamic build).
test-asan: deps test-deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCONFIG_INIT_SANITIZE=ON \
	  -DCONFIG_INIT_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	$(ASAN_BUILD)/unit-tests
	CONFIG_INIT_BIN=$(abspath $(ASAN_BUILD)/config-init) CONFIG_INIT_SANITIZED=1 \
	  $(PYTEST) -q tests/integration
	CONFIG_INIT_BIN=$(abspath $(ASAN_BUILD)/config-init) CONFIG_INIT_SANITIZED=1 \
	  $(PYTEST) -q tests/watch -k 'not thousand'

# Every test. `.ci/run` calls exactly this.
test: test-unit test-integration test-watch test-asan test-conformance test-container \
      test-chart test-reliability e2e
	@$(MAKE) --no-print-directory image-clean DOCKER=podman
	@echo "make test: all suites passed"

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) demo-out

-include mk/*.mk

# The public conformance suites (issue 12); included by the Makefile (`-include mk/*.mk`).
#
#   make test-conformance   toml-test (TOML 1.0 list), yaml-test-suite and JSONTestSuite,
#                           every case through the real binary both alone (validated and
#                           copied) and merged with a one-key overlay (parsed, re-emitted,
#                           read back by an independent reader and compared with the
#                           suite's expected data). Allowed refusals, each with its reason:
#                           tests/conformance/exceptions.txt. Results: docs/reliability.md.
#
# The suites come from the registries (npm, the Go module proxy), installed once into
# $(CONFIG_INIT_CACHE)/conformance by tests/conformance/install-suites.sh.
# Variables: CONF_BIN (binary under test, default the Makefile's BIN), CONF_PYTEST_ARGS.

CONF_BIN ?= $(or $(BIN),build/config-init)
CONF_PYTEST_ARGS ?= -q -p no:cacheprovider

.PHONY: test-conformance conformance-suites

conformance-suites:
	@tests/conformance/install-suites.sh >/dev/null

test-conformance: build test-deps conformance-suites
	CONFIG_INIT_BIN=$(abspath $(CONF_BIN)) $(PYTEST) $(CONF_PYTEST_ARGS) tests/conformance

# Reliability and security suite; included by the Makefile (`-include mk/*.mk`).
# What each test proves, what was tried and what was found: docs/reliability.md.
#
#   make test-reliability   short forms, part of `make test` (a few minutes): crash trials
#                           (SIGKILL at random delays and at strace-chosen syscalls), full and
#                           read-only disks, injected I/O errors, hostile inputs, concurrency,
#                           security (symlinks in DEST, crafted state, modes, the image under
#                           restricted settings when podman and the image exist), fuzz-short
#   make fuzz-short         build the libFuzzer targets (clang, ASan+UBSan), replay every
#                           regression input, fuzz each target FUZZ_SHORT_SECONDS
#   make fuzz               the same for FUZZ_SECONDS per target (long; corpus kept in build-fuzz/)
#   make fuzz-corpus        minimise build-fuzz's corpus back into tests/fuzz/corpus/
#   make soak               the long forms: hundreds of kill trials (tmpfs and the real disk),
#                           every syscall point class, all hostile cases in the container
#
# Variables: REL_BIN (binary under test, default the Makefile's BIN), REL_PYTEST_ARGS,
# FUZZ_SHORT_SECONDS (20), FUZZ_SECONDS (600), FUZZ_BUILD (build-fuzz), REL_SOAK_* (counts).
# Needs root for mounts and device nodes (tests that need it skip otherwise), strace for the
# deterministic kill points and injected errors (skipped, with a message, when missing).

REL_BIN ?= $(or $(BIN),build/config-init)
REL_PYTEST ?= $(or $(PYTEST),python3 -m pytest)
REL_PYTEST_ARGS ?= -q -p no:cacheprovider -rs
REL_ENV = CONFIG_INIT_BIN=$(abspath $(REL_BIN))
FUZZ_BUILD ?= build-fuzz
FUZZ_SHORT_SECONDS ?= 20
FUZZ_SECONDS ?= 600
FUZZ_RUN = FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh

REL_SOAK_TRIALS ?= 300
REL_SOAK_DISK_TRIALS ?= 100
REL_SOAK_POINTS ?= 200
REL_SOAK_INJECT ?= 200
REL_SOAK_ROUNDS ?= 20

.PHONY: test-reliability rel-pytest fuzz-short fuzz fuzz-build fuzz-corpus soak

# Both halves run even when the first fails, so one run reports every failure.
test-reliability: build test-deps fuzz-build
	@rc=0; start=$$(date +%s); \
	$(REL_ENV) $(REL_PYTEST) $(REL_PYTEST_ARGS) tests/reliability || rc=1; \
	$(FUZZ_RUN) fuzz $(FUZZ_SHORT_SECONDS) || rc=1; \
	echo "make test-reliability: $$([ $$rc -eq 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start ))s"; \
	exit $$rc

rel-pytest: build test-deps
	$(REL_ENV) $(REL_PYTEST) $(REL_PYTEST_ARGS) tests/reliability

fuzz-build:
	@FUZZ_JOBS=$(or $(FUZZ_JOBS),2) $(FUZZ_RUN) build

fuzz-short: fuzz-build
	@$(FUZZ_RUN) fuzz $(FUZZ_SHORT_SECONDS)

fuzz: fuzz-build
	@$(FUZZ_RUN) fuzz $(FUZZ_SECONDS)

fuzz-corpus: fuzz-build
	@$(FUZZ_RUN) merge

soak: build test-deps
	$(REL_ENV) REL_KILL_TRIALS=$(REL_SOAK_TRIALS) REL_KILL_POINTS=$(REL_SOAK_POINTS) \
	  REL_INJECT_POINTS=$(REL_SOAK_INJECT) REL_CONCURRENT_ROUNDS=$(REL_SOAK_ROUNDS) \
	  REL_CONTAINER_CASES=all $(REL_PYTEST) $(REL_PYTEST_ARGS) tests/reliability
	$(REL_ENV) python3 tests/reliability/crash_trials.py --mode random --fs disk \
	  --trials $(REL_SOAK_DISK_TRIALS) --files 3000 --big 4 --big-mib 8 >$(FUZZ_BUILD)-soak-disk.json
	@echo "make soak: passed ($(FUZZ_BUILD)-soak-disk.json has the disk trials' report)"

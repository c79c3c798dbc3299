# Benchmarks against the shell entrypoint config-init replaces (docs/benchmarks.md).
#   make bench           all cases, alternating with the baseline; writes docs/benchmarks.md
#   make bench-profile   where config-init spends its time in each case (perf, callgrind)
#   make bench-compare BENCH_VARIANTS="old=/path/to/config-init new=build/config-init"
# Knobs: BENCH_DIR (inputs, destinations; default /tmp/config-init-bench), BENCH_CASES,
# BENCH_RUNS_SCALE (multiplies the runs per case), BENCH_DEST_FS (auto|loop|host),
# BENCH_SCALING (file counts of the scaling table; empty: skip it).

BENCH_DIR ?= /tmp/config-init-bench
BENCH_CASES ?= a,b,c,d1,d2,e
BENCH_RUNS_SCALE ?= 1
BENCH_DEST_FS ?= auto
BENCH_SCALING ?= 1000,10000,100000
BENCH_DOC ?= docs/benchmarks.md
BENCH_TOOLS_DIR ?= $(HOME)/.cache/config-init-bench
BENCH_VARIANTS ?= current=$(BIN)
BENCH_PYTHON ?= python3

.PHONY: bench bench-profile bench-compare

bench: build
	@BENCH_YQ=$$(bench/install-tools.sh $(BENCH_TOOLS_DIR)) && \
	  $(BENCH_PYTHON) bench/bench.py --bin $(BIN) --work $(BENCH_DIR) --doc $(BENCH_DOC) \
	    --yq "$$BENCH_YQ" --cases $(BENCH_CASES) --runs-scale $(BENCH_RUNS_SCALE) \
	    --dest-fs $(BENCH_DEST_FS) --scaling "$(BENCH_SCALING)"

bench-profile: build
	@BENCH_PROFILE_TOOLS=1 bench/install-tools.sh $(BENCH_TOOLS_DIR) >/dev/null
	$(BENCH_PYTHON) bench/profile.py --bin $(BIN) --work $(BENCH_DIR) \
	  --cases $(BENCH_CASES) --dest-fs $(BENCH_DEST_FS)

bench-compare: build
	$(BENCH_PYTHON) bench/compare.py --work $(BENCH_DIR) --dest-fs $(BENCH_DEST_FS) \
	  --cases $(BENCH_CASES) $(BENCH_VARIANTS)

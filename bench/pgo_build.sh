#!/usr/bin/env bash
# Profile-guided build of libplumb_runtime (the data path: reading, decoding CIs,
# the evaluation loop, output), for benchmarks and release builds.
#
#   bench/pgo_build.sh [BUILD_DIR]      (default: build-bench)
#
# 1. configures BUILD_DIR (Release, Ninja) with the runtime instrumented
#    (-fprofile-generate) and builds `plumb`;
# 2. trains it: the bench pack and the stdlib over 30,000 generated CIs (seed 7:
#    not the benchmark's corpus, seed 2), at one and two threads, and every output
#    format over the bundled example CIs;
# 3. reconfigures with -fprofile-use and builds `plumb` again.
# Only the runtime library takes the profile; the compiler (LLVM, ANTLR) is built
# as usual. The profile lives in BUILD_DIR/pgo-profile. The build dir stays
# configured with the profile: later edits of runtime sources build, with GCC
# ignoring the profile of functions that changed (-Wno-coverage-mismatch); run
# this script again to refresh it, or reconfigure with
# -DPLUMB_RUNTIME_EXTRA_FLAGS= to drop it. Decision 37 (docs/decisions.md).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$repo/build-bench}")
profile=$build/pgo-profile
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

configure() {
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DPLUMB_RUNTIME_EXTRA_FLAGS=$1" >/dev/null
}

echo "[pgo] instrumented build in $build" >&2
rm -rf "$profile"
mkdir -p "$profile"
configure "-fprofile-generate -fprofile-update=atomic -fprofile-dir=$profile"
cmake --build "$build" --target plumb

echo "[pgo] training" >&2
plumb=$build/compiler/plumb
python3 "$repo/bench/gen_cis.py" --count 30000 --seed 7 -o "$work/train.ndjson"
export PLUMB_CACHE_DIR=$work/jit-cache
run() {
  # 0 = all compliant, 1 = something non-compliant; anything else is a failure.
  local rc=0
  "$plumb" run "$@" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "[pgo] training run failed (exit $rc): plumb run $*" >&2
    exit 1
  fi
}
for threads in 1 2; do
  run "$repo/bench/rules/pack.plumb" --stdlib "$repo/stdlib" --input "$work/train.ndjson" --format ndjson --threads "$threads" \
    --now 2024-01-01T00:00:00Z -o /dev/null
done
run "$repo/stdlib/aws" --stdlib "$repo/stdlib" --input "$work/train.ndjson" --format ndjson -o /dev/null
for format in table json ndjson evaluations junit sarif; do
  run "$repo/stdlib/aws" --stdlib "$repo/stdlib" --input "$repo/examples/cis" --format "$format" -o /dev/null
done

echo "[pgo] optimised build" >&2
configure "-fprofile-use -fprofile-partial-training -fprofile-dir=$profile -Wno-missing-profile -Wno-coverage-mismatch"
cmake --build "$build" --target plumb
echo "[pgo] done: $plumb" >&2

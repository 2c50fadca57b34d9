#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in fuzz/ (one per parser):
#
#   scripts/fuzz.sh TARGET SECONDS     one target, e.g. scripts/fuzz.sh docbin 600
#   scripts/fuzz.sh all SECONDS        every target in turn, SECONDS each
#   scripts/fuzz.sh light SECONDS      the targets that do not link LibTorch (what CI runs)
#   scripts/fuzz.sh list               the target names
#
# Build: clang with -fsanitize=address,undefined,fuzzer-no-link in $FUZZ_BUILD_DIR (build-asan,
# shared with `scripts/test.sh --sanitize`). Seeds are made at run time from ../shared/data (and
# the Hugging Face-made checkpoints in tests/models/fixtures) by scripts/fuzz_seeds.py; each
# target's growing corpus, crash inputs and log live under $FUZZ_OUT (out/fuzz). A target fails on
# a crash, an uncaught exception, an ASan/UBSan report, a leak, an input taking over 30 s or over
# 2 GB of memory. Prints one line per target (executions, executions/s, corpus size, result) and
# exits 1 when any target failed. FUZZ_JOBS=N runs N targets at once (default 1); runs are niced.
set -euo pipefail
cd "$(dirname "$0")/.."

# The torch-free targets first; hf_config, safetensors and torch_bin link the models area (LibTorch),
# whose ASan build is the expensive part.
LIGHT=(cfg toml msgpack docbin conllu iob jsonl vocab_txt bpe_files tokenizer_json spm_model serve_request)
TARGETS=("${LIGHT[@]}" hf_config safetensors torch_bin)
if [ "${1:-}" = "list" ]; then
  printf '%s\n' "${TARGETS[@]}"
  exit 0
fi
if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh TARGET|all|light SECONDS   (targets: ${TARGETS[*]})" >&2
  exit 2
fi
WHAT=$1
SECONDS_EACH=$2
if [ "$WHAT" = all ]; then
  RUN=("${TARGETS[@]}")
elif [ "$WHAT" = light ]; then
  RUN=("${LIGHT[@]}")
else
  [[ " ${TARGETS[*]} " == *" $WHAT "* ]] || { echo "unknown fuzz target '$WHAT' (scripts/fuzz.sh list)" >&2; exit 2; }
  RUN=("$WHAT")
fi

SHARED=${TRFPIPE_SHARED_DIR:-$PWD/../shared}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-asan}
OUT=${FUZZ_OUT:-out/fuzz}
JOBS=${FUZZ_JOBS:-1}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}

scripts/asan_build.sh "$BUILD_DIR" "${RUN[@]/#/fuzz_}"

SCRATCH=$(mktemp -d "${TMPDIR:-/dev/shm}/trfpipe-fuzz.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$OUT"

# libFuzzer reports leaks through LSan at exit; the suppressions cover LibTorch's own one-time
# allocations (operator registries) that live until the process ends.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}

run_one() {
  local t=$1
  local seeds=$SCRATCH/seeds/$t corpus=$OUT/corpus/$t log=$OUT/$t.log
  mkdir -p "$corpus" "$OUT/crashes"
  python3 scripts/fuzz_seeds.py "$t" "$SHARED" "$PWD" "$seeds"
  local rc=0
  TRFPIPE_FUZZ_SCRATCH=$SCRATCH nice -n 10 "$BUILD_DIR/fuzz/fuzz_$t" "$corpus" "$seeds" \
    -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t-" >"$log" 2>&1 || rc=$?
  local execs per_s
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  per_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  local result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |==ERROR|runtime error|deadly signal|uncaught|out-of-memory|timeout' "$log" || tail -1 "$log")"
  fi
  printf '%-15s %12s execs %8s/s  corpus %5s  %s\n' "$t" "${execs:-?}" "${per_s:-?}" \
    "$(find "$corpus" -type f | wc -l)" "$result" | tee "$OUT/$t.result"
  [ "$rc" -eq 0 ]
}

echo "==> Fuzzing ${RUN[*]} for ${SECONDS_EACH}s each (logs and crashes in $OUT)"
failed=0
pids=()
for t in "${RUN[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$JOBS" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
exit $failed

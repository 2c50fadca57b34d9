#!/usr/bin/env bash
# Data-parallel training throughput (issue 17, docs/distributed.md): words/s of `trfpipe train`
# with 1, 2 and 4 local workers (`--n-workers`, Gloo on loopback) and the share of the step time
# spent in the gradient all-reduce, for a CNN tagger (spaCy's `init config -p tagger`) and a small
# transformer + tagger listener (a random BERT of 2 layers, width 128). The batch size is per
# worker, so N workers process N times the words per step. Each worker gets nproc/N threads
# (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS). Words/s count the words of every worker's batches over
# the mean time the workers spent in training steps (update, all-reduce, optimizer; evaluation and
# saving excluded), as printed by `trfpipe train` ("Trained N steps on W workers: ...").
#   bench/distributed_bench.sh
# Environment: BUILD_DIR (build), WORKERS ("1 2 4"), STEPS (40), SENTENCES (2000), MODELS ("cnn trf"),
# THREADS (threads per worker; default nproc / workers), KEEP=1 keeps the logs (the folder is printed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARED=${TRFPIPE_SHARED_DIR:-$ROOT/../shared}
BUILD_DIR=${BUILD_DIR:-build}
WORKERS=${WORKERS:-"1 2 4"}
STEPS=${STEPS:-40}
SENTENCES=${SENTENCES:-2000}
MODELS=${MODELS:-"cnn trf"}
OUT=$(mktemp -d /tmp/trfpipe_distbench_XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$OUT"' EXIT

echo "== building the command line in $BUILD_DIR"
[ -f "$BUILD_DIR/build.ninja" ] || cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target trfpipe_command_line -j "${JOBS:-2}" >/dev/null
TRFPIPE="$BUILD_DIR/bin/trfpipe"

echo "== data: the first $SENTENCES sentences of UD English EWT train, 200 of dev"
awk -v n="$SENTENCES" '{print} /^$/ {if (++s == n) exit}' \
  "$SHARED/data/corpora/ud_english_ewt/en_ewt-ud-train.conllu" > "$OUT/train.conllu"
awk '{print} /^$/ {if (++s == 200) exit}' \
  "$SHARED/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu" > "$OUT/dev.conllu"
"$TRFPIPE" convert "$OUT/train.conllu" "$OUT" -n 1 >/dev/null
"$TRFPIPE" convert "$OUT/dev.conllu" "$OUT" -n 1 >/dev/null

"$TRFPIPE" init config "$OUT/cnn.cfg" -p tagger >/dev/null
"$TRFPIPE" init model "$OUT/bert" --arch bert --layers 2 --width 128 --heads 2 \
  --tokenizer "$SHARED/data/tokenizers/bert-base-uncased-vocab.txt" >/dev/null
"$TRFPIPE" init config "$OUT/trf.cfg" -p tagger --transformer "$OUT/bert" >/dev/null

cores=$(nproc)
printf '\n%-5s %8s %10s %12s %9s %15s %8s\n' model workers "words/s" "vs 1 worker" "steps" "all-reduce %" "wall s"
printf '%-5s %8s %10s %12s %9s %15s %8s\n' ----- ------- -------- ----------- ----- ------------ ------
for model in $MODELS; do
  base=""
  for n in $WORKERS; do
    threads=${THREADS:-$(( cores / n ))}; [ "$threads" -ge 1 ] || threads=1
    log="$OUT/$model-$n.log"
    start=$(date +%s.%N)
    OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads "$TRFPIPE" train "$OUT/$model.cfg" \
      --paths.train "$OUT/train.spacy" --paths.dev "$OUT/dev.spacy" \
      --training.max_steps "$STEPS" --training.eval_frequency 100000 --training.accumulate_gradient 1 \
      --n-workers "$n" > "$log" 2>&1 || { echo "train failed ($model, $n workers):"; tail -20 "$log"; exit 1; }
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    line=$(grep "Trained " "$log")
    wps=$(sed -E 's/.*\(([0-9]+) words\/s\).*/\1/' <<<"$line")
    share=$(grep -oE '\(([0-9.]+)% of the step time\)' <<<"$line" | grep -oE '[0-9.]+' || echo "-")
    steps=$(sed -E 's/.*Trained ([0-9]+) steps.*/\1/' <<<"$line")
    [ -n "$base" ] || base=$wps
    printf '%-5s %8s %10s %11.2fx %9s %15s %8.1f\n' "$model" "$n" "$wps" \
      "$(echo "$wps / $base" | bc -l)" "$steps" "$share" "$wall"
  done
done
echo
[ -z "${KEEP:-}" ] || echo "logs: $OUT"
echo "threads per worker: ${THREADS:-nproc / workers}"
echo "machine: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

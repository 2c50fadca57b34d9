#!/usr/bin/env bash
# Data-parallel training throughput (issue 17, docs/distributed.md): words/s of `trfpipe train`
# with 1, 2 and 4 local workers (`--n-workers`, Gloo on loopback) and the share of the step time
# spent in the gradient all-reduce, for a CNN tagger (spaCy's `init config -p tagger`) and a small
# transformer + tagger listener (a random BERT of 2 layers, width 128). The batch size is per
# worker, so N workers process N times the words per step. Each worker gets nproc/N threads
# (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS). Words/s count the words of every worker's batches over
# the mean time the workers spent in training steps (update, all-reduce, optimizer; evaluation and
# saving excluded), as printed by `trfpipe train` ("Trained N steps on W workers: ...").
# A second table (equivalence) gives the largest weight difference after 20 steps (dropout 0, one
# thread per process, 60 UD sentences in 12 docs, batch_by_sequence) between 2 workers x 4 docs and
# 1 worker x 8 docs, for SGD and Adam (spaCy's default) and for the quickstart CNN tagger with its
# MaxoutWindowEncoder and with a MishWindowEncoder; beside it two yardsticks: the same 1 x 8 run
# with 2 BLAS threads instead of 1 (only the order of summation changes) and 1 worker x 4 docs (a
# different batch). It needs python3 (standard library) to read the weights.
# A third table (overlap) trains 2 workers (one thread each) with the gradient buckets started
# during the backward pass (the default) and after it (TRFPIPE_DIST_OVERLAP=0), ROUNDS times,
# the two alternating (the order swapped every round), and prints the step time of each and the
# ratio, per round and the median (the machine is shared: A/B in turn, not one after the other).
#   bench/distributed_bench.sh
# Environment: BUILD_DIR (build), WORKERS ("1 2 4"), STEPS (40), SENTENCES (2000), MODELS ("cnn trf"),
# THREADS (threads per worker; default nproc / workers), TABLES ("throughput equivalence overlap"),
# ROUNDS (5), BUCKET_MB (overlap table: TRFPIPE_DIST_BUCKET_MB, default 25), KEEP=1 keeps the logs
# (the folder is printed).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARED=${TRFPIPE_SHARED_DIR:-$ROOT/../shared}
BUILD_DIR=${BUILD_DIR:-build}
WORKERS=${WORKERS:-"1 2 4"}
STEPS=${STEPS:-40}
SENTENCES=${SENTENCES:-2000}
MODELS=${MODELS:-"cnn trf"}
TABLES=${TABLES:-"throughput equivalence overlap"}
ROUNDS=${ROUNDS:-5}
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
if [[ " $TABLES " == *" throughput "* ]]; then
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
    share=$(grep -oE '\(([0-9.]+)% of the step time' <<<"$line" | grep -oE '[0-9.]+' || echo "-")
    steps=$(sed -E 's/.*Trained ([0-9]+) steps.*/\1/' <<<"$line")
    [ -n "$base" ] || base=$wps
    printf '%-5s %8s %10s %11.2fx %9s %15s %8.1f\n' "$model" "$n" "$wps" \
      "$(echo "$wps / $base" | bc -l)" "$steps" "$share" "$wall"
  done
done
echo "threads per worker: ${THREADS:-nproc / workers}"
fi

# Largest absolute difference between the float weights of two pipelines (every `model` file).
max_weight_difference() {
  python3 - "$1" "$2" <<'PY'
import array, json, os, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for key, info in header.items():
        if key == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(data[8 + n + start:8 + n + end])
        out[key] = values
    return out
worst = 0.0
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if name not in ("model", "model.safetensors"):
            continue
        a = tensors(os.path.join(root, name))
        b = tensors(os.path.join(sys.argv[2], os.path.relpath(os.path.join(root, name), sys.argv[1])))
        for key, values in a.items():
            worst = max([worst] + [abs(x - y) for x, y in zip(values, b[key])])
print("%.2g" % worst)
PY
}

if [[ " $TABLES " == *" equivalence "* ]]; then
  echo
  echo "== equivalence: largest weight difference after 20 steps (dropout 0, 1 thread per process)"
  awk '{print} /^$/ {if (++s == 60) exit}' \
    "$SHARED/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu" > "$OUT/eq.conllu"
  mkdir -p "$OUT/eq"
  "$TRFPIPE" convert "$OUT/eq.conllu" "$OUT/eq" -n 5 >/dev/null
  # The quickstart config with a fixed batch of docs and the optimizer and encoder under test.
  make_config() {  # optimizer encoder output
    python3 - "$OUT/cnn.cfg" "$1" "$2" "$3" <<'PY'
import sys
source, optimizer, encoder, target = sys.argv[1:]
replaced = ("[training.optimizer]", "[training.batcher]", "[components.tok2vec.model.encode]")
kept, skipping = [], False
for line in open(source).read().split("\n"):
    if line.startswith("["):
        skipping = any(line == s or line.startswith(s[:-1] + ".") for s in replaced)
    if not skipping:
        kept.append(line)
kept.append('[training.batcher]\n@batchers = "spacy.batch_by_sequence.v1"\nsize = 4\nget_length = null\n')
if optimizer == "sgd":
    kept.append('[training.optimizer]\n@optimizers = "SGD.v1"\nlearn_rate = 0.05\nL2 = 0.0\n'
                'grad_clip = 1.0\nuse_averages = false\n')
else:
    kept.append('[training.optimizer]\n@optimizers = "Adam.v1"\nbeta1 = 0.9\nbeta2 = 0.999\n'
                'L2_is_weight_decay = true\nL2 = 0.01\ngrad_clip = 1.0\nuse_averages = false\n'
                'eps = 1e-08\nlearn_rate = 0.001\n')
if encoder == "maxout":
    kept.append('[components.tok2vec.model.encode]\n@architectures = "spacy.MaxoutWindowEncoder.v2"\n'
                'width = 96\ndepth = 4\nwindow_size = 1\nmaxout_pieces = 3\n')
else:
    kept.append('[components.tok2vec.model.encode]\n@architectures = "spacy.MishWindowEncoder.v2"\n'
                'width = 96\ndepth = 4\nwindow_size = 1\n')
open(target, "w").write("\n".join(kept))
PY
  }
  eq_train() {  # config output batch_size threads [environment...]
    local cfg=$1 out=$2 size=$3 threads=$4; shift 4
    env OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" "$@" "$TRFPIPE" train "$cfg" -o "$out" \
      --paths.train "$OUT/eq/eq.spacy" --paths.dev "$OUT/eq/eq.spacy" --training.max_steps 20 \
      --training.eval_frequency 10 --training.dropout 0 --training.accumulate_gradient 1 \
      --training.seed 3 --training.batcher.size "$size" > "$out.log" 2>&1 ||
      { echo "train failed ($out):"; tail -20 "$out.log"; exit 1; }
  }
  printf '\n%-7s %-9s %12s %22s %18s\n' encoder optimizer "2x4 vs 1x8" "1x8: 2 threads vs 1" "1x4 vs 1x8"
  printf '%-7s %-9s %12s %22s %18s\n' ------- --------- ---------- ------------------- ----------
  for encoder in maxout mish; do
    for optimizer in sgd adam; do
      cfg="$OUT/eq-$encoder-$optimizer.cfg"
      make_config "$optimizer" "$encoder" "$cfg"
      run="$OUT/eq-$encoder-$optimizer"
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      for rank in 0 1; do
        eq_train "$cfg" "$run-two$rank" 4 1 RANK=$rank WORLD_SIZE=2 LOCAL_RANK=$rank \
          MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" &
      done
      eq_train "$cfg" "$run-one" 8 1
      wait
      eq_train "$cfg" "$run-threads" 8 2
      eq_train "$cfg" "$run-four" 4 1
      printf '%-7s %-9s %12s %22s %18s\n' "$encoder" "$optimizer" \
        "$(max_weight_difference "$run-two0/model-last" "$run-one/model-last")" \
        "$(max_weight_difference "$run-threads/model-last" "$run-one/model-last")" \
        "$(max_weight_difference "$run-four/model-last" "$run-one/model-last")"
    done
  done
fi

if [[ " $TABLES " == *" overlap "* ]]; then
  echo
  echo "== overlap: 2 workers x 1 thread, $STEPS steps, buckets of ${BUCKET_MB:-25} MB (first 1 MB)"
  # Seconds per step of one run (the mean over the workers), its all-reduce share, and how many
  # buckets started during the backward pass.
  overlap_run() {  # model 1|0 log
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TRFPIPE_DIST_OVERLAP=$2 \
      TRFPIPE_DIST_BUCKET_MB=${BUCKET_MB:-25} "$TRFPIPE" train "$OUT/$1.cfg" \
      --paths.train "$OUT/train.spacy" --paths.dev "$OUT/dev.spacy" \
      --training.max_steps "$STEPS" --training.eval_frequency 100000 \
      --training.accumulate_gradient 1 --n-workers 2 > "$3" 2>&1 ||
      { echo "train failed ($1, overlap $2):"; tail -20 "$3"; exit 1; }
    sed -E 's/.*Trained ([0-9]+) steps.* in ([0-9.]+) s of steps.*\(([0-9.]+)% of the step time; ([0-9]+) of ([0-9]+) buckets.*/\2 \1 \3 \4 \5/' \
      <<<"$(grep "Trained " "$3")" | awk '{printf "%.1f %s %s/%s\n", 1000 * $1 / $2, $3, $4, $5}'
  }
  printf '\n%-5s %6s %16s %17s %8s %14s %14s\n' model round "overlap ms/step" "after ms/step" ratio "all-reduce %" "early buckets"
  printf '%-5s %6s %16s %17s %8s %14s %14s\n' ----- ----- --------------- ------------- ----- ------------ -------------
  for model in $MODELS; do
    ratios=()
    for round in $(seq 1 "$ROUNDS"); do
      if (( round % 2 )); then order="1 0"; else order="0 1"; fi
      for mode in $order; do
        read -r ms share early <<<"$(overlap_run "$model" "$mode" "$OUT/overlap-$model-$round-$mode.log")"
        if [ "$mode" = 1 ]; then on_ms=$ms on_share=$share on_early=$early; else off_ms=$ms off_share=$share; fi
      done
      ratio=$(echo "$on_ms / $off_ms" | bc -l)
      ratios+=("$ratio")
      printf '%-5s %6s %16s %17s %7.2fx %14s %14s\n' "$model" "$round" "$on_ms" "$off_ms" "$ratio" \
        "$on_share / $off_share" "$on_early"
    done
    median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
    printf '%-5s %6s %16s %17s %7.2fx   (overlap / after: below 1 is faster)\n' "$model" median "" "" "$median"
  done
fi
echo
[ -z "${KEEP:-}" ] || echo "logs: $OUT"
echo "machine: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

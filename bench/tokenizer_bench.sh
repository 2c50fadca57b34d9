#!/usr/bin/env bash
# Subword tokenizer speed: trfpipe vs Hugging Face tokenizers (Rust, via the npm binding
# @anush008/tokenizers@0.6.0) on ../shared/data/text/sotu.jsonl with the same
# bert-base-uncased tokenizer.json, single-threaded. Verifies identical ids on the whole corpus,
# then prints MB/s and tokens/s (wall clock and process CPU time) and the ratio, plus trfpipe's
# multi-threaded throughput for pipe-style batches.
#   bench/tokenizer_bench.sh [TOKENIZER_JSON] [CORPUS_JSONL]
# Environment: BUILD_DIR (build), THREADS (nproc), REPEATS (3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SHARED=${TRFPIPE_SHARED_DIR:-$ROOT/../shared}
TOK=${1:-$SHARED/data/golden/tokenization/bert-base-uncased.tokenizer.json}
CORPUS=${2:-$SHARED/data/text/sotu.jsonl}
BUILD_DIR=${BUILD_DIR:-build}
THREADS=${THREADS:-$(nproc)}
REPEATS=${REPEATS:-3}
OUT=$(mktemp -d /tmp/trfpipe_tokbench_XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "== building tokenizer_bench in $BUILD_DIR"
[ -f "$BUILD_DIR/build.ninja" ] || cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" --target tokenizer_bench -j "${JOBS:-2}" >/dev/null

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  # Node.js is needed only here (the peer is the npm binding of HF tokenizers).
  echo "== installing nodejs and npm with apt-get"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y nodejs npm
fi
echo "== installing @anush008/tokenizers@0.6.0 into bench/node"
mkdir -p bench/node
if [ ! -d bench/node/node_modules/@anush008/tokenizers ]; then
  (cd bench/node && { [ -f package.json ] || echo '{"name":"trfpipe-bench-node","private":true}' > package.json; } \
    && npm install --no-audit --no-fund --silent @anush008/tokenizers@0.6.0)
fi

echo "== Hugging Face tokenizers (single thread: RAYON_NUM_THREADS=1)"
RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
  node bench/hf_tokenizers_bench.js "$TOK" "$CORPUS" "$OUT/hf_ids.jsonl" "$REPEATS" > "$OUT/hf.json"
cat "$OUT/hf.json"
echo "== trfpipe"
"$BUILD_DIR/bin/tokenizer_bench" --tokenizer "$TOK" --corpus "$CORPUS" --ids-out "$OUT/trf_ids.jsonl" \
  --repeats "$REPEATS" --threads "$THREADS" > "$OUT/trf.json"
cat "$OUT/trf.json"

if ! cmp -s "$OUT/hf_ids.jsonl" "$OUT/trf_ids.jsonl"; then
  echo "✘ ids differ from Hugging Face on the corpus (first difference below)" >&2
  cmp "$OUT/hf_ids.jsonl" "$OUT/trf_ids.jsonl" >&2 || true
  exit 1
fi
echo "✔ identical ids on all $(wc -l < "$OUT/trf_ids.jsonl") texts"

node -e '
const fs = require("fs");
const hf = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const tr = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const f = (x, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const rows = [
  ["HF tokenizers, 1 thread", hf.mb_per_s, hf.tokens_per_s, hf.cpu_mb_per_s, hf.cpu_tokens_per_s],
  ["trfpipe, 1 thread", tr.mb_per_s, tr.tokens_per_s, tr.cpu_mb_per_s, tr.cpu_tokens_per_s],
];
console.log(`\ncorpus: ${tr.texts} texts, ${f(tr.bytes / 1e6, 2)} MB, ${tr.tokens.toLocaleString("en-US")} pieces (special tokens included)`);
console.log("| implementation | MB/s (wall) | tokens/s (wall) | MB/s (CPU time) | tokens/s (CPU time) |");
console.log("|---|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r[0]} | ${f(r[1])} | ${f(r[2], 0)} | ${f(r[3])} | ${f(r[4], 0)} |`);
console.log(`| **ratio trfpipe / HF** | **${f(tr.mb_per_s / hf.mb_per_s)}x** | | **${f(tr.cpu_mb_per_s / hf.cpu_mb_per_s)}x** | |`);
console.log(`| trfpipe, ${tr.threads} threads, batches of ${tr.batch} (encode_batch, padded) | ${f(tr.mt_mb_per_s)} | ${f(tr.mt_tokens_per_s, 0)} | | |`);
' "$OUT/hf.json" "$OUT/trf.json"

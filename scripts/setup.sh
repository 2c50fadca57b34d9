#!/usr/bin/env bash
# Installs trfpipe's dependencies on Debian bookworm (apt-get), builds it in Release and, unless
# --no-main-job or --deps-only is given, runs the main job (scripts/main_job.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread libsentencepiece-dev nlohmann-json3-dev libtomlplusplus-dev
  libicu-dev zlib1g-dev libcli11-dev libcpp-httplib-dev googletest libgtest-dev libgmock-dev
  libbenchmark-dev chromium
  libgloo-dev  # Gloo headers for c10d data-parallel training (training/distributed.cpp)
  clang libclang-rt-14-dev python3)  # ASan/UBSan/libFuzzer builds (scripts/fuzz.sh, test.sh --sanitize)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> Installing with apt-get: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "==> All apt dependencies are installed"
fi
[ "${1:-}" = "--deps-only" ] && exit 0

# Paths relative to the checkout in ccache keys: a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
echo "==> Configuring ($BUILD_DIR, Release)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
echo "==> Building with $JOBS jobs"
cmake --build "$BUILD_DIR" -j "$JOBS"

if [ "${1:-}" != "--no-main-job" ] && [ -x scripts/main_job.sh ]; then
  echo "==> Running the main job (scripts/main_job.sh)"
  BUILD_DIR="$BUILD_DIR" scripts/main_job.sh
fi

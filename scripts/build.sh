#!/usr/bin/env bash
# Configures and builds cloister into build/ (or $CLOISTER_BUILD_DIR). Warnings are errors.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOISTER_BUILD_DIR:-$src/build}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCLOISTER_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

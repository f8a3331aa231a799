#!/usr/bin/env bash
# The whole test suite on a fresh machine: `sudo scripts/test.sh`.
# As root it installs the dependencies, then re-runs itself as an unprivileged user (the
# sandbox tests must not run as root); as a user it builds and runs every test with ctest.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  "$src/scripts/install-deps.sh"
  exec "$src/scripts/as-user.sh" scripts/test.sh "$@"
fi
command -v cmake >/dev/null || { echo "test.sh: cmake missing; run as root once: sudo scripts/test.sh" >&2; exit 1; }
"$src/scripts/build.sh"
cd "${CLOISTER_BUILD_DIR:-$src/build}"
ctest --output-on-failure "$@"

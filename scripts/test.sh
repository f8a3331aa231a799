#!/usr/bin/env bash
# The whole test suite on a fresh machine: `sudo scripts/test.sh`.
# As root it installs the dependencies and sets up the network tests' test host (a network
# namespace on this machine, and /dev/net/tun usable by users: scripts/test-host.sh), then
# re-runs itself as an unprivileged user (the sandbox tests must not run as root); as a user it
# builds and runs every test with ctest (unit, integration, smoke, stress), then, for a full run
# (no ctest arguments), the unit and integration tests again under ASan+UBSan
# (scripts/sanitize.sh) and the fuzzers for $CLOISTER_FUZZ_SECONDS (60) each (scripts/fuzz.sh).
# CLOISTER_TEST_QUICK=1 leaves those two out, and says so.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  "$src/scripts/install-deps.sh"
  "$src/scripts/test-host.sh" up
  # The .deb, built, linted, installed and run from /usr/bin (needs root to install).
  "$src/scripts/package-test.sh"
  exec "$src/scripts/as-user.sh" scripts/test.sh "$@"
fi
command -v cmake >/dev/null || { echo "test.sh: cmake missing; run as root once: sudo scripts/test.sh" >&2; exit 1; }
"$src/scripts/build.sh"
(cd "${CLOISTER_BUILD_DIR:-$src/build}" && ctest --output-on-failure "$@")
if [ $# -gt 0 ]; then
  echo "test.sh: ctest arguments given: the sanitizer and fuzz runs are left out" >&2
elif [ -n "${CLOISTER_TEST_QUICK:-}" ]; then
  echo "test.sh: SKIPPED the sanitizer and fuzz runs (CLOISTER_TEST_QUICK is set)" >&2
else
  "$src/scripts/sanitize.sh"
  "$src/scripts/fuzz.sh"
fi

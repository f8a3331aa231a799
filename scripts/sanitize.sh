#!/usr/bin/env bash
# sanitize.sh [CTEST ARGS...]: the unit and integration tests once more, built with clang,
# AddressSanitizer and UBSan (a separate build directory, <build>/sanitize), as the user who runs
# it (the sandbox tests refuse root). Any sanitizer report fails the run: the runtime aborts the
# process that hit it (halt_on_error), so the test that ran it fails, and the log of every test
# is searched for reports afterwards so none can hide behind a test that ignores an exit status.
# The same build holds the fuzz targets (scripts/fuzz.sh).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOISTER_SANITIZE_BUILD_DIR:-${CLOISTER_BUILD_DIR:-$src/build}/sanitize}
if [ "$(id -u)" = 0 ]; then
  echo "sanitize.sh: run it as an ordinary user (sudo scripts/test.sh does)" >&2
  exit 2
fi
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLOISTER_WERROR=ON -DCLOISTER_SANITIZE=ON >/dev/null
cmake --build "$build" -j"$(nproc)"

# detect_leaks: LeakSanitizer at every sanitized process's exit. The exit codes are distinct so a
# test that sees one knows it was a sanitizer, not the app.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
export LSAN_OPTIONS=exitcode=88
cd "$build"
log=$build/sanitize-ctest.log
status=0
ctest --output-on-failure -V -L 'unit|integration' -E '^format$' "$@" >"$log" 2>&1 || status=$?
grep -E '^(UNIT|[0-9]+/[0-9]+ Test|100%|[0-9]+% tests|Total Test)' "$log" | grep -v '^UNIT' || true
reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" || true)
if [ "$reports" != 0 ]; then
  echo "sanitize.sh: $reports sanitizer report(s) in $log:" >&2
  grep -E -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -200 >&2
  exit 1
fi
if [ "$status" != 0 ]; then
  echo "sanitize.sh: tests failed under the sanitizers (full log: $log)" >&2
  grep -E -B2 -A40 '(FAILED|Failed|\*\*\*)' "$log" | tail -150 >&2 || true
  exit "$status"
fi
echo "sanitize.sh: unit and integration tests pass under ASan+UBSan, no sanitizer report"

#!/usr/bin/env bash
# fuzz.sh [SECONDS]: runs each libFuzzer target (the profile loader, the plan builder) for
# SECONDS (default $CLOISTER_FUZZ_SECONDS, else 60) on the sanitizer build (<build>/sanitize,
# made by scripts/sanitize.sh; built here if missing). Fails on any crash, sanitizer report,
# leak, uncaught exception or input slower than 10 s; the input that did it is kept in
# <build>/sanitize/fuzz/findings/ and printed. Prints the executions run and the coverage.
#
# Corpus: the seeds are the shipped profiles, every profile the unit tests write (collected by
# running them with CLOISTER_FUZZ_SEEDS), and tests/data/fuzz/<target>/ (hand-made seeds and
# past findings, which tests/unit/fuzz_regression_test.cpp also replays). What the fuzzer adds
# is kept in <build>/sanitize/fuzz/corpus/ between local runs; CI starts from the seeds.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOISTER_SANITIZE_BUILD_DIR:-${CLOISTER_BUILD_DIR:-$src/build}/sanitize}
seconds=${1:-${CLOISTER_FUZZ_SECONDS:-60}}
if [ "$(id -u)" = 0 ]; then
  echo "fuzz.sh: run it as an ordinary user (sudo scripts/test.sh does)" >&2
  exit 2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCLOISTER_WERROR=ON -DCLOISTER_SANITIZE=ON >/dev/null
fi
targets=(profile_fuzzer plan_fuzzer profile_test profile_desktop_test profile_locate_test
  profile_path_errors_test profile_schema_errors_test)
if ! cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  cat "$build/fuzz-build.log" >&2
  exit 1
fi

work=$build/fuzz
rm -rf "$work/seeds" "$work/findings"
mkdir -p "$work/seeds/profile" "$work/seeds/plan" "$work/findings" \
  "$work/corpus/profile" "$work/corpus/plan"
cp "$src"/profiles/*.toml "$work/seeds/profile/"
cp "$src"/tests/data/fuzz/profile/* "$work/seeds/profile/"
cp "$src"/profiles/*.toml "$src"/tests/data/fuzz/plan/* "$work/seeds/plan/"
for t in profile_test profile_desktop_test profile_locate_test profile_path_errors_test \
  profile_schema_errors_test; do
  CLOISTER_FUZZ_SEEDS=$work/seeds/profile "$build/tests/$t" >/dev/null
done
echo "fuzz.sh: $(ls "$work/seeds/profile" | wc -l) profile seeds, $(ls "$work/seeds/plan" | wc -l) plan seeds"

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
failed=0
for target in profile plan; do
  log=$work/$target.log
  rc=0
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: one using 2 GiB is a memory bomb.
  "$work/${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$work/findings/$target-" \
    "$work/corpus/$target" "$work/seeds/$target" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  echo "fuzz.sh: $target: ${runs:-?} executions in ${seconds}s (${speed:-?}/s), $cov, corpus $(ls "$work/corpus/$target" | wc -l) files"
  if [ "$rc" != 0 ]; then
    failed=1
    echo "fuzz.sh: $target FAILED (exit $rc); findings:" >&2
    ls -l "$work/findings/" >&2
    grep -E -A40 'ERROR: |==[0-9]+==|runtime error|deadly signal|Timeout|out-of-memory' "$log" |
      head -80 >&2
  fi
done
if [ "$failed" != 0 ]; then
  echo "fuzz.sh: reproduce with $work/<target>_fuzzer FILE; fix, then add the file to" \
    "tests/data/fuzz/<target>/ (replayed by the unit tests)" >&2
  exit 1
fi
echo "fuzz.sh: no crash, leak or timeout"

#!/usr/bin/env bash
# man_lint.sh PAGE...: each page renders without a single warning by the three tools that read
# it: mandoc's linter (every level, style included), groff with all warnings, and man(1) the
# way lintian runs it (UTF-8, 80 columns).
set -uo pipefail
for tool in mandoc groff man; do
  command -v $tool >/dev/null || {
    echo "FAIL: $tool not found: apt install mandoc groff-base man-db (scripts/install-deps.sh)" >&2
    exit 1
  }
done
failures=0
for page in "$@"; do
  out=$( {
    mandoc -T lint -W all "$page" 2>&1
    groff -ww -z -man -Tutf8 "$page" 2>&1
    MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null
  })
  if [ -n "$out" ]; then
    echo "FAIL: $page:" >&2
    echo "$out" >&2
    failures=$((failures + 1))
  fi
  # The NAME line apropos and lintian read: "name \- what it is".
  if ! sed -n '/^\.SH "\{0,1\}NAME/{n;p;}' "$page" | grep -qE '^[a-z-]+ \\- .+'; then
    echo "FAIL: $page: the NAME section does not read \"name \\- description\"" >&2
    failures=$((failures + 1))
  fi
done
[ $failures = 0 ] || exit 1
echo "$# page(s): mandoc -T lint, groff -ww and man --warnings are silent"

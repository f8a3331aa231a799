#!/usr/bin/env bash
# version_test.sh CLOISTER CHANGELOG PAGE...: one version everywhere. debian/changelog's top
# entry is the source (CMake reads it); `cloister --version` and the footer of each man page
# must say the same, so a release bumps one line (`dch -v X.Y.Z`) and nothing can lag behind.
set -uo pipefail
bin=$1 changelog=$2
shift 2
version=$(sed -nE '1s/^cloister \(([^)]+)\).*/\1/p' "$changelog")
if [ -z "$version" ]; then
  echo "FAIL: $changelog: the first line does not read \"cloister (VERSION) ...\"" >&2
  exit 1
fi
failures=0
got=$("$bin" --version)
if [ "$got" != "cloister $version" ]; then
  echo "FAIL: \`cloister --version\` says \"$got\"; debian/changelog says $version. Reconfigure (cmake reads the changelog) or fix CMakeLists.txt" >&2
  failures=$((failures + 1))
fi
for page in "$@"; do
  th=$(grep -m1 '^\.TH ' "$page")
  if [[ $th != *"\"cloister $version\""* ]]; then
    echo "FAIL: $page: the .TH line ($th) does not name cloister $version" >&2
    failures=$((failures + 1))
  fi
done
[ $failures = 0 ] || exit 1
echo "cloister $version: binary, changelog and $# man page(s) agree"

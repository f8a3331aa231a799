#!/usr/bin/env bash
# as-user.sh SCRIPT [ARGS...]: when run as root, copies the source tree to a fresh directory
# owned by an unprivileged user (created if needed) and runs SCRIPT there as that user, with a
# clean environment. cloister is rootless: what it does as root proves nothing.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
script=$1
shift
if [ "$(id -u)" != 0 ]; then
  exec bash "$src/$script" "$@"
fi
user=${CLOISTER_USER:-${SUDO_USER:-cloister-test}}
[ "$user" = root ] && user=cloister-test
if ! id "$user" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$user"
fi
home=$(getent passwd "$user" | cut -d: -f6)
work=$(runuser -u "$user" -- mktemp -d /tmp/cloister.XXXXXX)
tar -C "$src" --exclude=./build --exclude=./.git -cf - . | runuser -u "$user" -- tar -C "$work" -xf -
echo "== running $script as $user in $work"
exec runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
  PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
  CLOISTER_TEST_QUICK="${CLOISTER_TEST_QUICK:-}" CLOISTER_FUZZ_SECONDS="${CLOISTER_FUZZ_SECONDS:-60}" \
  bash "$work/$script" "$@"

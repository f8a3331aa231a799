#!/usr/bin/env bash
# The demo on a fresh machine: `sudo scripts/demo.sh`. Installs, builds, then runs a shell in
# a sandbox as an ordinary user and shows what it sees from inside.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  "$src/scripts/install-deps.sh"
  exec "$src/scripts/as-user.sh" scripts/demo.sh "$@"
fi
"$src/scripts/build.sh"
cloister=${CLOISTER_BUILD_DIR:-$src/build}/cloister
echo "== the plan: cloister run --dry-run shell"
"$cloister" run --dry-run shell | sed -n '1,/^mounts/p'
echo "== inside: cloister run shell -- sh -c '...'"
"$cloister" run shell -- /bin/sh -c '
  echo "who:      $(id)"
  echo "hostname: $(cat /proc/sys/kernel/hostname)"
  echo "pids:     $(ls /proc | grep -E "^[0-9]+$" | tr "\n" " ")"
  echo "network:  $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
  echo "home:     $HOME holds $(ls -A "$HOME" | wc -l) entries"
  grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status
  echo "root dir: $(ls / | tr "\n" " ")"
  touch /usr/cloister-was-here 2>&1 | sed "s/^/write:    /"
'
echo "== exit status of a sandboxed 'exit 3': $("$cloister" run shell -- /bin/sh -c 'exit 3'; echo $?)"
echo "Try it yourself: $cloister run shell"

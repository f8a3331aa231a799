#!/usr/bin/env bash
# Launch overhead of cloister against bubblewrap with a comparable sandbox, measured with
# hyperfine. `sudo scripts/bench.sh` installs hyperfine and bubblewrap and runs as an
# unprivileged user; as a user with both installed, `scripts/bench.sh` runs directly.
# Not part of the test suite: timings depend on the machine and are reported, not asserted.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  "$src/scripts/install-deps.sh"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends hyperfine bubblewrap
  exec "$src/scripts/as-user.sh" scripts/bench.sh "$@"
fi
"$src/scripts/build.sh"
cloister=${CLOISTER_BUILD_DIR:-$src/build}/cloister
# The same isolation for bwrap: every namespace, /usr and /etc read-only, merged-/usr links,
# fresh /proc and /dev, private /tmp and home, cleared environment.
bwrap_args=(--unshare-all --die-with-parent --clearenv --ro-bind /usr /usr --ro-bind /etc /etc
  --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib --symlink usr/lib64 /lib64
  --proc /proc --dev /dev --tmpfs /tmp --tmpfs "$HOME" --hostname shell)
# What the layers cost on the launch path: the shell profile with user-mode networking (pasta
# must be set up before the app starts), and with Landlock off.
profiles=$(mktemp -d)
trap 'rm -rf "$profiles"' EXIT
printf 'include = ["shell"]\n[namespaces]\nnetwork = "user"\n' >"$profiles/shell-user-net.toml"
printf 'include = ["shell"]\n[security]\nlandlock = false\n' >"$profiles/shell-no-landlock.toml"
runs=${RUNS:-200}
hyperfine --warmup 10 --runs "$runs" -N --export-markdown "${BENCH_OUT:-/dev/stdout}" \
  -n "no sandbox" "/bin/true" \
  -n "bwrap" "bwrap ${bwrap_args[*]} /bin/true" \
  -n "cloister" "$cloister run shell -- /bin/true" \
  -n "cloister, landlock = false" "$cloister run $profiles/shell-no-landlock.toml -- /bin/true" \
  -n "cloister, network = user" "$cloister run $profiles/shell-user-net.toml -- /bin/true"

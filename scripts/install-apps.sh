#!/usr/bin/env bash
# install-apps.sh: installs, from Debian 12's archive, every app that a shipped profile wraps
# (the PACKAGES column of scripts/smoke-apps.list), so `scripts/smoke-apps.sh` can launch them
# all. Run as root. About 650 MB to download on a machine that has scripts/install-deps.sh's
# packages (browsers, LibreOffice, GIMP, Inkscape and VLC are most of it). The test suite's own
# subset (ctest smoke.apps) comes from scripts/install-deps.sh instead.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "install-apps.sh: run as root (sudo), it calls apt-get" >&2
  exit 1
fi
src=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t packages < <(awk '!/^#/ && NF >= 2 { n = split($2, p, ","); for (i = 1; i <= n; i++) print p[i] }' \
  "$src/scripts/smoke-apps.list" | sort -u)
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"

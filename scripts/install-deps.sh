#!/usr/bin/env bash
# Installs what building and testing cloister needs, from Debian 12's archive. Run as root.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: run as root (sudo), it calls apt-get" >&2
  exit 1
fi
packages=(
  build-essential cmake pkg-config
  libcap-dev libseccomp-dev libtomlplusplus-dev libboost-program-options-dev catch2
  util-linux passwd
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

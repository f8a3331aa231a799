#!/usr/bin/env bash
# Installs what building and testing cloister needs, from Debian 12's archive. Run as root.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "install-deps.sh: run as root (sudo), it calls apt-get" >&2
  exit 1
fi
packages=(
  build-essential cmake pkg-config clang-format
  # lld lays the launcher's launch path out together (launcher/run-path.order).
  lld
  libcap-dev libseccomp-dev libtomlplusplus-dev libboost-program-options-dev catch2 nlohmann-json3-dev
  util-linux passwd
  # The sanitizer build and the fuzzers (scripts/sanitize.sh, scripts/fuzz.sh): clang 14 with
  # its sanitizer and libFuzzer runtimes.
  clang libclang-rt-14-dev
  # The Debian package, its lint and what it installs: man pages, completion (package-test.sh,
  # tests/docs/).
  dpkg-dev debhelper lintian mandoc man-db groff-base bash-completion fish
  # The [desktop] integration tests start real servers and clients (tests/integration/desktop_*).
  xvfb xauth xterm x11-apps x11-utils imagemagick
  dbus-daemon dbus-bin dbus-tests xdg-dbus-proxy
  # cloister desktop: entries validated, launched by gio as desktops do, MIME types resolved.
  desktop-file-utils libglib2.0-bin shared-mime-info
  pulseaudio pulseaudio-utils
  weston wayland-utils
  fonts-dejavu-core
  # network = "user" (pasta) and its tests' test host (scripts/test-host.sh).
  passt iproute2 socat dnsmasq-base
  # Small real apps the smoke test (ctest smoke.apps) launches through their shipped profiles,
  # about 60 MB to download; scripts/install-apps.sh installs the rest of the profiles' apps.
  mupdf galculator mousepad ristretto zathura zathura-pdf-poppler xarchiver geany viewnior mtpaint
  qalculate-gtk pluma gnome-mines netsurf-gtk engrampa xournalpp gnote audacious
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

#!/usr/bin/env bash
# The Debian package as a user gets it. scripts/test.sh runs this as root, before the suite:
#  1. build cloister_<version>_<arch>.deb with `dpkg-buildpackage -us -uc -b` from a clean copy
#     of the tree (tracked and new files, nothing ignored), as an unprivileged user;
#  2. lintian --pedantic on the .deb and the .changes: any E: or W: line fails;
#  3. the file list: every file where Debian expects it, nothing else, no setuid bit, no
#     maintainer script;
#  4. as root, install it; then as the unprivileged user, from /usr/bin: the version, the
#     shipped and the administrator's profiles, `cloister run shell -- true`, the probe from
#     /usr/libexec/cloister inside a sandbox, the man pages, the completion; then remove the
#     package again unless it was installed before.
# As an ordinary user it does 1-3 and says why 4 is skipped. The package's own unit tests are
# skipped (DEB_BUILD_OPTIONS=nocheck: the suite runs them anyway); CLOISTER_DEB_CHECK=1 runs them.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '== package: %s\n' "$*"; }
die() {
  printf 'package-test: FAIL: %s\n' "$*" >&2
  exit 1
}
phase_start=$SECONDS
timing() {
  say "$1 took $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}

# A clean copy of the tree in $1: what git tracks plus new files it does not ignore (so
# uncommitted work is tested too); without git, the tree minus build directories.
copy_tree() {
  mkdir -p "$1"
  if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
      tar --null -T - -cf -) | tar -C "$1" -xf -
  else
    tar -C "$src" --exclude=./build --exclude=./artifacts --exclude='./obj-*' --exclude=./debian/cloister \
      --exclude=./debian/.debhelper --exclude=./.git -cf - . | tar -C "$1" -xf -
  fi
}

# --- 1-3, as the unprivileged user: build, lintian, contents. $1/cloister is the copy. --------
build_and_inspect() {
  local out=$1
  local options="parallel=$(nproc)"
  [ "${CLOISTER_DEB_CHECK:-0}" = 1 ] || options="nocheck $options"
  say "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=$options)"
  if ! (cd "$out/cloister" && DEB_BUILD_OPTIONS=$options dpkg-buildpackage -us -uc -b \
    >"$out/build.log" 2>&1); then
    tail -n 60 "$out/build.log" >&2
    die "dpkg-buildpackage failed; the whole log is $out/build.log"
  fi
  timing "the package build"
  local deb changes
  deb=$(ls "$out"/cloister_*.deb)
  changes=$(ls "$out"/cloister_*.changes)
  say "built $(basename "$deb"): $(stat -c %s "$deb") bytes, Installed-Size $(dpkg-deb -f "$deb" Installed-Size) KiB"

  say "lintian --pedantic $(basename "$deb") $(basename "$changes")"
  lintian --pedantic --display-info --tag-display-limit 0 "$deb" "$changes" >"$out/lintian.txt" 2>&1 || true
  sed 's/^/   /' "$out/lintian.txt"
  if grep -qE '^[EW]: ' "$out/lintian.txt"; then
    die "lintian reports errors or warnings (lines starting E: or W: above)"
  fi
  timing "lintian"

  check_contents "$deb"
}

check_contents() {
  local deb=$1 listing files
  listing=$(dpkg-deb -c "$deb")
  files=$(awk '{ print $6 }' <<<"$listing" | sed 's|^\./|/|; s|/$||' | grep -v '^$')
  local problems=0
  need() { grep -qxF "$1" <<<"$files" || {
    echo "package-test: missing $1" >&2
    problems=$((problems + 1))
  }; }
  need /usr/bin/cloister
  need /usr/libexec/cloister/cloister-probe
  need /etc/cloister/profiles
  need /usr/share/man/man1/cloister.1.gz
  need /usr/share/man/man5/cloister-profile.5.gz
  need /usr/share/bash-completion/completions/cloister
  need /usr/share/fish/vendor_completions.d/cloister.fish
  need /usr/share/doc/cloister/README.md
  need /usr/share/doc/cloister/copyright
  need /usr/share/doc/cloister/changelog.gz
  local f
  for f in "$src"/profiles/*.toml; do need "/usr/share/cloister/profiles/$(basename "$f")"; done
  for f in "$src"/docs/*.md; do need "/usr/share/doc/cloister/docs/$(basename "$f")"; done
  # Nothing else: no headers, static libraries, test programs or stray build files.
  local stray
  stray=$(grep -vE '^/(usr(/bin|/libexec(/cloister)?|/share(/cloister(/profiles)?|/man(/man[15])?|/bash-completion(/completions)?|/fish(/vendor_completions\.d)?|/doc(/cloister(/docs)?)?)?)?|etc(/cloister(/profiles)?)?)?$' \
    <<<"$files" | grep -vE '^/usr/share/(cloister/profiles/[a-z0-9._-]+\.toml|man/man1/cloister\.1\.gz|man/man5/cloister-profile\.5\.gz|bash-completion/completions/cloister|fish/vendor_completions\.d/cloister\.fish|doc/cloister/(README\.md|copyright|changelog\.gz|docs/[a-z0-9-]+\.md))$|^/usr/(bin/cloister|libexec/cloister/cloister-probe)$|^/usr/share/lintian(/overrides(/cloister)?)?$' ||
    true)
  if [ -n "$stray" ]; then
    echo "package-test: files nowhere expected:" >&2
    sed 's/^/  /' <<<"$stray" >&2
    problems=$((problems + 1))
  fi
  # No setuid or setgid file (cloister needs neither), no maintainer script.
  if awk '$1 ~ /[sS]/' <<<"$listing" | grep -q .; then
    echo "package-test: setuid/setgid files:" >&2
    awk '$1 ~ /[sS]/' <<<"$listing" >&2
    problems=$((problems + 1))
  fi
  local scripts
  scripts=$(dpkg-deb -I "$deb" | grep -oE '\b(preinst|postinst|prerm|postrm|config|triggers)\b' || true)
  if [ -n "$scripts" ]; then
    echo "package-test: maintainer scripts: $scripts" >&2
    problems=$((problems + 1))
  fi
  [ $problems = 0 ] || die "the package's contents are not where Debian expects them"
  say "contents: $(wc -l <<<"$files") paths, each where Debian expects it; no setuid file, no maintainer script"
}

# --- 4, as the unprivileged user, once the package is installed. -----------------------------
check_installed() {
  local version=$1
  export PATH=/usr/bin:/bin
  cd "$HOME"
  [ "$(command -v cloister)" = /usr/bin/cloister ] || die "cloister is not /usr/bin/cloister"
  local got
  got=$(cloister --version)
  [ "$got" = "cloister $version" ] || die "cloister --version says \"$got\", the package is $version"
  say "/usr/bin/cloister --version: $got"

  local listed search
  listed=$(cloister profiles 2>"$HOME/.search-path")
  search=$(cat "$HOME/.search-path")
  grep -qE '^shell +/usr/share/cloister/profiles/shell\.toml$' <<<"$listed" ||
    die "cloister profiles does not take shell from /usr/share/cloister/profiles: $listed"
  grep -qE '^zz-admin-test +/etc/cloister/profiles/zz-admin-test\.toml$' <<<"$listed" ||
    die "cloister profiles does not list the administrator's /etc/cloister/profiles/zz-admin-test.toml"
  # Exactly the user's, the administrator's and the shipped directory: never a source tree.
  local expected
  expected=$(printf 'search path (first match wins):\n  %s\n  %s\n  %s' \
    "$HOME/.config/cloister/profiles" /etc/cloister/profiles /usr/share/cloister/profiles)
  [ "$search" = "$expected" ] || die "the installed cloister's search path is not the packaged one: $search"
  say "cloister profiles: shipped profiles from /usr/share/cloister/profiles, the administrator's from /etc"

  cloister run shell -- true || die "cloister run shell -- true failed (exit $?)"
  say "cloister run shell -- true: exit 0"
  local host
  host=$(cloister run zz-admin-test -- cat /proc/sys/kernel/hostname)
  [ "$host" = admin-set ] || die "the administrator's profile (including the shipped one) gave hostname \"$host\""
  say "an /etc/cloister/profiles profile built on the shipped one by its path: hostname $host"

  # The probe where the package put it, run inside a sandbox built by the installed launcher.
  local status
  status=$(cloister run shell -- /usr/libexec/cloister/cloister-probe status) ||
    die "/usr/libexec/cloister/cloister-probe did not run in the sandbox"
  grep -q '^CapEff=0000000000000000$' <<<"$status" && grep -q '^NoNewPrivs=1$' <<<"$status" &&
    grep -q '^Seccomp=2$' <<<"$status" ||
    die "the probe reports a sandbox that is not confined: $status"
  say "cloister-probe from /usr/libexec/cloister, inside: no capabilities, no_new_privs, seccomp filter"
  if cloister audit --help 2>/dev/null | grep -q -- --live; then
    cloister audit --live shell >"$HOME/.audit" 2>&1 || {
      cat "$HOME/.audit" >&2
      die "cloister audit --live shell failed: it must find its probe in /usr/libexec/cloister"
    }
    say "cloister audit --live shell: the probe was found where the package put it"
  else
    say "SKIPPED: cloister audit --live (this version has no audit --live)"
  fi

  # What a user reads and presses.
  [ "$(man -w cloister)" = /usr/share/man/man1/cloister.1.gz ] || die "man -w cloister: $(man -w cloister)"
  [ "$(man -w 5 cloister-profile)" = /usr/share/man/man5/cloister-profile.5.gz ] || die "man -w 5 cloister-profile"
  local page warnings
  for page in /usr/share/man/man1/cloister.1.gz /usr/share/man/man5/cloister-profile.5.gz; do
    warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
    [ -z "$warnings" ] || die "man --warnings -l $page: $warnings"
  done
  say "man cloister, man 5 cloister-profile: found and rendered without a warning"
  local completion
  completion=$(bash --norc --noprofile -c '
    . /usr/share/bash-completion/bash_completion
    _completion_loader cloister
    COMP_WORDS=(cloister r); COMP_CWORD=1; COMP_LINE="cloister r"; COMP_POINT=10
    _cloister cloister r cloister && echo "${COMPREPLY[*]}"')
  [ "$completion" = run ] || die "bash completion of \"cloister r\" from the installed file gave \"$completion\""
  say "bash completion loaded on demand from /usr/share/bash-completion/completions: cloister r<TAB> -> run"
}

# --- Root: the whole sequence. -----------------------------------------------------------------
if [ "${1:-}" = --build ]; then
  build_and_inspect "$2"
  exit 0
fi
if [ "${1:-}" = --installed ]; then
  check_installed "$2"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  out=$(mktemp -d /tmp/cloister-deb.XXXXXX)
  copy_tree "$out/cloister"
  build_and_inspect "$out"
  say "SKIPPED: installing the package and running it from /usr/bin needs root (sudo scripts/package-test.sh); the .deb is in $out"
  exit 0
fi

user=${CLOISTER_USER:-${SUDO_USER:-cloister-test}}
[ "$user" = root ] && user=cloister-test
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
as_user() {
  runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
    PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}
total=$SECONDS
out=$(runuser -u "$user" -- mktemp -d /tmp/cloister-deb.XXXXXX)
# The user works on a copy it owns, wherever the tree is; this script runs from there too.
copy_tree "$out/cloister"
chown -R "$user:" "$out/cloister"
self=$out/cloister/scripts/package-test.sh
as_user bash "$self" --build "$out" || exit 1
phase_start=$SECONDS  # the build's phases were timed by the user's copy of this script

was_installed=$(dpkg-query -W -f='${Status}' cloister 2>/dev/null | grep -c "install ok installed" || true)
deb=$(ls "$out"/cloister_*.deb)
version=$(dpkg-deb -f "$deb" Version)
cleanup() {
  rm -f /etc/cloister/profiles/zz-admin-test.toml
  if [ "$was_installed" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive dpkg --purge cloister >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
say "installing $(basename "$deb") (was installed before: $([ "$was_installed" = 1 ] && echo yes || echo no))"
# dpkg -i with the documentation paths included: some minimal images exclude them.
DEBIAN_FRONTEND=noninteractive dpkg --path-include="/usr/share/man/*" \
  --path-include="/usr/share/doc/cloister/*" -i "$deb" >"$out/install.log" 2>&1 || {
  cat "$out/install.log" >&2
  die "dpkg -i $deb failed (its dependencies come from scripts/install-deps.sh)"
}
[ -d /etc/cloister/profiles ] || die "the package did not create /etc/cloister/profiles"
# The administrator's precedence: a profile in /etc/cloister/profiles that builds on the shipped
# one by its path (its name would find the /etc file itself).
cat >/etc/cloister/profiles/zz-admin-test.toml <<'EOF'
include = ["/usr/share/cloister/profiles/shell.toml"]
[namespaces]
hostname = "admin-set"
EOF
timing "installing"
as_user bash "$self" --installed "$version" || exit 1
# A user no /etc/passwd line names (LDAP, sssd, systemd-homed): the launcher, a static PIE, reads
# /etc/passwd itself and falls back to $HOME/$USER; it once crashed in glibc's static NSS here.
stranger=4242
while getent passwd "$stranger" >/dev/null || getent group "$stranger" >/dev/null; do
  stranger=$((stranger + 1))
done
stranger_home=$(mktemp -d /tmp/cloister-stranger.XXXXXX)
chown "$stranger:$stranger" "$stranger_home"
chmod 0700 "$stranger_home"
got=$(setpriv --reuid="$stranger" --regid="$stranger" --clear-groups -- env -i \
  HOME="$stranger_home" USER=stranger PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$stranger_home" \
  cloister run shell -- id -u) || die "uid $stranger (no passwd entry): cloister run failed (exit $?)"
rm -rf "$stranger_home"
[ "$got" = "$stranger" ] || die "uid $stranger (no passwd entry): the app saw uid '$got'"
say "a uid with no passwd entry ($stranger): cloister run shell -- id -u: $got"
timing "the checks of the installed package"
say "done in $((SECONDS - total)) s (the .deb, build log and lintian output are in $out)"

#!/usr/bin/env bash
# static_launcher.sh CLOISTER: the launcher is a static PIE that carries no NSS client.
# A static glibc answers getpwuid(3) and friends by loading the host's NSS modules
# (libnss_systemd, sssd, ldap) and, with them, a second libc into the process: the launcher
# crashed for every user not in /etc/passwd. It reads /etc/passwd itself (host_facts.cpp).
set -euo pipefail
bin=$1
fail=0
if readelf -lW "$bin" | grep -q INTERP; then
  echo "FAIL: $bin asks for a dynamic loader (PT_INTERP): not a static PIE" >&2
  fail=1
fi
if ! readelf -hW "$bin" | grep -q "DYN (Position-Independent Executable file)\|DYN (Shared object file)"; then
  echo "FAIL: $bin is not position-independent (no ASLR)" >&2
  fail=1
fi
nss=$(nm --defined-only "$bin" | awk '{print $3}' |
  grep -xE '(__)?(getpw(uid|nam|ent)|getgr(gid|nam|ent)|getgrouplist|initgroups|getspnam|getaddrinfo|gethostbyname2?|getservbyname|getlogin)(_r)?' || true)
if [ -n "$nss" ]; then
  echo "FAIL: $bin links NSS lookups, which a static glibc serves by loading host modules:" >&2
  echo "$nss" | sed 's/^/  /' >&2
  fail=1
fi
[ "$fail" = 0 ] && echo "$bin: a static PIE with no NSS lookups"
exit "$fail"

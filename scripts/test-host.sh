#!/usr/bin/env bash
# test-host.sh up|down|status: the "test host" the network tests talk to, on this machine.
#
# The tests of network = "user" need a machine outside the sandbox that is not the host's
# loopback, and no test traffic may leave this machine. So, as root, this makes one: a network
# namespace "cloister-th" joined to the host by a veth pair, running
#   - a TCP service on port 7777 that answers "cloister-testhost peer=<caller's address>",
#   - a DNS server (dnsmasq) that knows testhost.cloister.test and nothing else,
# and it makes /dev/net/tun usable by every user (Debian's udev rules make it 0666 on a
# desktop; some machines, containers and CI images leave it 0600, and pasta cannot work then).
#
#   host side  clth0  10.213.43.1/24  fd43:213::1/64
#   test host  eth0   10.213.43.2/24  fd43:213::2/64   (in netns cloister-th)
#
# The host also gets default routes through the test host with metric 4000: never used while
# the machine has its own default routes (lower metrics), but they let a test tell pasta to
# take its addresses and routes from clth0 ([network] interface = "clth0"), so that even the
# sandbox's gateway is the test host. On a machine with no default route of its own they
# become its default routes: traffic then goes to the test host, which drops it.
#
# scripts/test.sh runs `test-host.sh up` in its root part; the integration tests fail, saying
# how to fix it, when the test host is missing. `up` is idempotent; `down` removes it all.
set -euo pipefail

ns=cloister-th
host_if=clth0
host4=10.213.43.1
th4=10.213.43.2
host6=fd43:213::1
th6=fd43:213::2
port=7777
name=testhost.cloister.test
run=/run/cloister-testhost

die() {
  echo "test-host.sh: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (sudo scripts/test-host.sh ${1:-up})"
command -v ip >/dev/null || die "ip (iproute2) is missing: apt install iproute2"

alive() {  # pid file -> running?
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

status() {
  local ok=0
  ip netns list 2>/dev/null | grep -qw "$ns" || { echo "netns $ns: missing"; ok=1; }
  ip link show "$host_if" >/dev/null 2>&1 || { echo "interface $host_if: missing"; ok=1; }
  alive "$run/tcp4.pid" || { echo "TCP service on $th4:$port: not running"; ok=1; }
  alive "$run/tcp6.pid" || { echo "TCP service on [$th6]:$port: not running"; ok=1; }
  alive "$run/dns.pid" || { echo "DNS server on $th4: not running"; ok=1; }
  [ "$(stat -c %a /dev/net/tun 2>/dev/null)" = 666 ] || { echo "/dev/net/tun: not mode 0666"; ok=1; }
  [ $ok = 0 ] && echo "test host up: $th4 $th6 (tcp $port, dns $name)"
  return $ok
}

up() {
  command -v socat >/dev/null || die "socat is missing: apt install socat (scripts/install-deps.sh)"
  command -v dnsmasq >/dev/null || die "dnsmasq is missing: apt install dnsmasq-base"
  if [ ! -c /dev/net/tun ]; then
    modprobe tun 2>/dev/null || true
    [ -c /dev/net/tun ] || die "/dev/net/tun is missing and modprobe tun did not make it"
  fi
  chmod 666 /dev/net/tun

  if ! ip netns list | grep -qw "$ns"; then
    # Refuse to shadow a network this machine already uses.
    if ip -4 route show to match "$th4" | grep -v '^default' | grep -q .; then
      die "$th4 is already routed on this machine ($(ip -4 route show to match "$th4" | grep -v '^default' | head -1)); the test host cannot use 10.213.43.0/24"
    fi
    ip netns add "$ns"
    ip link add "$host_if" type veth peer name eth0 netns "$ns"
    ip addr add "$host4/24" dev "$host_if"
    ip addr add "$host6/64" dev "$host_if" nodad
    ip link set "$host_if" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$th4/24" dev eth0
    ip -n "$ns" addr add "$th6/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    ip route add default via "$th4" dev "$host_if" metric 4000
    ip -6 route add default via "$th6" dev "$host_if" metric 4000
  fi

  mkdir -p "$run"
  for v in 4 6; do
    if ! alive "$run/tcp$v.pid"; then
      opts=reuseaddr,fork
      [ $v = 6 ] && opts=$opts,ipv6only=1
      ip netns exec "$ns" setsid socat "TCP$v-LISTEN:$port,$opts" \
        SYSTEM:'echo "cloister-testhost peer=$SOCAT_PEERADDR"' </dev/null >/dev/null 2>&1 &
      echo $! >"$run/tcp$v.pid"
    fi
  done
  if ! alive "$run/dns.pid"; then
    ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
      --bind-interfaces --listen-address="$th4" --listen-address="$th6" \
      --except-interface=lo --user=nobody --group=nogroup --pid-file= \
      --address="/$name/$th4" --address="/$name/$th6" </dev/null >/dev/null 2>&1 &
    echo $! >"$run/dns.pid"
  fi
  # Both listen within a moment; wait for them (bounded), so the tests find them ready.
  for _ in $(seq 50); do
    if [ "$(ip netns exec "$ns" ss -Htln "sport = :$port" | wc -l)" = 2 ] &&
      ip netns exec "$ns" ss -Huln "sport = :53" | grep -q .; then
      status
      return 0
    fi
    sleep 0.1
  done
  status || die "the test host's services did not start"
}

down() {
  for f in "$run/tcp4.pid" "$run/tcp6.pid" "$run/dns.pid"; do
    alive "$f" && kill "$(cat "$f")" || true
    rm -f "$f"
  done
  ip route del default via "$th4" dev "$host_if" metric 4000 2>/dev/null || true
  ip -6 route del default via "$th6" dev "$host_if" metric 4000 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  echo "test host removed"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) die "usage: test-host.sh up|down|status" ;;
esac

#!/usr/bin/env bash
# Launch speed and size of cloister, side by side with bubblewrap and unshare(1), measured with
# hyperfine. Not part of the test suite: timings depend on the machine and are reported, never
# asserted. docs/performance.md explains the figures and keeps the latest table.
#
#   sudo scripts/bench.sh            # installs hyperfine, bubblewrap, jq, time; runs as a user
#   scripts/bench.sh [SECTION...]    # as a user who has them; sections (default: all):
#     launch   /bin/true under `base` vs bwrap with the same isolation vs unshare -Urmipnuf
#     rss      peak RSS of the largest process of each launch (GNU time %M), median of RSS_RUNS
#     dryrun   `run --dry-run` of the largest shipped profile vs `cloister --version`
#     binds    1000 and 5000 read-only binds vs bwrap (bwrap's cost grows as N^2: few runs;
#              it refuses more than 9000 arguments, so 5000 binds are cloister's alone)
#     dbus     added time of a filtered session bus (xdg-dbus-proxy) on a private dbus-daemon
#     network  added time of network = "user" (pasta), when this cloister has it
#     landlock what the Landlock layer costs a launch (`base` vs `base` with landlock = false)
#
# Environment: RUNS (launch/dryrun, default 300), ROUNDS (5: each section's runs are split over
# this many hyperfine invocations in a row, so the commands take turns), RSS_RUNS (30),
# BIND_RUNS (10), BWRAP_BIND_RUNS (3), BENCH_JSON (default <build>/bench.json),
# CLOISTER_BUILD_DIR, CLOISTER_BASELINE (another cloister binary, e.g. one built from an older
# commit: launch, rss and dryrun then measure it too, beside the current one).
# Every wall-clock figure is printed with the load average before and after it: on a busy
# machine, trust the ratios of one interleaved run more than any absolute time.
#
# The launches run as a desktop session would: with $XDG_RUNTIME_DIR (a private one is made
# when the caller has none), so the instance record each launch writes is part of the figure.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  "$src/scripts/install-deps.sh"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    hyperfine bubblewrap jq time passt
  exec "$src/scripts/as-user.sh" scripts/bench.sh "$@"
fi
for tool in hyperfine bwrap jq unshare /usr/bin/time; do
  command -v "$tool" >/dev/null || {
    echo "bench.sh: $tool missing; run once as root: sudo scripts/bench.sh" >&2
    exit 1
  }
done

build=${CLOISTER_BUILD_DIR:-$src/build}
"$src/scripts/build.sh" >/dev/null
cloister=$build/cloister
out=${BENCH_JSON:-$build/bench.json}
runs=${RUNS:-300}
rss_runs=${RSS_RUNS:-30}
bind_runs=${BIND_RUNS:-10}
bwrap_bind_runs=${BWRAP_BIND_RUNS:-3}
rounds=${ROUNDS:-5}
baseline=${CLOISTER_BASELINE:-}
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(launch rss dryrun binds dbus network landlock)

work=$(mktemp -d "${TMPDIR:-/tmp}/cloister-bench.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Launches record themselves under $XDG_RUNTIME_DIR/cloister (cloister ps): measured with it.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "$XDG_RUNTIME_DIR" ]; then
  export XDG_RUNTIME_DIR=$work/runtime
  mkdir -m 0700 "$XDG_RUNTIME_DIR"
fi

# bwrap_base: the isolation of the `base` profile, given to bwrap.
source "$src/scripts/bwrap-base.sh"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

results='{}'  # the JSON written at the end; each section adds its key
add() { results=$(jq -c --argjson v "$2" ". + {\"$1\": \$v}" <<<"$results"); }

# hf KEY RUNS WARMUP HYPERFINE-ARGS...: RUNS runs of each command, split over $rounds hyperfine
# invocations in a row (so the commands take turns: a burst of load on this machine falls on all
# of them rather than on one), pooled, and kept under KEY with the load average before and after.
hf() {
  local key=$1 total=$2 warmup=$3
  shift 3
  local before after r per=$(((total + rounds - 1) / rounds))
  before=$(loadavg)
  for ((r = 1; r <= rounds; r++)); do
    hyperfine --style basic --warmup "$([ "$r" = 1 ] && echo "$warmup" || echo 1)" --runs "$per" \
      --export-json "$work/$key.$r.json" "$@" >&2
  done
  after=$(loadavg)
  add "$key" "$(jq -sc --arg b "$before" --arg a "$after" '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    [.[].results] | transpose | map({command: .[0].command, times: (map(.times) | add)}) |
    {load_before: $b, load_after: $a, results: [.[] | (.times | add / length) as $mean |
      {command, median_ms: (.times | median * 1000), mean_ms: ($mean * 1000),
       stddev_ms: ((.times | map((. - $mean) * (. - $mean)) | add / length | sqrt) * 1000),
       min_ms: (.times | min * 1000), runs: (.times | length)}]}' "$work/$key".*.json)"
}

# median KEY INDEX: the median in ms of one command of a hyperfine section.
median() { jq -r ".\"$1\".results[$2].median_ms" <<<"$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
ms() { awk -v a="$1" 'BEGIN { printf (a < 10 ? "%.2f ms" : "%.1f ms"), a }'; }
mb() { awk -v a="$1" 'BEGIN { printf "%.1f MB", a / 1024 }'; }

rows=()  # the table: figure | cloister | reference | ratio | target
row() { rows+=("$(printf '%-34s %12s  %-24s %7s  %s' "$@")"); }

profile_dir=$work/profiles
mkdir -p "$profile_dir"

section_launch() {
  echo "== launch: /bin/true, base profile vs bwrap vs unshare ($runs runs each, load $(loadavg))" >&2
  hf launch "$runs" 20 -N \
    -n "cloister run base" "$cloister run base -- /bin/true" \
    -n "bwrap (same isolation)" "bwrap ${bwrap_base[*]} /bin/true" \
    -n "unshare -Urmipnuf" "unshare -Urmipnuf /bin/true" \
    -n "/bin/true" "/bin/true" \
    ${baseline:+-n "baseline run base" "$baseline run base -- /bin/true"}
  local c b u
  c=$(median launch 0)
  b=$(median launch 1)
  u=$(median launch 2)
  row "launch /bin/true (base)" "$(ms "$c")" "bwrap $(ms "$b")" "$(ratio "$c" "$b")" "<= 0.80"
  row "  the same, against the floor" "" "unshare $(ms "$u")" "$(ratio "$c" "$u")" "(floor)"
  if [ -n "$baseline" ]; then
    local o
    o=$(median launch 4)
    row "  baseline's launch" "$(ms "$o")" "bwrap $(ms "$b")" "$(ratio "$o" "$b")" ""
  fi
}

# The peak RSS, in kB, of the largest process of one launch (GNU time: the waited-for tree).
peak_rss() {
  local samples=() i
  for ((i = 0; i < rss_runs; i++)); do
    samples+=("$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)")
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

section_rss() {
  echo "== rss: peak RSS, median of $rss_runs launches (load $(loadavg))" >&2
  local c b u t
  c=$(peak_rss "$cloister" run base -- /bin/true)
  b=$(peak_rss bwrap "${bwrap_base[@]}" /bin/true)
  u=$(peak_rss unshare -Urmipnuf /bin/true)
  t=$(peak_rss /bin/true)
  local o=null
  [ -z "$baseline" ] || o=$(peak_rss "$baseline" run base -- /bin/true)
  add rss "$(jq -nc --argjson c "$c" --argjson b "$b" --argjson u "$u" --argjson t "$t" \
    --argjson o "$o" --arg load "$(loadavg)" \
    '{unit: "kB", load: $load, cloister: $c, bwrap: $b, unshare: $u, true: $t, baseline: $o}')"
  row "peak RSS (largest process)" "$(mb "$c")" "bwrap $(mb "$b")" "$(ratio "$c" "$b")" "<= 1.00"
  [ -z "$baseline" ] || row "  baseline's peak RSS" "$(mb "$o")" "bwrap $(mb "$b")" "$(ratio "$o" "$b")" ""
}

section_dryrun() {
  local prof=${DRYRUN_PROFILE:-firefox-esr}
  echo "== dryrun: run --dry-run $prof vs --version ($runs runs, load $(loadavg))" >&2
  hf dryrun "$runs" 20 -N \
    -n "cloister run --dry-run $prof" "$cloister run --dry-run $prof" \
    -n "cloister --version" "$cloister --version" \
    -n "/bin/true" "/bin/true" \
    ${baseline:+-n "baseline --dry-run $prof" "$baseline run --dry-run $prof"} \
    ${baseline:+-n "baseline --version" "$baseline --version"}
  local d v
  d=$(median dryrun 0)
  v=$(median dryrun 1)
  row "dry-run $prof" "$(ms "$d")" "--version $(ms "$v")" "$(ratio "$d" "$v")" "<= 1.50"
  row "  --version, against the floor" "" "/bin/true $(ms "$(median dryrun 2)")" \
    "$(ratio "$v" "$(median dryrun 2)")" ""
  if [ -n "$baseline" ]; then
    local bd bv
    bd=$(median dryrun 3)
    bv=$(median dryrun 4)
    row "  baseline's dry-run $prof" "$(ms "$bd")" "--version $(ms "$bv")" "$(ratio "$bd" "$bv")" ""
  fi
}

# binds_setup N: a profile and a bwrap argument file binding N host directories read-only.
binds_setup() {
  local n=$1 dir=$work/binds i
  mkdir -p "$dir"
  for ((i = 0; i < n; i++)); do mkdir -p "$dir/$i"; done
  {
    echo 'include = ["base"]'
    echo '[filesystem]'
    echo 'read-only = ['
    for ((i = 0; i < n; i++)); do echo "  \"$dir/$i\","; done
    echo ']'
  } >"$profile_dir/binds$n.toml"
  {
    printf '%s\0' "${bwrap_base[@]}"
    for ((i = 0; i < n; i++)); do printf '%s\0' --ro-bind "$dir/$i" "$dir/$i"; done
  } >"$work/bwrap-binds$n.args"
}

section_binds() {
  local n c b prev=
  for n in 1000 5000; do
    binds_setup "$n"
    echo "== binds: $n read-only binds ($bind_runs runs, load $(loadavg))" >&2
    # A shell runs each command (the argument lists are too long for one hyperfine argument);
    # hyperfine measures the shell's own start and subtracts it.
    hf "binds$n" "$bind_runs" 1 \
      -n "cloister $n binds" "exec $cloister run $profile_dir/binds$n.toml -- /bin/true"
    c=$(median "binds$n" 0)
    # bwrap refuses more than 9000 arguments, i.e. about 2990 binds: 5000 is cloister alone.
    if [ "$n" -le 2900 ]; then
      echo "== binds: bwrap, $n read-only binds ($bwrap_bind_runs runs, load $(loadavg))" >&2
      rounds=1 hf "binds${n}_bwrap" "$bwrap_bind_runs" 0 \
        -n "bwrap $n binds" "exec bwrap --args 3 /bin/true 3<$work/bwrap-binds$n.args"
      b=$(median "binds${n}_bwrap" 0)
      row "$n read-only binds" "$(ms "$c")" "bwrap $(ms "$b")" "$(ratio "$c" "$b")" "<= 0.10"
    else
      row "$n read-only binds" "$(ms "$c")" "(bwrap: max ~2990)" "" ""
    fi
    [ -n "$prev" ] && row "  growth 1000 -> $n binds" "" "" "$(ratio "$c" "$prev")" "linear: $((n / 1000)).00"
    prev=$c
  done
}

# A private session bus for the dbus section.
start_bus() {
  local bus=$work/bus
  dbus-daemon --session --nofork --address="unix:path=$bus" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S "$bus" ] && break; sleep 0.05; done
  export DBUS_SESSION_BUS_ADDRESS=unix:path=$bus
}

section_dbus() {
  command -v dbus-daemon >/dev/null && command -v xdg-dbus-proxy >/dev/null || {
    echo "== dbus: SKIPPED: dbus-daemon or xdg-dbus-proxy missing (sudo scripts/bench.sh)" >&2
    row "filtered D-Bus: added" "SKIPPED" "(no dbus-daemon)" "" ""
    return
  }
  start_bus
  printf '%s\n' 'include = ["base"]' '[desktop]' 'dbus-session = "filtered"' \
    'dbus-talk = ["org.freedesktop.Notifications"]' >"$profile_dir/dbus.toml"
  echo "== dbus: filtered session bus vs none ($((runs / 3)) runs, load $(loadavg))" >&2
  hf dbus "$((runs / 3))" 5 -N \
    -n "cloister, filtered bus" "$cloister run $profile_dir/dbus.toml -- /bin/true" \
    -n "cloister run base" "$cloister run base -- /bin/true"
  local d c
  d=$(median dbus 0)
  c=$(median dbus 1)
  row "filtered D-Bus: added" "+$(ms "$(awk -v a="$d" -v b="$c" 'BEGIN { print a - b }')")" \
    "base $(ms "$c")" "$(ratio "$d" "$c")" "small"
}

section_network() {
  printf '%s\n' 'include = ["base"]' '[namespaces]' 'network = "user"' >"$profile_dir/net.toml"
  if ! command -v pasta >/dev/null || ! "$cloister" check "$profile_dir/net.toml" >/dev/null 2>&1; then
    echo "== network: SKIPPED: this cloister has no network = \"user\", or pasta is missing" >&2
    row "network = \"user\": added" "SKIPPED" "(not available)" "" ""
    add network '{"skipped": "network = \"user\" not available"}'
    return
  fi
  echo "== network: network = \"user\" vs none ($((runs / 3)) runs, load $(loadavg))" >&2
  hf network "$((runs / 3))" 5 -N \
    -n "cloister, network user" "$cloister run $profile_dir/net.toml -- /bin/true" \
    -n "cloister run base" "$cloister run base -- /bin/true" \
    -n "pasta alone" "pasta --config-net -q -- /bin/true"
  local d c p
  d=$(median network 0)
  c=$(median network 1)
  p=$(median network 2)
  row "network = \"user\": added" "+$(ms "$(awk -v a="$d" -v b="$c" 'BEGIN { print a - b }')")" \
    "pasta alone $(ms "$p")" "$(ratio "$d" "$c")" "small"
}

section_landlock() {
  printf '%s\n' 'include = ["base"]' '[security]' 'landlock = false' >"$profile_dir/nolandlock.toml"
  echo "== landlock: base vs base with landlock = false ($((runs / 3)) runs, load $(loadavg))" >&2
  hf landlock "$((runs / 3))" 5 -N \
    -n "cloister run base" "$cloister run base -- /bin/true" \
    -n "cloister, landlock = false" "$cloister run $profile_dir/nolandlock.toml -- /bin/true"
  local l n
  l=$(median landlock 0)
  n=$(median landlock 1)
  row "Landlock layer: added" "+$(ms "$(awk -v a="$l" -v b="$n" 'BEGIN { print a - b }')")" \
    "landlock off $(ms "$n")" "$(ratio "$l" "$n")" "small"
}

for s in "${sections[@]}"; do
  case $s in
    launch | rss | dryrun | binds | dbus | network | landlock) "section_$s" ;;
    *) echo "bench.sh: unknown section $s (launch rss dryrun binds dbus network landlock)" >&2
      exit 2 ;;
  esac
done

machine=$(jq -nc --arg kernel "$(uname -r)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  --arg cpus "$(nproc)" --arg hyperfine "$(hyperfine --version)" --arg bwrap "$(bwrap --version)" \
  --arg commit "$(git -c safe.directory="$src" -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg date "$(date -u +%FT%TZ)" \
  '{kernel: $kernel, cpu: $cpu, cpus: $cpus, hyperfine: $hyperfine, bwrap: $bwrap, commit: $commit, date: $date}')
add machine "$machine"
jq . <<<"$results" >"$out"

echo
printf '%-34s %12s  %-24s %7s  %s\n' figure cloister reference ratio target
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "load average now: $(loadavg); machine: $(jq -r '"\(.cpu), \(.cpus) CPUs, Linux \(.kernel)"' <<<"$machine")"
echo "JSON: $out"

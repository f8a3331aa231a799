#!/usr/bin/env bash
# launch-phases.sh [N]: where the time of a launch goes, phase by phase, for cloister (`run base
# -- /bin/true`) and for bubblewrap with the same isolation as scripts/bench.sh gives it. perf
# records the scheduler's process events and the few system calls that mark the phases (clone,
# pivot_root) around N launches of each (default 30); the median of every phase is printed.
# Not part of the tests. Run as root (the tracepoints need it); the launches themselves run as
# the owner of the build directory (CLOISTER_USER to choose another), with a private runtime
# directory, as in bench.sh. Needs perf (Debian: linux-perf) and python3.
#
# The phases (both sandboxes have the same three processes: the launcher, the sandbox's pid 1,
# which sets up and then waits, and the app):
#   1 the launcher from its exec to its clone(): loading, reading the profile, the plan
#   2 the clone() itself: creating the namespaces, copying the launcher's address space
#   3 until pid 1 first runs (the scheduler: often behind the launcher on the same CPU)
#   4 pid 1 until its first pivot_root: id maps, the base tmpfs it builds the new root on
#   5a until it detaches the host's root (umount2): the mounts of the new root
#   5b until pid 1 starts the app: hostname, loopback, capabilities, Landlock, seccomp
#   6 until the app's execve is done
#   7 the app (/bin/true) until its exit
#   8 until pid 1 exits
#   9 until the launcher exits: the sandbox's namespaces torn down, the launcher's cleanup
# Tracing costs a little per traced event; only clone, pivot_root and umount2 are traced among
# the system calls, so the phases keep their shape (compare the total with bench.sh's median).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOISTER_BUILD_DIR:-$src/build}
runs=${1:-30}
if [ "$(id -u)" != 0 ]; then
  echo "launch-phases.sh: run it as root (perf's tracepoints); the launches run as a user" >&2
  exit 2
fi
for tool in perf python3 bwrap runuser; do
  command -v "$tool" >/dev/null || { echo "launch-phases.sh: $tool is needed" >&2; exit 2; }
done
[ -x "$build/cloister" ] || { echo "launch-phases.sh: no $build/cloister; build first" >&2; exit 2; }
user=${CLOISTER_USER:-$(stat -c %U "$build")}
[ "$user" != root ] || { echo "launch-phases.sh: set CLOISTER_USER (not root)" >&2; exit 2; }
home=$(getent passwd "$user" | cut -d: -f6)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
mkdir -m 0700 "$work/run"
chown "$user" "$work/run"

# The launches, as the user: N of cloister, then N of bwrap (scripts/bench.sh's isolation).
cat >"$work/launches.sh" <<'EOF'
set -euo pipefail
source "$SRC/scripts/bwrap-base.sh"
for ((i = 0; i < RUNS; i++)); do "$CLOISTER" run base -- /bin/true; done
for ((i = 0; i < RUNS; i++)); do bwrap "${bwrap_base[@]}" /bin/true; done
EOF
syscalls='id == 56 || id == 435 || id == 155 || id == 166'  # clone, clone3, pivot_root, umount2
perf record -q -o "$work/perf.data" -a \
  -e sched:sched_process_exec -e sched:sched_process_fork -e sched:sched_process_exit \
  -e raw_syscalls:sys_enter --filter "$syscalls" -e raw_syscalls:sys_exit --filter "$syscalls" \
  -- runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" \
  PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR="$work/run" SRC="$src" \
  CLOISTER="$build/cloister" RUNS="$runs" bash -c "cd / && bash $work/launches.sh" >/dev/null
perf script -i "$work/perf.data" -F comm,pid,tid,time,event,trace 2>/dev/null >"$work/trace.txt"

python3 - "$work/trace.txt" "$build/cloister" <<'EOF'
import re, statistics, sys

trace, cloister = sys.argv[1], sys.argv[2]
line_re = re.compile(r"\s*(.+?)\s+(\d+)/(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)")
events = []
for line in open(trace, encoding="utf-8", errors="replace"):
    m = line_re.match(line)
    if m:
        comm, pid, tid, t, event, rest = m.groups()
        events.append((float(t) * 1000, int(pid), int(tid), event.split(":")[-1], rest))

# One launch per exec of a launcher; the events up to the next one belong to it.
starts = []
for i, (t, pid, tid, ev, rest) in enumerate(events):
    if ev == "sched_process_exec":
        name = re.search(r"filename=(\S+)", rest).group(1)
        if name == cloister or name.endswith("/bwrap"):
            starts.append((i, "cloister" if name == cloister else "bwrap", pid))
phases = {"cloister": [], "bwrap": []}
for k, (i, tool, launcher) in enumerate(starts):
    end = starts[k + 1][0] if k + 1 < len(starts) else len(events)
    seg = events[i:end]
    forks = {}  # child -> (time, parent)
    for t, pid, tid, ev, rest in seg:
        if ev == "sched_process_fork":
            m = re.search(r"pid=(\d+) child_comm=.* child_pid=(\d+)", rest)
            forks[int(m.group(2))] = (t, int(m.group(1)))
    pivots = [(t, tid) for t, pid, tid, ev, rest in seg
              if ev == "sys_enter" and rest.startswith("NR 155 ")]
    if not pivots:
        continue
    pid1 = pivots[0][1]
    mark = {"exec": seg[0][0], "pivot": pivots[0][0]}
    for t, pid, tid, ev, rest in seg:
        is_clone = rest.startswith("NR 56 ") or rest.startswith("NR 435 ")
        if tid == launcher and ev == "sys_enter" and is_clone and "clone_out" not in mark:
            mark["clone_in"] = t
        if tid == launcher and ev == "sys_exit" and is_clone and rest.endswith(f"= {pid1}"):
            mark["clone_out"] = t
        if tid == pid1 and "p1_first" not in mark and "clone_out" in mark:
            mark["p1_first"] = t
        if tid == pid1 and ev == "sys_enter" and rest.startswith("NR 166 ") \
                and "umount" not in mark:
            mark["umount"] = t
        if tid == pid1 and ev == "sys_enter" and is_clone and t > mark["pivot"] \
                and "app_clone" not in mark:
            mark["app_clone"] = t
        if ev == "sched_process_exec" and "/true" in rest and "app_exec" not in mark:
            mark["app_exec"], app = t, pid
        if ev == "sched_process_exit" and "app_exec" in mark and pid == app:
            mark.setdefault("app_exit", t)
        if ev == "sched_process_exit" and pid == pid1:
            mark["p1_exit"] = t
        if ev == "sched_process_exit" and pid == launcher:
            mark["end"] = t
    order = ["exec", "clone_in", "clone_out", "p1_first", "pivot", "umount", "app_clone",
             "app_exec", "app_exit", "p1_exit", "end"]
    if all(x in mark for x in order):
        phases[tool].append([mark[b] - mark[a] for a, b in zip(order, order[1:])] +
                            [mark["end"] - mark["exec"]])

names = ["1 launcher: exec to clone()", "2 clone(): namespaces, copy", "3 until pid 1 runs",
         "4 pid 1: id maps, base tmpfs", "5a pid 1: the mounts", "5b pid 1: confinement",
         "6 app: start, execve",
         "7 app (/bin/true)", "8 until pid 1 exits", "9 teardown, launcher exits",
         "total, exec to exit"]
n = {tool: len(rows) for tool, rows in phases.items()}
print(f"{'median of each phase, ms':32} {'cloister':>9} {'bwrap':>9}   (launches: "
      f"{n['cloister']} and {n['bwrap']})")
for j, name in enumerate(names):
    cells = []
    for tool in ("cloister", "bwrap"):
        rows = phases[tool]
        cells.append(f"{statistics.median(r[j] for r in rows):9.2f}" if rows else f"{'-':>9}")
    print(f"{name:32} {cells[0]} {cells[1]}")
if not all(n.values()):
    sys.exit("launch-phases.sh: no complete launch traced for one of them")
EOF

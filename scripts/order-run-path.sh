#!/usr/bin/env bash
# order-run-path.sh: writes launcher/run-path.order, the order in which lld lays out the
# launcher's functions (CMake passes it with --symbol-ordering-file). The functions a launch runs
# come first and together, so the kernel's 64 KB fault-around windows map them and little else:
# code run at launch spread over the whole binary made nearly all of it resident.
# Not part of the build or the tests: run it by hand after large changes to the run path, as an
# ordinary user, with valgrind and perf installed, then compare `scripts/bench.sh rss`.
#
# How the list is made:
#   1. callgrind over the launcher's own process for the commonest commands, `run base` first;
#   2. everything libcloister_exec.a defines or calls (pid 1 and the app before its execve,
#      which valgrind cannot follow into new namespaces);
#   3. rounds of relinking and recording page faults (perf, software event, every process of a
#      loop of launches): a function or data object whose first touch faults is added, for 20
#      rounds (each moves a few more out of windows that were resident for them alone).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${CLOISTER_BUILD_DIR:-$src/build}
order=$src/launcher/run-path.order
for tool in valgrind perf nm; do
  command -v "$tool" >/dev/null || { echo "order-run-path.sh: $tool is needed" >&2; exit 2; }
done
if [ "$(id -u)" = 0 ]; then
  echo "order-run-path.sh: run it as an ordinary user (the launches refuse root)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -m 0700 "$work/run"
export XDG_RUNTIME_DIR=$work/run
commands=("run base -- /bin/true" "run shell -- /bin/true" "run --dry-run firefox-esr" "--version")

cmake --build "$build" --target cloister -j"$(nproc)" >/dev/null
bin=$build/cloister

# 1. callgrind: function names in the order each command first ran them.
i=0
for c in "${commands[@]}"; do
  # Under valgrind a launch stops early (it knows neither openat2 nor landlock's calls): the
  # page-fault rounds below find what it misses.
  # shellcheck disable=SC2086 # the command's words
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$i" "$bin" $c \
    >/dev/null 2>&1 || true
  i=$((i + 1))
done
python3 - "$work" "$build/launcher/libcloister_exec.a" >"$work/order" <<'EOF'
import glob, re, subprocess, sys
work, exec_lib = sys.argv[1], sys.argv[2]
seen, out = set(), []
def add(name):
    if name and name not in seen and not name.startswith("0x"):
        seen.add(name)
        out.append(name)
for path in sorted(glob.glob(work + "/cg.*"), key=lambda p: int(p.rsplit(".", 1)[1])):
    text = open(path, encoding="utf-8", errors="replace").read()
    names = {}
    for m in re.finditer(r"^c?fn=\((\d+)\)(?: (.*))?$", text, re.M):
        if m.group(2):
            names[m.group(1)] = m.group(2)
    for m in re.finditer(r"^fn=\((\d+)\)", text, re.M):
        add(names.get(m.group(1)))
for flag in ("--defined-only", "--undefined-only"):
    for line in subprocess.run(["nm", flag, exec_lib], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[-2] in "tTwWU":
            add(f[-1])
print("\n".join(out))
EOF
write_order() {
  {
    echo "# The launcher's functions in the order lld lays them out (--symbol-ordering-file):"
    echo "# those a launch runs first. Made by scripts/order-run-path.sh; do not edit by hand."
    cat "$work/order"
  } >"$order"
}
write_order

# 3. Page-fault rounds.
cat >"$work/loop.sh" <<EOF
#!/bin/sh
for i in 1 2 3 4 5; do
  "$bin" run base -- /bin/true
  "$bin" run shell -- /bin/true
  "$bin" run --dry-run firefox-esr >/dev/null
  "$bin" --version >/dev/null
done
EOF
chmod 0755 "$work/loop.sh"
for round in $(seq 1 20); do
  cmake --build "$build" --target cloister >/dev/null
  perf record -q -e page-faults -c 1 -d -o "$work/pf.data" -- "$work/loop.sh" >/dev/null 2>&1
  nm --defined-only "$bin" | awk '$2 ~ /^[tTwWrRdDbBvV]$/ {print $3}' | sort -u >"$work/defined"
  perf script --no-demangle -i "$work/pf.data" -F comm,addr,sym,dso 2>/dev/null |
    awk '$1 == "cloister" {print $3}' | sort -u | comm -12 - "$work/defined" |
    grep -vxF -f "$work/order" >"$work/new" || true
  n=$(wc -l <"$work/new")
  echo "round $round: $n symbol(s) first touched by a page fault" >&2
  [ "$n" = 0 ] && break
  cat "$work/new" >>"$work/order"
  write_order
done
cmake --build "$build" --target cloister >/dev/null
echo "wrote $order ($(grep -vc '^#' "$order") symbols)" >&2

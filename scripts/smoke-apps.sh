#!/usr/bin/env bash
# smoke-apps.sh [APP...]: launch shipped app profiles for real and check that a window appears.
#
# For each app (default: every profile in profiles/ that has a command), on a fresh private
# desktop: an Xvfb display with its own cookie, a private session bus (dbus-daemon), a temporary
# XDG_RUNTIME_DIR and a temporary HOME (so persistent app homes and the test files never touch
# the real home). Runs `cloister run APP`, waits up to $SMOKE_TIMEOUT seconds (20) for a
# mapped window, screenshots the display to artifacts/APP.png, checks the window is not blank
# (a window of one flat colour means nothing was drawn, e.g. no fonts), stops the app and
# prints a table. Apps whose command is not installed are reported as such, not skipped.
#
# Run it as an ordinary user (cloister is rootless; as root it would prove nothing):
#   scripts/smoke-apps.sh                 # every app profile
#   scripts/smoke-apps.sh mupdf xterm     # some of them
# Environment: CLOISTER (the launcher; default build/cloister), SMOKE_TIMEOUT (20),
# SMOKE_SETTLE (seconds to let a window finish drawing before the screenshot; 3),
# SMOKE_ARTIFACTS (artifacts/), SMOKE_REQUIRE_INSTALLED (set: an app that is not installed
# fails the run, as in the test suite). Needs Xvfb, xauth, xwininfo, xwd, ImageMagick's convert,
# dbus-daemon. Exit status: 0 when every installed app showed a drawn window, 1 otherwise.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
  echo "smoke-apps.sh: refusing to run as root; run it as an ordinary user" \
    "(e.g. runuser -u USER -- $0)" >&2
  exit 2
fi

cloister=${CLOISTER:-$src/build/cloister}
timeout=${SMOKE_TIMEOUT:-20}
settle=${SMOKE_SETTLE:-3}
artifacts=${SMOKE_ARTIFACTS:-$src/artifacts}
host_path=/usr/local/bin:/usr/bin:/bin

if [ ! -x "$cloister" ]; then
  echo "smoke-apps.sh: no launcher at $cloister; build it (scripts/build.sh) or set CLOISTER" >&2
  exit 2
fi
missing=()
for tool in Xvfb xauth xwininfo xwd convert dbus-daemon mcookie; do
  PATH=$host_path command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "smoke-apps.sh: missing tools: ${missing[*]}" \
    "(Debian: xvfb xauth x11-utils x11-apps imagemagick dbus util-linux)" >&2
  exit 2
fi
mkdir -p "$artifacts"

# The first element of `command = [...]` in a profile file, "" for layers without one.
profile_command() {
  sed -n 's/^command *= *\[ *"\([^"]*\)".*/\1/p' "$1" | head -n 1
}

if [ $# -gt 0 ]; then
  apps=("$@")
else
  apps=()
  # Every graphical app profile: a command, and a display (its own or through gui-*).
  for f in "$src"/profiles/*.toml; do
    [ -n "$(profile_command "$f")" ] || continue
    grep -Eq '"gui-(x11|wayland)"|^ *(x11|wayland) *= *true' "$f" || continue
    apps+=("$(basename "$f" .toml)")
  done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cloister-smoke.XXXXXX")
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Test files the viewers open, in the temporary home's user folders.
make_home() {
  local home=$1
  mkdir -p "$home"/{Documents,Downloads,Pictures,Music,Videos,Templates,Desktop}
  # A one-page PDF with a line of text in a standard font (viewers must render it), with a
  # correct cross-reference table so viewers do not have to repair it.
  local text='BT /F1 24 Tf 72 700 Td (cloister smoke test: fonts render) Tj ET'
  local -a objs=(
    '<< /Type /Catalog /Pages 2 0 R >>'
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]
   /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>'
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
    "<< /Length ${#text} >>
stream
$text
endstream"
  )
  local pdf='%PDF-1.4'$'\n' xref i
  xref="xref"$'\n'"0 $((${#objs[@]} + 1))"$'\n'"0000000000 65535 f "$'\n'
  for i in "${!objs[@]}"; do
    xref+=$(printf '%010d 00000 n ' "${#pdf}")$'\n'
    pdf+="$((i + 1)) 0 obj"$'\n'"${objs[$i]}"$'\n'"endobj"$'\n'
  done
  local start=${#pdf}
  pdf+="$xref""trailer"$'\n'"<< /Size $((${#objs[@]} + 1)) /Root 1 0 R >>"$'\n'
  pdf+="startxref"$'\n'"$start"$'\n''%%EOF'$'\n'
  printf '%s' "$pdf" >"$home/Documents/smoke.pdf"
  convert -size 320x240 gradient:skyblue-navy "$home/Pictures/smoke.png" 2>/dev/null
  printf 'cloister smoke test\n' >"$home/Documents/smoke.txt"
}

# The command to run instead of the profile's: a test file for the viewers and editors, so the
# screenshot shows a document rendered with the sandbox's fonts and the folder grant is used
# (mupdf also exits without a file). "" keeps the profile's command.
app_command() {
  local app=$1 home=$2
  case $app in
    mupdf | evince) echo "$app $home/Documents/smoke.pdf" ;;
    ristretto | eog) echo "$app $home/Pictures/smoke.png" ;;
    mousepad | gedit) echo "$app $home/Documents/smoke.txt" ;;
    *) echo "" ;;
  esac
}

# Mapped top-level windows of at least 32x32 as "AREA id WxH+X+Y", one per line.
mapped_windows() {
  local id info
  for id in $(xwininfo -root -children 2>/dev/null | sed -n 's/^ *\(0x[0-9a-f]*\) .*/\1/p'); do
    info=$(xwininfo -id "$id" 2>/dev/null) || continue
    grep -q 'Map State: IsViewable' <<<"$info" || continue
    local w h x y
    w=$(sed -n 's/.*Width: *\([0-9]*\).*/\1/p' <<<"$info")
    h=$(sed -n 's/.*Height: *\([0-9]*\).*/\1/p' <<<"$info")
    x=$(sed -n 's/.*Absolute upper-left X: *\(-*[0-9]*\).*/\1/p' <<<"$info")
    y=$(sed -n 's/.*Absolute upper-left Y: *\(-*[0-9]*\).*/\1/p' <<<"$info")
    [ "${w:-0}" -ge 32 ] && [ "${h:-0}" -ge 32 ] && echo "$((w * h)) $id ${w}x${h}+${x}+${y}"
  done
}

# Waits for PID to exit, up to $2 seconds; then kills it.
stop() {
  local pid=$1 grace=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# Runs one app on its own display; sets row="result|window|screenshot|note". (Not run in a
# subshell, so the EXIT trap still knows every helper process to stop.)
smoke_one() {
  local app=$1
  local profile=$src/profiles/$app.toml
  if [ ! -f "$profile" ]; then
    row="no profile|-|-|$profile missing"
    return
  fi
  local cmd
  cmd=$(profile_command "$profile")
  if [ -z "$cmd" ]; then
    row="not an app|-|-|a layer without a command"
    return
  fi
  if ! PATH=$host_path command -v "$cmd" >/dev/null; then
    row="not installed|-|-|$cmd not found"
    return
  fi

  local dir=$work/$app
  mkdir -p "$dir/run" "$dir/home"
  chmod 700 "$dir/run"
  make_home "$dir/home"

  # A private display: Xvfb picks a free number (-displayfd), and accepts only our cookie.
  local cookie
  cookie=$(mcookie)
  xauth -q -f "$dir/server.auth" add :0 MIT-MAGIC-COOKIE-1 "$cookie" 2>/dev/null
  exec {dfd}>"$dir/display"
  Xvfb -displayfd "$dfd" -auth "$dir/server.auth" -nolisten tcp -screen 0 1280x800x24 \
    >"$dir/xvfb.log" 2>&1 &
  local xpid=$!
  pids+=("$xpid")
  exec {dfd}>&-
  local n="" i
  for ((i = 0; i < 100; i++)); do
    n=$(tr -dc 0-9 <"$dir/display")
    [ -n "$n" ] && break
    sleep 0.1
  done
  if [ -z "$n" ]; then
    stop "$xpid" 2
    row="error|-|-|Xvfb did not start (see $dir/xvfb.log)"
    return
  fi
  xauth -q -f "$dir/home/.Xauthority" add ":$n" MIT-MAGIC-COOKIE-1 "$cookie" 2>/dev/null

  # A private session bus, so the app's filtered proxy has a real bus behind it.
  local bus=$dir/run/bus dbuspid
  dbuspid=$(dbus-daemon --session --fork --print-pid=1 --address="unix:path=$bus" 2>"$dir/dbus.log")
  [ -n "$dbuspid" ] && pids+=("$dbuspid")

  local -a envv=(env -i HOME="$dir/home" USER="$(id -un)" LOGNAME="$(id -un)" PATH="$host_path"
    LANG=C.UTF-8 DISPLAY=":$n" XAUTHORITY="$dir/home/.Xauthority"
    XDG_RUNTIME_DIR="$dir/run" DBUS_SESSION_BUS_ADDRESS="unix:path=$bus")
  local extra
  extra=$(app_command "$app" "$dir/home")
  local log=$artifacts/$app.log
  # shellcheck disable=SC2086  # extra is a word list made above
  "${envv[@]}" "$cloister" run "$profile" ${extra:+-- $extra} >"$log" 2>&1 &
  local apid=$!

  local win="" exited=""
  for ((i = 0; i < timeout * 2; i++)); do
    # The largest window: the main one rather than a splash, tooltip or popup.
    win=$(DISPLAY=":$n" XAUTHORITY="$dir/home/.Xauthority" mapped_windows | sort -rn | head -n 1)
    [ -n "$win" ] && break
    if ! kill -0 "$apid" 2>/dev/null; then
      wait "$apid"
      exited=$?
      break
    fi
    sleep 0.5
  done

  local result window=no shot=- note=""
  if [ -n "$win" ]; then
    window=yes
    sleep "$settle"
    win=$(DISPLAY=":$n" XAUTHORITY="$dir/home/.Xauthority" mapped_windows | sort -rn | head -n 1)
    shot=$artifacts/$app.png
    local geom=${win##* }
    if DISPLAY=":$n" XAUTHORITY="$dir/home/.Xauthority" xwd -root -silent |
      convert xwd:- "png:$shot" 2>>"$log"; then
      # Distinct colours inside the window: one means an undrawn window (or nothing drawn
      # because no font loaded); text on a background has at least two (xterm's bitmap font
      # exactly two, anti-aliased text hundreds).
      local colours
      colours=$(convert "$shot" -crop "$geom" +repage -format '%k' info: 2>/dev/null)
      if [ "${colours:-0}" -ge 2 ]; then
        result=ok
      else
        result=blank
      fi
      note="window $geom, $colours colours"
    else
      result=error
      shot=-
      note="screenshot failed"
    fi
  elif [ -n "$exited" ]; then
    result=exited
    note="exit status $exited before any window; see $log"
  else
    result="no window"
    note="nothing mapped in ${timeout}s; see $log"
  fi

  stop "$apid" 5
  [ -n "$dbuspid" ] && kill "$dbuspid" 2>/dev/null
  stop "$xpid" 2
  row="$result|$window|$shot|$note"
}

failed=0
rows=()
row=""
for app in "${apps[@]}"; do
  echo "== $app" >&2
  smoke_one "$app"
  rows+=("$app|$row")
  case ${row%%|*} in
    ok | "not an app") ;;
    "not installed") [ -n "${SMOKE_REQUIRE_INSTALLED:-}" ] && failed=1 ;;
    *) failed=1 ;;
  esac
done

printf '\n%-18s %-14s %-7s %s\n' APP RESULT WINDOW SCREENSHOT
for r in "${rows[@]}"; do
  IFS='|' read -r app result window shot note <<<"$r"
  printf '%-18s %-14s %-7s %s  (%s)\n' "$app" "$result" "$window" "$shot" "$note"
done
exit $failed

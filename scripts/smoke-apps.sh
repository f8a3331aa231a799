#!/usr/bin/env bash
# smoke-apps.sh [--markdown FILE] [--stamp] [APP...]: launch shipped app profiles for real.
#
# For each app (default: every graphical app profile in profiles/), on a fresh private desktop:
# an Xvfb display with its own cookie, a private session bus (dbus-daemon), a private PulseAudio
# with a null sink when the profile grants audio, a temporary XDG_RUNTIME_DIR and a temporary
# HOME (persistent app homes and test files never touch the real home). It
#   1. runs `cloister run APP`, opening a sample file the script makes (scripts/smoke-apps.list
#      says which: PDF, image, text, audio, video, archive, page...) through cloister's file
#      forwarding when the launcher has it, else from a folder of the test home the profile grants;
#   2. waits up to $SMOKE_TIMEOUT seconds for a mapped top-level window of that app: one whose
#      WM_CLIENT_MACHINE is the sandbox's own host name (so it was drawn inside this sandbox),
#      or, for toolkits that do not set it, whose WM_CLASS is the app's;
#   3. screenshots the display to $SMOKE_ARTIFACTS/APP.png and checks the window is drawn (more
#      than one colour);
#   4. checks the file shows: the window title names it, or else the window differs from the
#      same app's window started without the file;
#   5. with audio granted, asks the private PulseAudio whether the app connected and played;
#   6. stops everything and prints a table (app, package, version, launched, window, file,
#      network, audio, notes).
# Apps whose command is not installed are reported as such, never silently skipped.
#
# Run it as an ordinary user (cloister is rootless; as root it would prove nothing):
#   scripts/smoke-apps.sh                 # every app profile
#   scripts/smoke-apps.sh mupdf xterm     # some of them
#   scripts/smoke-apps.sh --markdown docs/apps.md --stamp   # refresh docs/apps.md and the
#                                         # "Launch-tested:" line of each profile's header
# Environment: CLOISTER (the launcher; default build/cloister), SMOKE_TIMEOUT (seconds to wait
# for a window; 30), SMOKE_SETTLE (seconds to let it finish drawing; 3), SMOKE_ARTIFACTS
# (artifacts/), SMOKE_REQUIRE_INSTALLED (set: an app that is not installed fails the run, as in
# the test suite). Needs Xvfb, xauth, xwininfo, xprop, xwd, ImageMagick, dbus-daemon, perl, and
# for audio apps pulseaudio and pactl. Exit status: 0 when every installed app passed, 1 if one
# did not, 2 on bad usage or missing tools.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=smoke-samples.sh
. "$src/scripts/smoke-samples.sh"
if [ "$(id -u)" = 0 ]; then
  echo "smoke-apps.sh: refusing to run as root; run it as an ordinary user" \
    "(e.g. runuser -u USER -- $0)" >&2
  exit 2
fi

markdown="" stamp=""
while [ $# -gt 0 ]; do
  case $1 in
    --markdown) markdown=${2:?--markdown needs a file}; shift 2 ;;
    --stamp) stamp=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "smoke-apps.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done

cloister=${CLOISTER:-$src/build/cloister}
timeout=${SMOKE_TIMEOUT:-30}
settle=${SMOKE_SETTLE:-3}
artifacts=${SMOKE_ARTIFACTS:-$src/artifacts}
host_path=/usr/local/bin:/usr/bin:/bin:/usr/games
export PATH=$host_path:$PATH

if [ ! -x "$cloister" ]; then
  echo "smoke-apps.sh: no launcher at $cloister; build it (scripts/build.sh) or set CLOISTER" >&2
  exit 2
fi
missing=()
for tool in Xvfb xauth xwininfo xprop xwd convert compare dbus-daemon mcookie perl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "smoke-apps.sh: missing tools: ${missing[*]}" \
    "(Debian: xvfb xauth x11-utils x11-apps imagemagick dbus-daemon util-linux perl)" >&2
  exit 2
fi
mkdir -p "$artifacts" || { echo "smoke-apps.sh: cannot create $artifacts; set SMOKE_ARTIFACTS" >&2; exit 2; }

# The per-app table (scripts/smoke-apps.list): sample kind, fallback folder and window class.
declare -A t_sample t_folder t_class t_sound
while read -r a _ s f c p _; do
  case $a in '' | '#'*) continue ;; esac
  t_sample[$a]=$s t_folder[$a]=$f t_class[$a]=$c t_sound[$a]=$p
done <"$src/scripts/smoke-apps.list"

# cloister's file forwarding (`cloister run --open FILE`, from the desktop integration) binds
# exactly the named file; without it the sample is put in a folder the profile grants.
forward=""
"$cloister" run --help 2>&1 | grep -q -- '--open' && forward=--open

profile_command() {
  sed -n 's/^command *= *\[ *"\([^"]*\)".*/\1/p' "$1" | head -n 1
}

if [ $# -gt 0 ]; then
  apps=("$@")
else
  apps=()
  for f in "$src"/profiles/*.toml; do
    [ -n "$(profile_command "$f")" ] || continue
    grep -Eq '"gui-(x11|wayland)"|^ *(x11|wayland) *= *true|^include *=.*"(libreoffice)"' "$f" ||
      continue
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

# On the current DISPLAY: the app's mapped, managed (not override-redirect) top-level windows of
# at least 64x64, as "AREA ID WxH+X+Y HOW TITLE" (HOW: "machine" or "class"), one per line. $1 is
# the sandbox's host name, $2 the class regex.
app_windows() {
  local host=$1 class=$2 id info props w h x y how
  for id in $(xwininfo -root -children 2>/dev/null | sed -n 's/^ *\(0x[0-9a-f]*\) .*/\1/p'); do
    info=$(xwininfo -id "$id" 2>/dev/null) || continue
    grep -q 'Map State: IsViewable' <<<"$info" || continue
    grep -q 'Override Redirect State: no' <<<"$info" || continue
    w=$(sed -n 's/.*Width: *\([0-9]*\).*/\1/p' <<<"$info")
    h=$(sed -n 's/.*Height: *\([0-9]*\).*/\1/p' <<<"$info")
    [ "${w:-0}" -ge 64 ] && [ "${h:-0}" -ge 64 ] || continue
    x=$(sed -n 's/.*Absolute upper-left X: *\(-*[0-9]*\).*/\1/p' <<<"$info")
    y=$(sed -n 's/.*Absolute upper-left Y: *\(-*[0-9]*\).*/\1/p' <<<"$info")
    props=$(xprop -id "$id" WM_CLIENT_MACHINE WM_CLASS 2>/dev/null)
    if grep -q "^WM_CLIENT_MACHINE(STRING) = \"$host\"$" <<<"$props"; then
      how=machine
    elif ! grep -q '^WM_CLIENT_MACHINE(STRING) = ' <<<"$props" &&
      grep '^WM_CLASS' <<<"$props" | grep -Eqi "\"($class)"; then
      how=class
    else
      continue
    fi
    echo "$((w * h)) $id ${w}x${h}+${x}+${y} $how $(window_title "$id")"
  done
}

# The title of window $1 (_NET_WM_NAME, else WM_NAME).
window_title() {
  local t
  t=$(xprop -id "$1" _NET_WM_NAME 2>/dev/null | sed -n 's/^_NET_WM_NAME([A-Z0-9_]*) = "\(.*\)"$/\1/p')
  [ -n "$t" ] || t=$(xprop -id "$1" WM_NAME 2>/dev/null | sed -n 's/^WM_NAME([A-Z0-9_]*) = "\(.*\)"$/\1/p')
  printf '%s' "$t"
}

# Launches the app (argv in "$@") in the background and waits for its window; with $want set,
# goes on waiting (within the same timeout) for a window whose title contains $want. Settles,
# then sets win ("AREA ID GEOM HOW TITLE" of the window to judge, "" if none), named (1 when its
# title contains $want), apid and exited (status if the app exited before any window).
launch_and_wait() {
  local log=$1 i line
  shift
  "${envv[@]}" "$cloister" run "$@" >>"$log" 2>&1 &
  apid=$!
  win="" exited="" named=""
  for ((i = 0; i < timeout * 2; i++)); do
    local all
    all=$(app_windows "$host" "$class" | sort -rn)
    # The largest window: the main one rather than a dialog.
    [ -n "$all" ] && win=$(head -n 1 <<<"$all")
    if [ -n "$want" ] && line=$(grep -i -m 1 -- "$want" <<<"$all"); then
      win=$line named=1
      break
    fi
    [ -n "$win" ] && [ -z "$want" ] && break
    if [ -z "$win" ] && ! kill -0 "$apid" 2>/dev/null; then
      wait "$apid"
      exited=$?
      break
    fi
    sleep 0.5
  done
  [ -n "$win" ] || return 0
  sleep "$settle"
  local id again
  read -r _ id _ <<<"$win"
  # The same window again, drawn and maybe resized by now (or the largest, if it went away).
  again=$(app_windows "$host" "$class" | sort -rn)
  line=$(grep -m 1 " $id " <<<"$again") || line=$(head -n 1 <<<"$again")
  [ -n "$line" ] && win=$line
}

# Screenshot of the whole display to $1; prints the number of colours inside geometry $2.
shoot() {
  xwd -root -silent | convert xwd:- "png:$1" 2>/dev/null || return 1
  convert "$1" -crop "$2" +repage -format '%k' info: 2>/dev/null
}

# A private PulseAudio (null sink, anonymous clients) on $dir/run/pulse/native.
start_pulse() {
  local dir=$1 i
  mkdir -p "$dir/pa-home" "$dir/pa-run" "$dir/run/pulse"
  chmod 700 "$dir/pa-run" "$dir/run/pulse"
  HOME=$dir/pa-home XDG_RUNTIME_DIR=$dir/pa-run XDG_CONFIG_HOME=$dir/pa-home/.config \
    pulseaudio --daemonize=no --exit-idle-time=-1 -n --realtime=no --high-priority=no \
    --load="module-native-protocol-unix socket=$dir/run/pulse/native auth-anonymous=1" \
    --load=module-null-sink >"$dir/pulseaudio.log" 2>&1 &
  pids+=($!)
  papid=$!
  for ((i = 0; i < 100; i++)); do
    [ -S "$dir/run/pulse/native" ] && return 0
    sleep 0.1
  done
  return 1
}

# Runs one app on its own display; sets the globals of its table row.
smoke_one() {
  local app=$1
  local profile=$src/profiles/$app.toml
  pkg=- ver=- launched=- window=- file=- net=- audio=- shot=- note=""
  if [ ! -f "$profile" ]; then
    result="no profile" note="$profile missing"
    return
  fi
  local dir=$work/$app
  mkdir -p "$dir/run" "$dir/home"
  chmod 700 "$dir/run"

  local bus=$dir/run/bus
  envv=(env -i HOME="$dir/home" USER="$(id -un)" LOGNAME="$(id -un)" PATH="$host_path"
    LANG=C.UTF-8 XDG_RUNTIME_DIR="$dir/run" DBUS_SESSION_BUS_ADDRESS="unix:path=$bus")
  # The plan, read from the launcher itself: host name, network, audio, command.
  local plan
  plan=$("${envv[@]}" DISPLAY=:0 "$cloister" run --dry-run "$profile" 2>&1)
  local cmdline
  cmdline=$(sed -n 's/^command: //p' <<<"$plan")
  if [ -z "$cmdline" ]; then
    result="not an app" note="no command: $(head -n 3 <<<"$plan" | tr '\n' ' ')"
    return
  fi
  local -a argv
  eval "argv=($cmdline)"
  host=$(sed -n 's/^hostname: //p' <<<"$plan")
  net=$(sed -n 's/^network: \([a-z]*\).*/\1/p' <<<"$plan")
  local wants_audio=""
  grep -q 'pulse/native' <<<"$plan" && wants_audio=1
  local exe
  if ! exe=$(command -v "${argv[0]}"); then
    result="not installed" note="${argv[0]} not found"
    return
  fi
  pkg=$(dpkg -S "$(readlink -f "$exe")" 2>/dev/null | head -n 1 | cut -d: -f1)
  [ -n "$pkg" ] || pkg=$(dpkg -S "$exe" 2>/dev/null | head -n 1 | cut -d: -f1)
  [ -n "$pkg" ] && ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)
  : "${pkg:=-}" "${ver:=-}"
  class=${t_class[$app]:--}
  [ "$class" = - ] && class=$app

  # A private display that accepts only our cookie, on a random free number from 100 up: tests
  # that run beside this one (other suites on the same machine) often take :0 and :1 for
  # themselves and remove their sockets. Xvfb writes the number to -displayfd once it listens.
  local cookie n="" i try xpid=""
  cookie=$(mcookie)
  xauth -q -f "$dir/server.auth" add :0 MIT-MAGIC-COOKIE-1 "$cookie" 2>/dev/null
  for ((try = 0; try < 10; try++)); do
    [ -n "$n" ] && break
    local want_n=$((100 + RANDOM % 800))
    [ -e "/tmp/.X$want_n-lock" ] && continue
    : >"$dir/display"
    exec {dfd}>"$dir/display"
    Xvfb ":$want_n" -displayfd "$dfd" -auth "$dir/server.auth" -nolisten tcp -noreset \
      -screen 0 1280x800x24 >"$dir/xvfb.log" 2>&1 &
    xpid=$!
    pids+=("$xpid")
    exec {dfd}>&-
    for ((i = 0; i < 100; i++)); do
      n=$(tr -dc 0-9 <"$dir/display")
      [ -n "$n" ] && break
      kill -0 "$xpid" 2>/dev/null || break
      sleep 0.1
    done
    [ -n "$n" ] || stop "$xpid" 2
  done
  if [ -z "$n" ]; then
    result=error note="Xvfb did not start (see $dir/xvfb.log)"
    return
  fi
  xauth -q -f "$dir/home/.Xauthority" add ":$n" MIT-MAGIC-COOKIE-1 "$cookie" 2>/dev/null
  export DISPLAY=":$n" XAUTHORITY="$dir/home/.Xauthority"
  envv+=(DISPLAY=":$n" XAUTHORITY="$dir/home/.Xauthority")

  local dbuspid
  dbuspid=$(dbus-daemon --session --fork --print-pid=1 --address="unix:path=$bus" 2>"$dir/dbus.log")
  [ -n "$dbuspid" ] && pids+=("$dbuspid")
  papid=""
  if [ -n "$wants_audio" ]; then
    if ! command -v pulseaudio >/dev/null || ! command -v pactl >/dev/null; then
      result=error note="the profile grants audio: install pulseaudio and pulseaudio-utils"
      stop "$xpid" 2
      return
    fi
    start_pulse "$dir" || note="PulseAudio did not start (see $dir/pulseaudio.log); "
  fi

  # The sample: forwarded from a folder no profile grants, or put in a granted folder.
  local kind=${t_sample[$app]:--} sample="" folder=${t_folder[$app]:--}
  local -a open=()
  if [ "$kind" != - ]; then
    if [ -n "$forward" ]; then
      sample=$(make_sample "$kind" "$dir/forwarded")
      open=("$forward" "$sample")
    else
      sample=$(make_sample "$kind" "$dir/home/$folder")
    fi
  fi
  local log=$artifacts/$app.log
  : >"$log"
  want=""
  [ -n "$sample" ] && want=smoke
  if [ -n "$sample" ] && [ -z "$forward" ]; then
    launch_and_wait "$log" "$profile" -- "${argv[@]}" "$sample"
  else
    launch_and_wait "$log" "${open[@]}" "$profile"
  fi

  if [ -n "$exited" ]; then
    # 125-127: cloister (or the command lookup) failed, so the app never ran.
    case $exited in 125 | 126 | 127) launched=no ;; *) launched=yes ;; esac
    result=exited window=no
    note+="exit status $exited before a window; see $app.log in the artifacts"
  elif [ -z "$win" ]; then
    launched=yes window=no result="no window"
    note+="no window of $app in ${timeout}s; see $app.log in the artifacts"
  else
    launched=yes
    local id geom how title colours
    read -r _ id geom how title <<<"$win"
    window="yes ($how)"
    shot=$artifacts/$app.png
    colours=$(shoot "$shot" "$geom")
    note+="window $geom, ${colours:-?} colours, title \"$title\""
    result=ok
    [ "${colours:-0}" -ge 2 ] || result=blank
    if [ -n "$wants_audio" ] && [ -n "$papid" ]; then
      local streams clients
      streams=$(PULSE_SERVER="unix:$dir/run/pulse/native" pactl list short sink-inputs 2>/dev/null | wc -l)
      clients=$(PULSE_SERVER="unix:$dir/run/pulse/native" pactl list short clients 2>/dev/null | wc -l)
      # pactl itself is one client.
      if [ "$streams" -gt 0 ]; then
        audio=playing
      elif [ "$clients" -gt 1 ]; then
        audio=connected
      else
        audio="not used"
      fi
      # A player playing its sample must be heard: a stream on the sound server.
      [ "${t_sound[$app]:--}" = play ] && [ "$audio" != playing ] && result="no sound"
    fi
    if [ -n "$named" ]; then
      file="yes (title)"
    elif [ -n "$sample" ]; then
      # The title does not name it: compare with the same app started without the file.
      stop "$apid" 5
      local with=$dir/with.png
      convert "$shot" -crop "$geom" +repage "$with" 2>/dev/null
      want=""
      launch_and_wait "$log" "$profile"
      if [ -n "$win" ]; then
        local bgeom diff
        read -r _ _ bgeom _ <<<"$win"
        shoot "$artifacts/$app-nofile.png" "$bgeom" >/dev/null
        convert "$artifacts/$app-nofile.png" -crop "$bgeom" +repage "$dir/without.png" 2>/dev/null
        # Pixels that differ, over the part both windows cover (from their top left corner).
        local ww wh bw bh
        IFS='x+' read -r ww wh _ <<<"$geom"
        IFS='x+' read -r bw bh _ <<<"$bgeom"
        local common="$((ww < bw ? ww : bw))x$((wh < bh ? wh : bh))+0+0"
        diff=$(compare -metric AE -fuzz 5% <(convert "$with" -crop "$common" +repage png:-) \
          <(convert "$dir/without.png" -crop "$common" +repage png:-) null: 2>&1 | cut -d' ' -f1)
        if [ "${diff%.*}" -gt 1000 ] 2>/dev/null; then
          file="yes (screenshot: ${diff%.*} pixels differ from $app-nofile.png)"
        else
          file=no result="file not shown"
          note+="; the window with the file looks like the one without (${diff:-?} pixels differ)"
        fi
      else
        file=no result="file not shown"
        note+="; no window names the file, and none without it to compare"
      fi
    fi
    [ -n "$forward" ] && [ "$file" != - ] && file+=", forwarded"
  fi

  stop "$apid" 5
  [ -n "$papid" ] && stop "$papid" 2
  [ -n "$dbuspid" ] && kill "$dbuspid" 2>/dev/null
  stop "$xpid" 2
  unset DISPLAY XAUTHORITY
}

# Writes or replaces the "# Launch-tested:" line of a profile's header comment.
stamp_profile() {
  local profile=$1 line=$2 tmp
  tmp=$(mktemp "$profile.XXXXXX") || return
  awk -v line="$line" '
    done == 0 && /^# Launch-tested:/ { print line; done = 1; next }
    done == 0 && !/^#/ { print line; done = 1 }
    { print }' "$profile" >"$tmp" && mv "$tmp" "$profile"
}

failed=0 passed=0
rows=()
for app in "${apps[@]}"; do
  echo "== $app" >&2
  smoke_one "$app"
  rows+=("$app|$pkg|$ver|$launched|$window|$file|$net|$audio|$result|$shot|$note")
  case $result in
    ok) passed=$((passed + 1)) ;;
    "not an app") ;;
    "not installed") [ -n "${SMOKE_REQUIRE_INSTALLED:-}" ] && failed=1 ;;
    *) failed=1 ;;
  esac
  if [ -n "$stamp" ] && [ "$result" != "not installed" ] && [ -f "$src/profiles/$app.toml" ]; then
    stamp_profile "$src/profiles/$app.toml" \
      "# Launch-tested: $(date -u +%F), $pkg $ver: $result (scripts/smoke-apps.sh $app)"
  fi
done

printf '\n%-18s %-16s %-9s %-14s %s\n' APP RESULT WINDOW FILE NOTES
for r in "${rows[@]}"; do
  IFS='|' read -r app _ _ _ window file _ _ result _ note <<<"$r"
  printf '%-18s %-16s %-9s %-14s %s\n' "$app" "$result" "${window%% *}" "${file%% *}" "$note"
done
echo "$passed passed, $((${#apps[@]} - passed)) not passed (of ${#apps[@]} apps)"

if [ -n "$markdown" ]; then
  {
    echo "# Apps launched through their profiles"
    echo
    echo "Generated by \`scripts/smoke-apps.sh --markdown $markdown\` on $(date -u +%F)" \
      "(Debian $(cat /etc/debian_version 2>/dev/null), kernel $(uname -r)): each app started by"
    echo "\`cloister run\` on a private Xvfb display with a private session bus (and a private"
    echo "PulseAudio with a null sink where the profile grants audio). *Window*: a mapped top-level"
    echo "window whose WM_CLIENT_MACHINE is the sandbox's host name (\"class\" where the toolkit does"
    echo "not set it and WM_CLASS matched). *File*: a sample file the script made was opened and"
    echo "shown (the window title names it, or the window differs from the app started without it)."
    echo "*Network*: the profile's network namespace (no traffic leaves the machine in this test)."
    echo "*Audio*: \`playing\` = a stream on the private sound server, \`connected\` = a client only."
    echo "Screenshots: \`<build>/artifacts/APP.png\`. What each profile grants and what does not"
    echo "work is in its header (\`profiles/APP.toml\`)."
    echo
    echo "To refresh this table for every app: \`sudo scripts/install-apps.sh\` (about 700 MB of"
    echo "packages), then as an ordinary user, after building, \`scripts/smoke-apps.sh --markdown"
    echo "docs/apps.md --stamp\` (\`--stamp\` also rewrites each profile's \"Launch-tested:\" line)."
    echo "The test suite (\`ctest -R smoke.apps\`) runs the 18 small apps that"
    echo "\`scripts/install-deps.sh\` installs."
    echo
    echo "$passed of ${#apps[@]} apps passed."
    echo
    echo "| app | package | version | launched | window | file opened | network | audio | result | notes |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for r in "${rows[@]}"; do
      IFS='|' read -r app pkg ver launched window file net audio result _ note <<<"$r"
      note=${note//|/\\|}
      echo "| $app | $pkg | $ver | $launched | $window | $file | $net | $audio | $result | $note |"
    done
  } >"$markdown"
fi
exit $failed

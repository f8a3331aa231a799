#!/usr/bin/env bash
# completion_test.sh CLOISTER BASH_COMPLETION [FISH_COMPLETION]: drives the bash completion function the way bash does
# (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT) against the real binary and checks the
# candidates: subcommands, actions, options per subcommand, option values, profile names from
# `cloister profiles`, instance ids from `cloister ps`, command and file names after `--`.
# Run with bash-completion loaded (as on a Debian desktop) and, for the fallback, without; the
# fish completion answers the main questions too.
set -uo pipefail
bin=$(realpath "$1")
completion=$(realpath "$2")
fish_file=${3:+$(realpath "$3")}
failures=0
checks=0

work=$(mktemp -d)
trap 'rm -rf "$work"; [ -n "${sandbox_pid:-}" ] && kill "$sandbox_pid" 2>/dev/null' EXIT
mkdir -p "$work/config/cloister/profiles" "$work/files/sub"
printf 'include = ["base"]\n' >"$work/config/cloister/profiles/zz-completion-test.toml"
touch "$work/files/alpha.txt" "$work/files/beta.pdf" "$work/files/my.toml"
export XDG_CONFIG_HOME=$work/config
# Instance records need a runtime directory, which a CI user without a login session lacks.
mkdir -m 700 "$work/runtime"
export XDG_RUNTIME_DIR=$work/runtime
cd "$work/files" || exit 1

# The checks are collected first and run in one bash per mode (sourcing bash-completion takes a
# while): `expect MODE LINE [+WORD...] [-WORD...]` records that completing the last word of LINE
# (a trailing space = a new, empty word) must offer each +WORD and no -WORD; with "=", exactly
# the + words.
declare -a check_mode check_line check_words
expect() {
  check_mode+=("$1")
  check_line+=("$2")
  shift 2
  check_words+=("$*")
}

# run_checks MODE: completes every line of that mode, the way bash calls the function, and
# prints "@@ INDEX" before each line's candidates.
run_checks() {
  local mode=$1 i
  for i in "${!check_line[@]}"; do
    [ "${check_mode[i]}" = "$mode" ] && printf '%s\t%s\n' "$i" "${check_line[i]}"
  done | bash --norc --noprofile -c '
    mode=$1 completion=$2 bin=$3
    if [ "$mode" = full ]; then
      . /usr/share/bash-completion/bash_completion || exit 3
    fi
    . "$completion" || exit 4
    while IFS=$'"'"'\t'"'"' read -r index line; do
      read -ra COMP_WORDS <<<"$line"
      [[ $line == *" " ]] && COMP_WORDS+=("")
      COMP_WORDS[0]=$bin
      COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
      COMP_LINE="${COMP_WORDS[*]}"
      COMP_POINT=${#COMP_LINE}
      COMPREPLY=()
      _cloister cloister "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
      echo "@@ $index"
      printf "%s\n" "${COMPREPLY[@]}"
    done
  ' _ "$mode" "$completion" "$bin"
}

# verify INDEX CANDIDATES: the recorded expectations of check INDEX against what was offered.
verify() {
  local i=$1 got=$2 exact=0 w want
  local mode=${check_mode[i]} line=${check_line[i]}
  checks=$((checks + 1))
  for w in ${check_words[i]}; do
    case $w in
    =) exact=1 ;;
    +*) grep -qxF -- "${w#+}" <<<"$got" || {
      echo "FAIL ($mode): '$line<TAB>' should offer ${w#+}; got: $(tr '\n' ' ' <<<"$got")" >&2
      failures=$((failures + 1))
    } ;;
    -*) ! grep -qxF -- "${w#-}" <<<"$got" || {
      echo "FAIL ($mode): '$line<TAB>' should not offer ${w#-}; got: $(tr '\n' ' ' <<<"$got")" >&2
      failures=$((failures + 1))
    } ;;
    esac
  done
  if [ $exact = 1 ]; then
    want=$(for w in ${check_words[i]}; do [[ $w == +* ]] && echo "${w#+}"; done | sort)
    if [ "$(sort <<<"$got" | sed '/^$/d')" != "$want" ]; then
      echo "FAIL ($mode): '$line<TAB>' should offer exactly: $(tr '\n' ' ' <<<"$want"); got: $(tr '\n' ' ' <<<"$got")" >&2
      failures=$((failures + 1))
    fi
  fi
}

run_all() {
  local mode index="" got="" l
  for mode in full bare; do
    while IFS= read -r l; do
      if [[ $l == "@@ "* ]]; then
        [ -n "$index" ] && verify "$index" "$got"
        index=${l#@@ }
        got=""
      else
        got+=$l$'\n'
      fi
    done < <(run_checks $mode)
    [ -n "$index" ] && verify "$index" "$got"
    index=""
  done
  check_mode=() check_line=() check_words=()
}

[ -r /usr/share/bash-completion/bash_completion ] || {
  echo "FAIL: /usr/share/bash-completion/bash_completion missing: apt install bash-completion" >&2
  exit 1
}

# The subcommands cloister --help lists, read independently of the completion's own parsing.
subs=$("$bin" --help | sed -nE 's/^(usage:)?[[:space:]]*cloister ([a-z][a-z0-9-]*).*/\2/p' | sort -u)
for mode in full bare; do
  args=()
  for s in $subs; do args+=("+$s"); done
  expect $mode "cloister " "${args[@]}" +--help +--version -zz-completion-test
  expect $mode "cloister r" +run -check
  expect $mode "cloister run -" +--dry-run +--verbose +--open +--forward +--help +-n +-v +-o +-h
  expect $mode "cloister run --open " +alpha.txt +beta.pdf -run
  expect $mode "cloister run -o al" = +alpha.txt
  expect $mode "cloister run --forward " =
  expect $mode "cloister run zz" = +zz-completion-test
  expect $mode "cloister run sh" +shell -zz-completion-test
  expect $mode "cloister run shell " = +--
  expect $mode "cloister run -v shell -- bas" +bash
  expect $mode "cloister run shell -- ls " +alpha.txt +beta.pdf -shell
  expect $mode "cloister run shell -- ls --open " +alpha.txt
  expect $mode "cloister check " +shell +base +zz-completion-test
  expect $mode "cloister check shell " +base
  expect $mode "cloister check ./" +./my.toml -./alpha.txt
  expect $mode "cloister profiles -" = +--help
done

if grep -qx desktop <<<"$subs"; then
  for mode in full bare; do
    expect $mode "cloister desktop " = +install +remove +list +--help
    expect $mode "cloister desktop install --" +--bin +--dry-run +--all +--help ---json
    expect $mode "cloister desktop list --" +--json +--help ---bin ---all
    expect $mode "cloister desktop remove " +shell +zz-completion-test
  done
else
  echo "SKIPPED: desktop actions: this cloister has no \`desktop\` subcommand"
fi

# Option values from the help's placeholders: "high|medium|low" and the like.
if "$bin" audit --help 2>/dev/null | grep -q -- '--fail-on'; then
  expect full "cloister audit --fail-on " +high +medium +low
  expect full "cloister audit --fail-on=h" = +--fail-on=high
  expect full "cloister audit " +shell
else
  echo "SKIPPED: audit --fail-on values: this cloister has no \`audit --fail-on\`"
fi

run_all

# Instance ids: a real sandbox, found through `cloister ps`.
if grep -qx ps <<<"$subs" && grep -qx stop <<<"$subs"; then
  "$bin" run shell -- sleep 60 </dev/null >/dev/null 2>&1 &
  sandbox_pid=$!
  id=""
  for _ in $(seq 50); do
    id=$("$bin" ps 2>/dev/null | awk 'NR > 1 && $2 == "shell" { print $1; exit }')
    [ -n "$id" ] && break
    sleep 0.1
  done
  if [ -z "$id" ]; then
    echo "FAIL: a sandbox started with \`cloister run shell -- sleep 60\` never showed in \`cloister ps\`" >&2
    failures=$((failures + 1))
  else
    for sub in stop enter attest; do
      grep -qx $sub <<<"$subs" && expect full "cloister $sub " +"$id" +shell
    done
    run_all
  fi
  kill "$sandbox_pid" 2>/dev/null
  wait "$sandbox_pid" 2>/dev/null
  sandbox_pid=""
else
  echo "SKIPPED: instance ids: this cloister has no \`ps\`/\`stop\` yet"
fi

# fish: the same questions through `complete -C`, which asks the loaded completions.
if [ -n "$fish_file" ]; then
  if command -v fish >/dev/null; then
    fish_expect() {
      local line=$1 got w
      shift
      got=$(fish --no-config -c "source $(printf %q "$fish_file"); complete -C $(printf %q "$bin $line")" | cut -f1)
      checks=$((checks + 1))
      for w in "$@"; do
        case $w in
        +*) grep -qxF -- "${w#+}" <<<"$got" || {
          echo "FAIL (fish): '$line<TAB>' should offer ${w#+}; got: $(tr '\n' ' ' <<<"$got")" >&2
          failures=$((failures + 1))
        } ;;
        -*) ! grep -qxF -- "${w#-}" <<<"$got" || {
          echo "FAIL (fish): '$line<TAB>' should not offer ${w#-}; got: $(tr '\n' ' ' <<<"$got")" >&2
          failures=$((failures + 1))
        } ;;
        esac
      done
    }
    fish_expect "" +run +check +profiles -zz-completion-test
    fish_expect "run -" +--dry-run +--open +--forward +-v
    fish_expect "run --open " +alpha.txt -shell
    fish_expect "run zz" +zz-completion-test
    fish_expect "run shell -- bas" +bash
    fish_expect "run shell -- ls " +alpha.txt
    fish_expect "check " +shell +zz-completion-test
    if grep -qx desktop <<<"$subs"; then
      fish_expect "desktop " +install +remove +list -shell
      fish_expect "desktop install --" +--bin +--all ---json
    fi
  else
    echo "FAIL: fish is not installed (scripts/install-deps.sh installs it)" >&2
    failures=$((failures + 1))
  fi
fi

if [ $failures -gt 0 ]; then
  echo "$failures of $checks completion checks failed" >&2
  exit 1
fi
echo "bash and fish completion: $checks checks passed"

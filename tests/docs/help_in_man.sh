#!/usr/bin/env bash
# help_in_man.sh CLOISTER PAGE: every subcommand that `cloister --help` lists, and every option
# that its usage lines and `cloister SUB --help` name, must appear in cloister(1) (PAGE, the page
# rendered from man/cloister.1.md): a heading "### cloister SUB ..." for each, and a row in the
# option table under it for each option;
# and the page may document no subcommand the binary does not list. So the manual cannot fall
# behind the code: a new subcommand or option fails here until it is documented.
set -uo pipefail
bin=$1 page=$2
src=man/cloister.1.md
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The page as plain text: font changes, \% \& dropped, \- and \e as typed.
plain=$(sed -e 's/\\f[BIRP]//g' -e 's/\\[%&]//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' \
  -e 's/\\(dq/"/g' "$page")
# The text under one heading: `block "cloister desktop install"` prints that .SS section.
block() {
  awk -v want="$1" '
    /^\.S[HS] / { h = $0; sub(/^\.S[HS] "?/, "", h); sub(/"$/, "", h)
                  on = (h == want || index(h, want " ") == 1) ; next }
    on' <<<"$plain"
}
# The tags of its option table (the line after each .TP): where an option is documented.
tags() { block "$1" | awk 'prev == ".TP" { print } { prev = $0 }'; }
headings=$(grep -E '^\.SS "?cloister ' <<<"$plain" | sed -E 's/^\.SS "?//; s/"$//')

# Whether TEXT (stdin) names option $1 as a word of its own ("-o" is not in "--open").
names() { grep -qE "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)"; }
# Options named in text: -x, --long (a word starting with a letter after the dashes).
options_in() { grep -oE '(^|[][ (|,=])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[^-]+//' | sort -u; }

if ! top=$("$bin" --help); then
  fail "\`cloister --help\` failed"
  exit 1
fi
# Usage lines: "usage: cloister run ..." and the indented "cloister check ..." under it, each
# joined with its indented continuation ("[-- COMMAND [ARG...]]").
usage_lines() {
  awk '{ t = $0; sub(/^usage:/, "", t); sub(/^[ \t]+/, "", t)
         if (t ~ /^cloister /) { if (cur != "") print cur; cur = t }
         else if (cur != "" && t ~ /^[[(]/) cur = cur " " t
         else { if (cur != "") print cur; cur = "" } }
       END { if (cur != "") print cur }'
}
usage=$(usage_lines <<<"$top")
[ -n "$usage" ] || fail "\`cloister --help\` lists no usage lines (\"cloister SUB ...\")"

paths=()
while IFS= read -r line; do
  # The subcommand path: the lower-case words after "cloister", up to the first option or
  # placeholder ("desktop install" in "cloister desktop install [--bin] ...").
  path=$(awk '{ p = ""; for (i = 2; i <= NF && $i ~ /^[a-z][a-z0-9-]*$/; ++i) p = p (p ? " " : "") $i; print p }' <<<"$line")
  opts=$(sed 's/^cloister//' <<<"$line" | options_in)
  if [ -z "$path" ]; then
    text=$(tags OPTIONS)
    for o in $opts; do
      names "$o" <<<"$text" ||
        fail "cloister --help names the global option $o; add a row \"| \`$o\` | ... |\" to the table under \"## OPTIONS\" in $src"
    done
    continue
  fi
  paths+=("$path")
  text=$(block "cloister $path")
  if [ -z "$text" ]; then
    fail "cloister --help lists \`cloister $path\`, but $src has no \"### cloister $path ...\" heading: add one under \"## COMMANDS\" saying what it does, with a \"| option | meaning |\" table of its options"
    continue
  fi
  text=$(tags "cloister $path")
  for o in $opts; do
    names "$o" <<<"$text" ||
      fail "cloister --help shows $o for \`cloister $path\`; $src has no row for it under \"### cloister $path ...\": add a row \"| \`$o\` | meaning |\" to its option table"
  done
  grep -qF "cloister $path" <<<"$(block SYNOPSIS)" ||
    fail "\`cloister $path\` is missing from the SYNOPSIS of $src: add a line \"**cloister $path** ...\\\\\""
done <<<"$usage"

# Each subcommand answers --help with exit 0, and every option it shows has a row in the option
# table under one of its headings (a subcommand with actions, like desktop, may spread them).
for sub in $(printf '%s\n' "${paths[@]}" | awk '{ print $1 }' | sort -u); do
  if ! help=$("$bin" "$sub" --help 2>&1); then
    fail "\`cloister $sub --help\` exits non-zero; every subcommand must answer --help (exit 0)"
    continue
  fi
  # Options are named on usage lines and in option tables (lines that start with a dash).
  opts=$( (grep -E '^[[:space:]]*-' <<<"$help"; usage_lines <<<"$help" |
    grep -E "^cloister $sub( |$)" | sed -E "s/^cloister $sub//") | options_in)
  text=""
  while IFS= read -r h; do
    [[ "$h" == "cloister $sub" || "$h" == "cloister $sub "* ]] && text+=$(tags "$h")$'\n'
  done <<<"$headings"
  for o in $opts; do
    names "$o" <<<"$text" ||
      fail "\`cloister $sub --help\` shows $o; $src has no row for it under any \"### cloister $sub ...\" heading: add a row \"| \`$o\` | meaning |\" to the option table there"
  done
done

# No documented subcommand the binary does not list.
while IFS= read -r h; do
  [ -n "$h" ] || continue
  known=0
  for p in "${paths[@]}"; do
    [[ "$h" == "cloister $p" || "$h" == "cloister $p "* ]] && known=1
  done
  [ $known = 1 ] || fail "$src documents \"$h\", which \`cloister --help\` does not list: list it in launcher/src/main.cpp's usage, or remove the section"
done <<<"$headings"

if [ $failures -gt 0 ]; then
  echo "$failures problem(s): cloister(1) and the binary's help disagree" >&2
  exit 1
fi
echo "cloister(1) covers ${#paths[@]} subcommand forms and every option their help shows"

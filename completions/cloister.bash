# bash completion for cloister(1)                                   -*- shell-script -*-
#
# Subcommands, their actions and options come from the binary being completed: its usage lines
# (`cloister --help`) and each subcommand's help (`cloister SUB --help`), read once per shell
# and binary. A new subcommand or option therefore completes without an edit here. Values
# follow the placeholder the help gives: FILE -> file names, PROFILE -> profile names (from
# `cloister profiles`), INSTANCE -> running sandboxes (from `cloister ps`), a|b|c -> those words.
# After `--` comes the command: a command name, then file names.

declare -gA _cloister_help_cache 2>/dev/null || true

# _cloister_help BIN [SUB...]: the help text, cached for this shell.
_cloister_help() {
    local key="$*"
    if [[ -z ${_cloister_help_cache[$key]+set} ]]; then
        _cloister_help_cache[$key]=$("$@" --help 2>/dev/null)
    fi
    printf '%s\n' "${_cloister_help_cache[$key]}"
}

# The usage lines of a help text, without "usage:", each starting with "cloister " (a line
# continued on the next, indented "[-- COMMAND ...]", is joined).
_cloister_usage_lines() {
    local line current=""
    while IFS= read -r line; do
        line=${line#usage:}
        line=${line#"${line%%[![:space:]]*}"}
        if [[ $line == "cloister "* ]]; then
            [[ -n $current ]] && printf '%s\n' "$current"
            current=$line
        elif [[ -n $current && $line == [[\(]* ]]; then
            current+=" $line"
        else
            [[ -n $current ]] && printf '%s\n' "$current"
            current=""
        fi
    done
    [[ -n $current ]] && printf '%s\n' "$current"
    return 0
}

# "OPTION VALUE" lines (VALUE "-" when it takes none) from a help text on stdin: the option
# tables ("  -o [ --open ] FILE   text", "  --forward N[:M]   text") and the usage lines
# ("[--open FILE|URI]", "| --all)").
_cloister_parse_options() {
    local line rest word
    local re_alias='^[[:space:]]+(-[[:alnum:]]) \[ (--[[:alnum:]-]+) \]( ([^[:space:]]+))?'
    local re_long='^[[:space:]]+(--?[[:alnum:]][[:alnum:]-]*)( ([^[:space:]]+))?'
    local re_group='\[(--?[[:alpha:]][[:alnum:]-]*)( ([^]]+))?\]'
    while IFS= read -r line; do
        if [[ $line =~ $re_alias ]]; then
            printf '%s %s\n%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[4]:--}" \
                "${BASH_REMATCH[2]}" "${BASH_REMATCH[4]:--}"
        elif [[ $line =~ $re_long ]]; then
            printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]:--}"
        elif [[ $line =~ (^|[[:space:]:])cloister[[:space:]] ]]; then
            rest=$line
            while [[ $rest =~ $re_group ]]; do
                printf '%s %s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]:--}"
                rest=${rest/"${BASH_REMATCH[0]}"/}
            done
            for word in $rest; do
                word=${word#[(|]}
                word=${word%[)|]}
                [[ $word == -[[:alpha:]-]* && $word != -- ]] && printf '%s -\n' "$word"
            done
        fi
    done
}

# The value an option takes, from "OPTION VALUE" lines on stdin: the usage line's list of
# choices (`--fail-on high|medium|low`) wins over the option table's name (`SEVERITY`).
_cloister_value_of() {
    awk -v o="$1" '$1 == o && (v == "" || index($2, "|")) { v = $2 } END { print v }'
}

# Candidates for a value or positional placeholder.
_cloister_values() {
    local bin=$1 kind=$2 cur=$3
    case $kind in
    PROFILE*)
        if [[ $cur == */* || $cur == *.toml ]]; then
            if declare -F _filedir >/dev/null; then
                _filedir toml
            else
                local IFS=$'\n'
                COMPREPLY+=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
            fi
        else
            COMPREPLY+=($(compgen -W "$("$bin" profiles 2>/dev/null | awk '{ print $1 }')" -- "$cur"))
        fi
        ;;
    *FILE* | *PATH* | *DIR* | *URI*)
        if declare -F _filedir >/dev/null; then
            _filedir
        else
            local IFS=$'\n'
            COMPREPLY+=($(compgen -f -- "$cur"))
        fi
        ;;
    INSTANCE*)
        # `cloister ps`: ID APP ... under a header line; an app name works when one runs.
        COMPREPLY+=($(compgen -W "$("$bin" ps 2>/dev/null | awk 'NR > 1 { print $1; print $2 }')" -- "$cur"))
        ;;
    *'|'*)
        local words=${kind//[][.]/}
        COMPREPLY+=($(compgen -W "${words//|/ }" -- "$cur"))
        ;;
    esac
}

_cloister() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n = || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
    fi
    local bin=${words[0]/#\~/$HOME}
    type -P "$bin" >/dev/null 2>&1 || [[ -x $bin ]] || return 0
    COMPREPLY=()

    # After `--`: the command, then its file arguments.
    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            if ((cword == i + 1)); then
                COMPREPLY=($(compgen -c -- "$cur"))
            else
                _cloister_values "$bin" FILE "$cur"
            fi
            return 0
        fi
    done

    local top usage
    top=$(_cloister_help "$bin")
    usage=$(_cloister_usage_lines <<<"$top")
    if ((cword == 1)); then
        local subs globals
        subs=$(awk '$2 ~ /^[a-z][a-z0-9-]*$/ { print $2 }' <<<"$usage" | sort -u)
        globals=$(awk '$2 !~ /^[a-z]/' <<<"$usage" | _cloister_parse_options | awk '{ print $1 }')
        COMPREPLY=($(compgen -W "$subs $globals" -- "$cur"))
        return 0
    fi

    local sub=${words[1]} action=""
    local lines actions
    lines=$(awk -v s="$sub" '$2 == s' <<<"$usage")
    [[ -n $lines ]] || return 0
    actions=$(awk '$3 ~ /^[a-z][a-z0-9-]*$/ { print $3 }' <<<"$lines" | sort -u)
    if [[ -n $actions ]]; then
        if ((cword == 2)); then
            COMPREPLY=($(compgen -W "$actions --help" -- "$cur"))
            return 0
        fi
        action=${words[2]}
        lines=$(awk -v a="$action" '$3 == a' <<<"$lines")
    fi

    # The options: this form's usage lines, and the subcommand's own help.
    local help opts
    help=$(_cloister_help "$bin" "$sub")
    if [[ -n $action ]]; then
        opts=$( (printf '%s\n' "$lines" && _cloister_usage_lines <<<"$help" |
            awk -v s="$sub" -v a="$action" '$2 == s && $3 == a') | _cloister_parse_options)
    else
        opts=$( (printf '%s\n' "$lines" && printf '%s\n' "$help") | _cloister_parse_options)
    fi
    opts=$(printf '%s\n--help -\n' "$opts" | sort -u)

    # The value of an option (`--open FILE`, `--fail-on=high`).
    local value
    if [[ $cur == --*=* ]]; then
        value=$(_cloister_value_of "${cur%%=*}" <<<"$opts")
        if [[ -n $value && $value != - ]]; then
            local prefix=${cur%%=*}= saved_cur=$cur
            cur=${cur#*=}
            _cloister_values "$bin" "$value" "$cur"
            cur=$saved_cur
            COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        fi
        return 0
    fi
    value=$(_cloister_value_of "$prev" <<<"$opts")
    if [[ -n $value && $value != - && $prev == -* ]]; then
        _cloister_values "$bin" "$value" "$cur"
        return 0
    fi

    local dashdash=""
    [[ $lines == *"[-- "* ]] && dashdash=--
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$opts") $dashdash" -- "$cur"))
        return 0
    fi

    # Positionals: the placeholders of the usage line (PROFILE, PROFILE..., INSTANCE), outside
    # the option groups. A single one already given leaves only `--` to offer.
    local form placeholders given=0 first=2
    [[ -n $action ]] && first=3
    form=$(head -n 1 <<<"$lines")
    form=$(sed -E 's/\[--?[[:alnum:]-]+( [^]]*)?\]//g; s/\[-- .*//' <<<"$form")
    placeholders=$(grep -oE '[A-Z][A-Z_]+(\.\.\.)?' <<<"$form" | head -n 1)
    for ((i = first; i < cword; i++)); do
        if [[ ${words[i]} == -* ]]; then
            value=$(awk -v o="${words[i]}" '$1 == o { print $2; exit }' <<<"$opts")
            [[ -n $value && $value != - && ${words[i]} != *=* ]] && ((i++))
        else
            ((given++))
        fi
    done
    if [[ -n $placeholders && ($placeholders == *... || $given == 0) ]]; then
        _cloister_values "$bin" "$placeholders" "$cur"
    elif [[ -n $dashdash ]]; then
        COMPREPLY=($(compgen -W "--" -- "$cur"))
    fi
    return 0
}

complete -F _cloister cloister

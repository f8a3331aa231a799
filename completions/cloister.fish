# fish completion for cloister(1). As for bash, everything comes from the binary being completed:
# subcommands and actions from `cloister --help`, options from `cloister SUB --help`, profile
# names from `cloister profiles`, running sandboxes from `cloister ps`.

function __cloister_tokens
    commandline -opc
end

# The usage lines of `cloister --help` for the subcommand being typed (all when none yet).
function __cloister_usage
    set -l t (__cloister_tokens)
    set -l current
    for line in ($t[1] --help 2>/dev/null | string replace -r '^usage:' '' | string trim)
        if string match -q 'cloister *' -- $line
            test -n "$current"; and echo $current
            set current $line
        else if test -n "$current"; and string match -qr '^[\[(]' -- $line
            set current "$current $line"
        else
            test -n "$current"; and echo $current
            set current
        end
    end
    test -n "$current"; and echo $current
    return 0
end

function __cloister_needs_sub
    test (count (__cloister_tokens)) -eq 1
end

function __cloister_after_dashdash
    contains -- -- (__cloister_tokens)[2..-1]
end

function __cloister_subcommands
    __cloister_usage | string replace -rf '^cloister ([a-z][a-z0-9-]*).*' '$1' | sort -u
end

# Actions of the subcommand ("desktop install|remove|list"), while the action is still to come.
function __cloister_actions
    set -l t (__cloister_tokens)
    test (count $t) -eq 2; or return
    __cloister_usage | string replace -rf "^cloister $t[2] ([a-z][a-z0-9-]*).*" '$1' | sort -u
end

# Options of the subcommand; for an action (desktop install), those its usage lines show.
function __cloister_options
    set -l t (__cloister_tokens)
    set -l help ($t[1] $t[2] --help 2>/dev/null)
    if test (count $t) -ge 3; and string match -q -r "^cloister $t[2] $t[3]\b" -- (__cloister_usage)
        set help (string match -r -- "cloister $t[2] $t[3]\b.*" $help)
    end
    string match -rag -- '(?:^|[\s\[(|,])(--?[A-Za-z][A-Za-z0-9-]*)' $help | sort -u
    echo --help
end

# Whether the usage line of the subcommand being typed names placeholder $argv[1] (PROFILE...).
function __cloister_takes
    set -l t (__cloister_tokens)
    test (count $t) -ge 2; or return 1
    not __cloister_after_dashdash; or return 1
    string match -q -- '-*' (commandline -ct); and return 1
    test -z "$(__cloister_actions)"; or return 1
    set -l prev $t[-1]
    # The value of an option that takes one is not a positional.
    if string match -q -- '-*' $prev
        __cloister_option_value $prev >/dev/null; and return 1
    end
    __cloister_usage | string match -q -r "^cloister $t[2]( [a-z]+)? .*\b$argv[1]\b"
end

# The placeholder after option $argv[1] in the subcommand's help ("FILE" for --open), if any.
function __cloister_option_value
    set -l t (__cloister_tokens)
    set -l o (string escape --style=regex -- $argv[1])
    $t[1] $t[2] --help 2>/dev/null | string match -rg -- "(?:$o \]|\[$o|^\s+$o) ([A-Za-z][^\s\]]*)" | head -n 1 | string match -r '.+'
end

function __cloister_prev_value
    set -l t (__cloister_tokens)
    string match -q -- '-*' $t[-1]; or return 1
    set -l v (__cloister_option_value $t[-1]); or return 1
    string match -q -r -- $argv[1] $v
end

function __cloister_value_words
    set -l t (__cloister_tokens)
    string split '|' -- (__cloister_option_value $t[-1])
end

function __cloister_profiles
    set -l t (__cloister_tokens)
    $t[1] profiles 2>/dev/null | string replace -r '\s.*' ''
end

function __cloister_instances
    set -l t (__cloister_tokens)
    $t[1] ps 2>/dev/null | tail -n +2 | string replace -r '^(\S+)\s+(\S+).*' '$1\n$2' | string split '\n'
end

complete -c cloister -f
complete -c cloister -n __cloister_needs_sub -a '(__cloister_subcommands)'
complete -c cloister -n __cloister_needs_sub -l help -d 'list the subcommands'
complete -c cloister -n __cloister_needs_sub -l version -d "print cloister's version"
complete -c cloister -n __cloister_actions -a '(__cloister_actions)'
complete -c cloister -n 'not __cloister_needs_sub; and not __cloister_after_dashdash; and string match -q -- "-*" (commandline -ct)' -a '(__cloister_options)'
complete -c cloister -n '__cloister_prev_value "FILE|URI|PATH|DIR"' -F -r
complete -c cloister -n '__cloister_prev_value "^[a-z]+(\|[a-z]+)+\$"' -x -a '(__cloister_value_words)'
complete -c cloister -n '__cloister_takes PROFILE' -a '(__cloister_profiles)'
complete -c cloister -n '__cloister_takes INSTANCE' -a '(__cloister_instances)'
complete -c cloister -n '__cloister_after_dashdash; and test (commandline -opc)[-1] = --' -a '(__fish_complete_command)'
complete -c cloister -n '__cloister_after_dashdash; and test (commandline -opc)[-1] != --' -F

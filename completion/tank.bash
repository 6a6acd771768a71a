# bash completion for tank(1): commands, their options, and pod and container names from
# the running agent (through `tank status`; nothing is completed when no agent answers).
_tank_pods() {
    tank ${_tank_config:+--config "$_tank_config"} status -o name 2>/dev/null | sed -n 's|^pod/||p'
}

_tank_containers() { # POD: the names in its "containers" list (status -o yaml)
    tank ${_tank_config:+--config "$_tank_config"} status -o yaml "$1" 2>/dev/null |
        awk '/^containers:/ { c = 1; next } /^[^ -]/ { c = 0 } c && /^[ ]*- name: / { print $3 }'
}

_tank_volumes() {
    tank ${_tank_config:+--config "$_tank_config"} volumes 2>/dev/null | awk 'NR > 1 {print $1}'
}

_tank() {
    local cur prev words cword
    _init_completion 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    }
    local commands="agent status top logs exec validate apply delete diff pull images unpack sync events volumes version help"
    local i cmd= sub= _tank_config= args=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --config) _tank_config=${words[i + 1]}; ((i++)) ;;
        --config=*) _tank_config=${words[i]#--config=} ;;
        -*) ;;
        *) if [ -z "$cmd" ]; then cmd=${words[i]}; else args+=("${words[i]}"); fi ;;
        esac
    done
    if [ "$prev" = --config ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi
    if [ -z "$cmd" ]; then
        COMPREPLY=($(compgen -W "$commands --config --help --version" -- "$cur"))
        return
    fi
    case $cmd in
    status)
        case $prev in -o | --output) COMPREPLY=($(compgen -W "table wide json yaml name" -- "$cur")); return ;; esac
        COMPREPLY=($(compgen -W "-o --output -w --watch --help $(_tank_pods)" -- "$cur")) ;;
    logs)
        local lopts="-f --follow -p --previous -c --container --all-containers --tail --since --timestamps"
        case $prev in
        --tail | --since) return ;;
        -c | --container)
            [ ${#args[@]} -gt 0 ] && COMPREPLY=($(compgen -W "$(_tank_containers "${args[0]}")" -- "$cur"))
            return ;;
        esac
        if [ ${#args[@]} -eq 0 ]; then
            COMPREPLY=($(compgen -W "$lopts --help $(_tank_pods)" -- "$cur"))
        elif [ ${#args[@]} -eq 1 ]; then
            COMPREPLY=($(compgen -W "$lopts $(_tank_containers "${args[0]}")" -- "$cur"))
        fi ;;
    exec)
        case $prev in
        -c | --container)
            [ ${#args[@]} -gt 0 ] && COMPREPLY=($(compgen -W "$(_tank_containers "${args[0]}")" -- "$cur"))
            return ;;
        esac
        for ((i = 2; i < cword; i++)); do
            if [ "${words[i]}" = -- ]; then
                [ $((i + 1)) -eq "$cword" ] && COMPREPLY=($(compgen -c -- "$cur")) || COMPREPLY=($(compgen -f -- "$cur"))
                return
            fi
        done
        if [ ${#args[@]} -eq 0 ]; then
            COMPREPLY=($(compgen -W "-i -t -c --container --stdin --tty --help $(_tank_pods)" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "-c --container -i -t --" -- "$cur"))
        fi ;;
    validate | diff) COMPREPLY=($(compgen -f -- "$cur")) ;;
    apply) COMPREPLY=($(compgen -W "--dry-run --help" -- "$cur") $(compgen -f -- "$cur")) ;;
    delete | top) COMPREPLY=($(compgen -W "--help $(_tank_pods)" -- "$cur")) ;;
    events) COMPREPLY=($(compgen -W "-f --follow --since --help $(_tank_pods)" -- "$cur")) ;;
    images)
        if [ ${#args[@]} -eq 0 ]; then
            COMPREPLY=($(compgen -W "prune gc -o --help" -- "$cur"))
        elif [ "${args[0]}" = prune ]; then
            COMPREPLY=($(compgen -W "--all --dry-run --help" -- "$cur"))
        fi ;;
    volumes)
        case $prev in -o) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;; esac
        if [ ${#args[@]} -eq 0 ]; then
            COMPREPLY=($(compgen -W "rm -o --help" -- "$cur"))
        elif [ "${args[0]}" = rm ]; then
            COMPREPLY=($(compgen -W "$(_tank_volumes)" -- "$cur"))
        fi ;;
    unpack) [ ${#args[@]} -eq 1 ] && COMPREPLY=($(compgen -d -- "$cur")) ;;
    pull)
        case $prev in --auth-file) COMPREPLY=($(compgen -f -- "$cur")); return ;; esac
        COMPREPLY=($(compgen -W "-q --quiet --auth-file --help" -- "$cur")) ;;
    agent) COMPREPLY=($(compgen -W "--verbose --help" -- "$cur")) ;;
    help) [ ${#args[@]} -eq 0 ] && COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    esac
}
complete -F _tank tank

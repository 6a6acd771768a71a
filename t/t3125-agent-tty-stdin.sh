#!/bin/bash
# stdin, stdinOnce and tty. tty: true gives the workload a terminal (test -t 1 passes and its
# output is logged as stdout, "\r\n" ending a line as "\n" does); without it, not. stdin:
# true keeps a shell's stdin open (it waits instead of ending), with or without tty. A
# workload that closes its terminal keeps running and the agent keeps working; one that ends
# is seen ending and leaves no monitor behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

ctr() { # NAME COMMAND [FIELD...]
    printf '  - name: %s\n    image: %s\n    imagePullPolicy: IfNotPresent\n    command: %s\n' \
        "$1" "$IMAGE" "$2"
    shift 2
    for f in "$@"; do printf '    %s\n' "$f"; done
}
{
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n'
    ctr tty '[sh, -c, "if test -t 1; then echo tty; else echo notty; fi; exec sleep 1000"]' 'tty: true'
    ctr plain '[sh, -c, "if test -t 1; then echo tty; else echo notty; fi; exec sleep 1000"]'
    ctr shin '[sh]' 'stdin: true'
    ctr shtty '[sh]' 'stdin: true' 'stdinOnce: true' 'tty: true'
    ctr closes '[sh, -c, "echo before; exec >/dev/null 2>&1 </dev/null; exec sleep 1000"]' 'tty: true'
} >"$PODS/.t.tmp"
mv "$PODS/.t.tmp" "$PODS/t.yaml"
{
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: once}\nspec:\n  restartPolicy: Never\n  containers:\n'
    ctr bye '[sh, -c, "test -t 0 && echo bye from a tty"]' 'tty: true'
} >"$PODS/.once.tmp"
mv "$PODS/.once.tmp" "$PODS/once.yaml"
"$TANK" validate "$PODS/t.yaml" >"$TMP/v.out" 2>&1 || fail "validate: $(cat "$TMP/v.out")"

running() { wait_jq 60 ".pods[] | select(.name == \"$1\") | .containers[] | select(.name == \"$2\") | .state == \"running\""; }
for c in tty plain shin shtty closes; do running t $c || fail "t/$c not running: $(pod_jq t .)"; done
logs() { "$TANK" logs --config "$CFG" t -c "$1" 2>&1; }
wait_for 10 sh -c "'$TANK' logs --config '$CFG' t -c tty 2>&1 | grep -qx tty" ||
    fail "tty: true: the log is '$(logs tty | od -c | head -3)'"
grep -q " stdout F tty$" "$TMP/log/t/tty.log" || fail "raw log: $(cat "$TMP/log/t/tty.log")"
wait_for 10 sh -c "'$TANK' logs --config '$CFG' t -c plain 2>&1 | grep -qx notty" ||
    fail "without tty: the log is '$(logs plain)'"
wait_for 10 sh -c "'$TANK' logs --config '$CFG' t -c closes 2>&1 | grep -qx before" ||
    fail "closes: the log is '$(logs closes)'"

# Shells with an open stdin wait; all still run, nothing restarted, the agent answers.
sleep 3
for c in tty plain shin shtty closes; do
    [ "$(ctr_jq t $c .state)/$(ctr_jq t $c .restarts)" = running/0 ] ||
        fail "t/$c: $(ctr_jq t $c '.state + " " + (.restarts|tostring) + " " + (.reason // "")')"
done
[ "$("$TANK" exec --config "$CFG" t -c shtty -- readlink /proc/1/fd/0)" = /dev/pts/0 ] ||
    fail "the tty shell's stdin: $("$TANK" exec --config "$CFG" t -c shtty -- ls -l /proc/1/fd/)"
"$TANK" exec --config "$CFG" t -c shin -- readlink /proc/1/fd/0 | grep -q "^pipe:" ||
    fail "the stdin shell's stdin: $("$TANK" exec --config "$CFG" t -c shin -- ls -l /proc/1/fd/)"
curl -fsS --unix-socket "$SOCK" http://tank/healthz >/dev/null || fail "the agent does not answer"

# A tty workload that ends: terminated with its code, its line logged, its monitor gone.
wait_jq 20 '.pods[] | select(.name == "once") | .containers[0].state == "terminated"' ||
    fail "once: $(pod_jq once .containers)"
[ "$(ctr_jq once bye .exitCode)" = 0 ] || fail "once: $(pod_jq once .containers)"
"$TANK" logs --config "$CFG" once | grep -qx "bye from a tty" || fail "once log: $("$TANK" logs --config "$CFG" once)"
mon=$(sed -n 's/^monitor_pid=//p' "$TMP/run/pods/once/containers/bye/state" 2>/dev/null)
[ -n "$mon" ] || fail "no monitor recorded"
sleep 1
[ -d "/proc/$mon" ] && ! grep -q '^State:.*Z' "/proc/$mon/status" &&
    fail "the monitor of an ended tty container still runs: $(cat "/proc/$mon/cmdline" | tr '\0' ' ')"
pass

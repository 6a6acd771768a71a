#!/bin/bash
# `tank logs -f` on real containers ends by itself, as kubectl logs -f does: once the
# container instance that ran when it started has exited, after printing every line it
# wrote; at once (with the whole log) for a container that already terminated; and at the
# end of the instance it followed when the agent restarts the container, without the lines
# of the next instance.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

mkdir -p "$TMP/data"
# talker NAME POLICY COMMAND: a pod with the test's directory on /data.
talker() {
    put_pod "$1" policy="$2" cmd="$3" ctr_yaml="    volumeMounts:
    - {name: data, mountPath: /data}" pod_yaml="  volumes:
  - name: data
    hostPath: {path: $TMP/data, type: Directory}"
}
# follow OUT POD: `tank logs -f POD` in the background (output in OUT, its exit code in
# OUT.rc once it ends); returns once it follows the log (its inotify watch is set).
follow() {
    ("$TANK" logs --config "$CFG" -f "$2" >"$1" 2>"$1.err"; echo $? >"$1.rc") &
    local sub=$!
    at_exit "pkill -P $sub 2>/dev/null; wait $sub 2>/dev/null"
    wait_for 20 sh -c "pid=\$(pgrep -P $sub) && grep -qs inotify /proc/\$pid/fdinfo/*"
}

# A container that prints a line every 0.1 s until the test says stop, then a last line on
# each stream, and exits 0.
talker talk Never 'i=0; while [ ! -e /data/stop ]; do i=$((i+1)); echo line $i; sleep 0.1; done; echo last line $i; echo bye >&2'
wait_for 60 sh -c "'$TANK' logs --config '$CFG' talk 2>/dev/null | grep -qx 'line 3'"
follow "$TMP/f1" talk
[ "$(ctr_jq talk main .state)" = running ] || fail "the container no longer runs: $(pods_json)"
wait_for 20 grep -qx "line 6" "$TMP/f1" # it follows: new lines arrive
[ ! -e "$TMP/f1.rc" ] || fail "-f ended while the container runs: $(cat "$TMP/f1" "$TMP/f1.err")"
touch "$TMP/data/stop"
wait_for 60 test -s "$TMP/f1.rc"
[ "$(cat "$TMP/f1.rc")" = 0 ] || fail "-f exited $(cat "$TMP/f1.rc"): $(cat "$TMP/f1.err")"
[ "$(tail -n 1 "$TMP/f1")" = bye ] || fail "-f ended before the last line: $(tail -n 3 "$TMP/f1")"
n=$(grep -c '^line ' "$TMP/f1")
[ "$(sed -n "$((n + 1))p" "$TMP/f1")" = "last line $n" ] || fail "lines missing: $(cat "$TMP/f1")"
[ "$(grep '^line ' "$TMP/f1")" = "$(seq -f 'line %g' 1 "$n")" ] || fail "lines missing: $(cat "$TMP/f1")"
wait_phase 60 talk Succeeded

# Terminated already: -f prints the whole log and exits.
timeout 30 "$TANK" logs --config "$CFG" -f talk >"$TMP/f2" 2>"$TMP/f2.err"
rc=$?
[ "$rc" = 0 ] || fail "-f on a terminated container exited $rc: $(cat "$TMP/f2.err")"
cmp -s "$TMP/f1" "$TMP/f2" || fail "-f on a terminated container: $(diff "$TMP/f1" "$TMP/f2")"
rm "$PODS/talk.yaml"
wait_gone 60 talk
rm -f "$TMP/data/stop"

# Restarted: the first instance fails when told to, the agent starts a second one that
# prints a line and runs on. -f, started during the first, ends with the first.
talker again OnFailure 'if [ -e /data/second ]; then echo second instance; trap \"exit 0\" TERM; while :; do sleep 0.1; done; fi; touch /data/second; echo first instance; while [ ! -e /data/stop ]; do sleep 0.1; done; echo first ends; exit 1'
wait_for 60 sh -c "'$TANK' logs --config '$CFG' again 2>/dev/null | grep -qx 'first instance'"
follow "$TMP/f3" again
touch "$TMP/data/stop"
wait_for 60 test -s "$TMP/f3.rc"
[ "$(cat "$TMP/f3.rc")" = 0 ] || fail "-f exited $(cat "$TMP/f3.rc"): $(cat "$TMP/f3.err")"
[ "$(cat "$TMP/f3")" = $'first instance\nfirst ends' ] || fail "-f across a restart: $(cat "$TMP/f3")"
wait_for 60 sh -c "'$TANK' logs --config '$CFG' again | grep -qx 'second instance'"
[ "$(ctr_jq again main .restarts)" = 1 ] || fail "restarts: $(pods_json)"
pass

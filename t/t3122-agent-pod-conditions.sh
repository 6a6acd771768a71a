#!/bin/bash
# Pod conditions and lastState, with real workloads: Initialized, ContainersReady and Ready
# follow an exec readiness probe (status and lastTransitionTime change with it); a container
# that exits 3 and is restarted shows the previous instance under lastState.terminated
# (reason, exit code, times) while the new one runs; `tank status POD` shows the probes, the
# last state and the conditions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

put_pod cond grace=1 argv='["sleep", "1000"]' ctr_yaml="$READY_FILE_PROBE" \
    ctrs="$(ctr_manifest crash cmd='if [ -e /tmp/again ]; then exec sleep 1000; fi; touch /tmp/again; exit 3' \
        ctr_yaml='    volumeMounts: [{name: tmp, mountPath: /tmp}]')" \
    pod_yaml='  volumes: [{name: tmp, emptyDir: {}}]'

cond() { pod_jq cond ".conditions[] | select(.type == \"$1\") | $2"; }
wait_jq 60 '.pods[] | select(.name == "cond") | .containers[] | select(.name == "crash") | .state == "running" and .restarts == 1' ||
    fail "crash: not restarted: $(pod_jq cond .containers)"

# The restarted container's previous instance.
[ "$(ctr_jq cond crash .lastState.terminated.exitCode)" = 3 ] ||
    fail "lastState: $(ctr_jq cond crash .lastState)"
[ "$(ctr_jq cond crash .lastState.terminated.reason)" = Error ] ||
    fail "lastState reason: $(ctr_jq cond crash .lastState)"
[ "$(ctr_jq cond crash '.lastState.terminated.finishedAt | test("^20[0-9-]+T")')" = true ] ||
    fail "lastState finishedAt: $(ctr_jq cond crash .lastState)"
[ "$(ctr_jq cond main '.lastState | length')" = 0 ] || fail "main has a lastState: $(ctr_jq cond main .lastState)"

# Not ready: main's readiness probe fails.
[ "$(cond Initialized .status)" = True ] || fail "Initialized: $(pod_jq cond .conditions)"
[ "$(cond ContainersReady .status)" = False ] || fail "ContainersReady: $(pod_jq cond .conditions)"
[ "$(cond Ready .status)" = False ] || fail "Ready: $(pod_jq cond .conditions)"
[ "$(cond Ready .reason)" = ContainersNotReady ] || fail "Ready reason: $(pod_jq cond .conditions)"
[ "$(cond Ready .message)" = "containers with unready status: [main]" ] ||
    fail "Ready message: $(pod_jq cond .conditions)"
before=$(cond Ready .lastTransitionTime)
sleep 1.1
"$TANK" exec --config "$CFG" cond -c main -- touch /tmp/ready
wait_jq 5 '.pods[] | select(.name == "cond") | .conditions[] | select(.type == "Ready") | .status == "True"' ||
    fail "Ready did not turn True: $(pod_jq cond .conditions)"
[ "$(cond ContainersReady .status)" = True ] || fail "ContainersReady: $(pod_jq cond .conditions)"
after=$(cond Ready .lastTransitionTime)
[ "$after" != "$before" ] || fail "lastTransitionTime did not move: $before"
[ "$(cond Ready .reason)" = null ] || fail "a reason on a True condition: $(pod_jq cond .conditions)"

"$TANK" status --config "$CFG" cond >"$TMP/detail"
grep -q "Readiness:   exec \[cat /tmp/ready\]" "$TMP/detail" || fail "no probe line: $(cat "$TMP/detail")"
grep -q "Last State:  terminated (Error, exit code 3)" "$TMP/detail" || fail "no last state: $(cat "$TMP/detail")"
grep -Eq "^  Ready +True" "$TMP/detail" || fail "no conditions: $(cat "$TMP/detail")"

# Back to not ready: the transition time moves again.
sleep 1.1
"$TANK" exec --config "$CFG" cond -c main -- rm /tmp/ready
wait_jq 5 '.pods[] | select(.name == "cond") | .conditions[] | select(.type == "Ready") | .status == "False"' ||
    fail "Ready did not turn False: $(pod_jq cond .conditions)"
[ "$(cond Ready .lastTransitionTime)" != "$after" ] || fail "lastTransitionTime did not move back"
pass

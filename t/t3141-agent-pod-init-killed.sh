#!/bin/bash
# A pod with shareProcessNamespace: true whose PID namespace's init (tank-pod-init) is killed
# from the host: every process of the namespace dies with it and none can join it again, so
# the agent makes the pod a new sandbox (a SandboxChanged event) and its containers run
# again in a new shared namespace, as the kubelet does when a pod's sandbox dies; with
# restartPolicy Never the pod fails instead.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

put_pod shared grace=1 ctr=app argv='["sleep", "1000"]' \
    ctrs="$(ctr_manifest side argv='["sleep", "1000"]')" pod_yaml='  shareProcessNamespace: true'
both_running='[.pods[] | select(.name == "shared") | .containers[] | select(.state == "running")] | length == 2'
wait_jq 60 "$both_running" || fail "shared pod not running: $(pod_jq shared .)"
init=$(sed -n "s/^pid=//p" "$TMP/run/pods/shared/pidinit" 2>/dev/null)
[ -n "$init" ] && [ "$(cat "/proc/$init/comm" 2>/dev/null)" = tank-pod-init ] ||
    fail "no pod init found (pidinit: '$init')"
app=$(ctr_jq shared app .pid)

kill -9 "$init"
wait_for 10 sh -c "! kill -0 $app 2>/dev/null" || fail "the app outlived its PID namespace's init"
wait_jq 60 "($both_running) and ([.pods[] | select(.name == \"shared\") | .containers[].pid] | index($app) | not)" ||
    fail "containers not running again after the pod's init died: $(pod_jq shared .)"
new=$(sed -n "s/^pid=//p" "$TMP/run/pods/shared/pidinit" 2>/dev/null)
[ -n "$new" ] && [ "$new" != "$init" ] && [ "$(cat "/proc/$new/comm" 2>/dev/null)" = tank-pod-init ] ||
    fail "no new pod init (pidinit: '$new', was $init)"
a=$(ctr_jq shared app .pid)
s=$(ctr_jq shared side .pid)
[ "$(readlink "/proc/$a/ns/pid")" = "$(readlink "/proc/$s/ns/pid")" ] ||
    fail "app and side no longer share a PID namespace"
[ "$(readlink "/proc/$a/ns/pid")" = "$(readlink "/proc/$new/ns/pid_for_children")" ] ||
    fail "the containers are not in the new init's namespace"
"$TANK" events --config "$CFG" 2>/dev/null | grep -q SandboxChanged ||
    fail "no SandboxChanged event: $("$TANK" events --config "$CFG" 2>&1 | tail -n 5)"
# The containers went on as restarts of themselves: counts kept, the killed instance in
# lastState.
[ "$(ctr_jq shared app .restarts)" -ge 1 ] || fail "restart count not kept: $(ctr_jq shared app .)"
[ "$(ctr_jq shared app .lastState.terminated.signal)" = 9 ] ||
    fail "no last state: $(ctr_jq shared app .lastState)"

# The same with restartPolicy Never: no new sandbox (the kubelet's rule). The other
# container is stopped, nothing runs again, and the pod is Failed.
put_pod once policy=Never grace=1 ctr=app argv='["sleep", "1000"]' \
    ctrs="$(ctr_manifest side argv='["sleep", "1000"]')" pod_yaml='  shareProcessNamespace: true'
once_running='[.pods[] | select(.name == "once") | .containers[] | select(.state == "running")] | length == 2'
wait_jq 60 "$once_running" || fail "pod once not running: $(pod_jq once .)"
init=$(sed -n "s/^pid=//p" "$TMP/run/pods/once/pidinit" 2>/dev/null)
[ -n "$init" ] && [ "$(cat "/proc/$init/comm" 2>/dev/null)" = tank-pod-init ] ||
    fail "no init of pod once found (pidinit: '$init')"
kill -9 "$init"
wait_jq 30 '.pods[] | select(.name == "once") | .phase == "Failed"' ||
    fail "pod once did not fail after its init died: $(pod_jq once .)"
sleep 2 # what would start again has had time to
pod_jq once '[.containers[] | .state == "terminated" and .restarts == 0] | all' | grep -qx true ||
    fail "a container of pod once ran again: $(pod_jq once .containers)"
new=$(sed -n "s/^pid=//p" "$TMP/run/pods/once/pidinit" 2>/dev/null)
[ -z "$new" ] || [ "$new" = "$init" ] || fail "pod once got a new sandbox (init $new, was $init)"
"$TANK" events --config "$CFG" once 2>/dev/null | grep -q 'SandboxChanged.*not re-created' ||
    fail "no SandboxChanged event for once: $("$TANK" events --config "$CFG" once 2>&1 | tail -n 5)"

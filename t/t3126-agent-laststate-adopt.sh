#!/bin/bash
# lastState survives the agent: a container that exited 3 and was restarted still shows that
# end (reason, exit code, times) after the agent is killed with -9 and started again (the
# pod adopted, nothing restarted); one that is killed while the agent is away is seen ending
# on adoption and, restarted, shows that end (137) as its last state.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

cat >"$PODS/.ls.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: ls}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: crash
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "if [ -e /tmp/again ]; then exec sleep 1000; fi; touch /tmp/again; exit 3"]
    volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes: [{name: tmp, emptyDir: {}}]
EOC
mv "$PODS/.ls.tmp" "$PODS/ls.yaml"
wait_jq 60 '.pods[] | select(.name == "ls") | .containers[0] | .state == "running" and .restarts == 1' ||
    fail "not restarted: $(pod_jq ls .containers)"
before=$(ctr_jq ls crash '.lastState | tostring')
[ "$(ctr_jq ls crash .lastState.terminated.exitCode)" = 3 ] || fail "lastState: $before"

agent_kill9
agent_start || fail "agent restart"
wait_jq 10 '.pods[] | select(.name == "ls") | .containers[0].state == "running"' ||
    fail "not adopted: $(pod_jq ls .containers)"
[ "$(ctr_jq ls crash .restarts)" = 1 ] || fail "restarted on adoption: $(pod_jq ls .containers)"
after=$(ctr_jq ls crash '.lastState | tostring')
[ "$after" = "$before" ] || fail "lastState changed across the restart: $before -> $after"
"$TANK" status --config "$CFG" ls | grep -q "Last State:  terminated (Error, exit code 3)" ||
    fail "tank status: $("$TANK" status --config "$CFG" ls)"

# Killed while the agent is away: seen on adoption, restarted, its end the last state.
pid=$(ctr_jq ls crash .pid)
agent_kill9
kill -9 "$pid"
sleep 0.5
agent_start || fail "agent restart"
wait_jq 20 '.pods[] | select(.name == "ls") | .containers[0] | .state == "running" and .restarts == 2' ||
    fail "not restarted after adoption: $(pod_jq ls .containers)"
[ "$(ctr_jq ls crash .lastState.terminated.exitCode)" = 137 ] ||
    fail "lastState after an end while away: $(ctr_jq ls crash .lastState)"
pass

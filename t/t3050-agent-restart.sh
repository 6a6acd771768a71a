#!/bin/bash
# kill -9 of the agent, then a restart: the same pods run (adopted, not restarted), no
# duplicates; a container that exited while the agent was down has its exit code learned;
# a manifest removed meanwhile is stopped and cleaned; SIGTERM leaves pods running too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

mkdir -p "$TMP/go"
# a sleep length unique to this run: other checkouts may run this test at the same time
STAY=$((200000 + $$))
put stay Always "exec sleep $STAY"
put leave Always "exec sleep 100352"
cat >"$PODS/quit.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: quit
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "while [ ! -e /go/now ]; do sleep 0.1; done; exit 7"]
    volumeMounts:
    - {name: go, mountPath: /go}
  volumes:
  - name: go
    hostPath: {path: $TMP/go, type: Directory}
EOC
wait_phase 60 stay Running
wait_phase 60 leave Running
wait_phase 60 quit Running
stay_pid=$(ctr_jq stay main .pid)
leave_pid=$(ctr_jq leave main .pid)
quit_pid=$(ctr_jq quit main .pid)
[ "$quit_pid" -gt 1 ] || fail "no pid for quit"

agent_kill9
touch "$TMP/go/now"
rm "$PODS/leave.yaml"
wait_for 20 sh -c "! kill -0 $quit_pid 2>/dev/null" # it exits while no agent watches
kill -0 "$stay_pid" || fail "a pod died with the agent"

agent_start
wait_phase 60 quit Failed
[ "$(ctr_jq quit main .exitCode)" = 7 ] || fail "exit code not learned: $(pods_json)"
wait_gone 60 leave
kill -0 "$leave_pid" 2>/dev/null && fail "the removed pod still runs"
[ "$(pod_phase stay)" = Running ] || fail "stay not Running after the restart"
[ "$(ctr_jq stay main .pid)" = "$stay_pid" ] || fail "stay was restarted instead of adopted"
[ "$(ctr_jq stay main .restarts)" = 0 ] || fail "stay's restart count changed"
[ "$(pgrep -xc -f "sleep $STAY")" = 1 ] || fail "duplicates of stay: $(pgrep -a -f "sleep $STAY")"

# SIGTERM: the agent exits 0, pods stay; the next agent adopts them again.
agent_stop
kill -0 "$stay_pid" || fail "SIGTERM of the agent stopped a pod"
agent_start
wait_phase 60 stay Running
[ "$(ctr_jq stay main .pid)" = "$stay_pid" ] || fail "stay was restarted after SIGTERM"
# The adopted container's exit is still learned: kill it, it restarts (Always).
kill -9 "$stay_pid"
wait_jq 60 '.pods[] | select(.name == "stay") | .containers[0].restarts == 1 and .containers[0].state == "running"'
pass

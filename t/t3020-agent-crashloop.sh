#!/bin/bash
# A crashing container restarts with a growing back-off (200ms, 400ms, 800ms, ... from the
# test's configuration) and the right restart count; while it waits, the status says
# CrashLoopBackOff with its last exit code and when the next restart is due. A job
# (OnFailure) that succeeds stays Succeeded; a Never pod that fails stays Failed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
BACKOFF_INITIAL=200ms BACKOFF_MAX=1600ms agent_setup
agent_start
skip_unless_containers_run

put crash Always "echo crashing; exit 3"
wait_jq 60 '.pods[] | select(.name == "crash") | .containers[0].restarts >= 4'
json=$(pods_json)
pod=$(jq '.pods[] | select(.name == "crash")' <<<"$json")
[ "$(jq -r .phase <<<"$pod")" = Running ] || fail "a crash-looping pod is Running: $pod"
[ "$(jq -r '.containers[0].exitCode' <<<"$pod")" = 3 ] || fail "exit code: $pod"
[ "$(jq -r .restarts <<<"$pod")" = "$(jq -r '.containers[0].restarts' <<<"$pod")" ] ||
    fail "pod restarts differ from the container's: $pod"
# The back-off doubles: the BackOff events name each delay in order.
delays=$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=crash" |
    jq -r '.events[] | select(.reason == "BackOff") | .message' | grep -o 'back-off [0-9a-z]*' |
    awk '{print $2}' | head -n 4 | tr '\n' ' ')
[ "$delays" = "200ms 400ms 800ms 1600ms " ] || fail "back-off delays: '$delays'"
# While waiting: CrashLoopBackOff and when the next restart is due.
wait_jq 30 '.pods[] | select(.name == "crash") | .containers[0].state == "waiting" and .containers[0].reason == "CrashLoopBackOff"'
msg=$(pod_jq crash .message)
grep -Eq 'back-off [0-9]+m?s restarting failed container .main., next restart at 20[0-9-]+T' <<<"$msg" ||
    fail "message: $msg"
"$TANK" status --config "$CFG" | grep -Eq '^crash +0/1 +CrashLoopBackOff ' ||
    "$TANK" status --config "$CFG" | grep -Eq '^crash +1/1 +Running ' ||
    fail "table: $("$TANK" status --config "$CFG")"
rm "$PODS/crash.yaml"
wait_gone 60 crash

# OnFailure: fails on its first run, succeeds on the second (a marker on a hostPath).
mkdir -p "$TMP/job"
cat >"$PODS/job.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  restartPolicy: OnFailure
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "if [ -e /data/ran ]; then echo done; exit 0; fi; touch /data/ran; exit 1"]
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    hostPath: {path: $TMP/job, type: Directory}
EOC
wait_phase 60 job Succeeded
[ "$(ctr_jq job main .state)" = terminated ] || fail "job state: $(pods_json)"
[ "$(ctr_jq job main .reason)" = Completed ] || fail "job reason: $(pods_json)"
[ "$(ctr_jq job main .exitCode)" = 0 ] || fail "job exit code"
[ "$(ctr_jq job main .restarts)" = 1 ] || fail "job restarts: $(ctr_jq job main .restarts)"
[ "$(ctr_jq job main .pid)" = null ] || fail "a terminated container has no pid"

put never Never "exit 7"
wait_phase 60 never Failed
[ "$(ctr_jq never main .exitCode)" = 7 ] || fail "never exit code"
[ "$(ctr_jq never main .reason)" = Error ] || fail "never reason"
sleep 1 # (a Never pod must not restart: give a restart the chance to show)
[ "$(ctr_jq never main .restarts)" = 0 ] || fail "a Never pod restarted"
pass

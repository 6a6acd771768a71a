#!/bin/bash
# Process and IPC namespaces of a pod. shareProcessNamespace: true puts the pod's containers
# in one PID namespace held by the sandbox's init: a sidecar sees the app in ps and signals
# it (the app restarts), pid 1 is the pod's init, and after the agent is killed with -9 and
# started again the pod is adopted as it was (no restart) and the namespace is still shared;
# removing the pod ends its init. hostPID: /proc/1/comm is the host's init; hostIPC: a SysV
# message queue made on the host is seen in the container, and not in a pod without it.
# Validation refuses what Kubernetes does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup

expect_invalid "bad namespaces" \
    "spec.shareProcessNamespace: cannot be used together with hostPID: true" \
    "spec.hostUsers: false cannot be used together with hostPID: true" \
    "spec.hostUsers: false cannot be used together with hostIPC: true" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  shareProcessNamespace: true
  hostPID: true
  hostIPC: true
  hostUsers: false
  containers: [{name: main, image: busybox}]
EOC

cat >>"$CFG" <<EOC
[security]
userns_ranges = 3200000000:65536
EOC
agent_start
skip_unless_containers_run

cat >"$PODS/.shared.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  terminationGracePeriodSeconds: 1
  shareProcessNamespace: true
  containers:
  - {name: app, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1001"]}
  - {name: side, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1002"]}
EOC
mv "$PODS/.shared.tmp" "$PODS/shared.yaml"
cat >"$PODS/.own.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: own}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1003"]}
  - {name: side, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1004"]}
EOC
mv "$PODS/.own.tmp" "$PODS/own.yaml"
cat >"$PODS/.sharedu.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: sharedu}
spec:
  terminationGracePeriodSeconds: 1
  shareProcessNamespace: true
  hostUsers: false
  containers:
  - {name: app, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1006"]}
  - {name: side, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1007"]}
EOC
mv "$PODS/.sharedu.tmp" "$PODS/sharedu.yaml"
msqid=$(ipcmk -Q -p 0600 2>/dev/null | grep -o '[0-9]\+$')
[ -n "$msqid" ] && at_exit ipcrm -q "$msqid"
cat >"$PODS/.hostns.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: hostns}
spec:
  terminationGracePeriodSeconds: 1
  hostPID: true
  hostIPC: true
  containers:
  - {name: main, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sleep, "1005"]}
EOC
mv "$PODS/.hostns.tmp" "$PODS/hostns.yaml"

running() { wait_jq 60 ".pods[] | select(.name == \"$1\") | .containers[] | select(.name == \"$2\") | .state == \"running\""; }
x() { "$TANK" exec --config "$CFG" "$@"; }
for c in shared/app shared/side own/app own/side hostns/main sharedu/app sharedu/side; do
    running "${c%/*}" "${c#*/}" || fail "$c not running: $(pod_jq "${c%/*}" .)"
done

# Shared: the sidecar sees the app and pid 1 is the pod's init; not so in a pod without it.
x shared -c side -- ps >"$TMP/ps" || fail "ps in the sidecar"
grep -q "sleep 1001" "$TMP/ps" || fail "the sidecar does not see the app: $(cat "$TMP/ps")"
[ "$(x shared -c side -- cat /proc/1/comm)" = tank-pod-init ] ||
    fail "pid 1 of the shared namespace: $(x shared -c side -- cat /proc/1/comm)"
# Its command line is its name, not the agent's (nor the path of its configuration).
[ "$(x shared -c side -- cat /proc/1/cmdline | tr -d '\0')" = tank-pod-init ] ||
    fail "pid 1's command line: $(x shared -c side -- cat /proc/1/cmdline | tr '\0' ' ')"
# In a pod with its own user namespace too.
x sharedu -c side -- ps | grep -q "sleep 1006" || fail "hostUsers: false: the app is not seen"
x sharedu -c side -- sh -c 'kill $(ps | awk "/sleep 1006\$/ {print \$1}")' || fail "hostUsers: false: kill"
wait_jq 15 '.pods[] | select(.name == "sharedu") | .containers[] | select(.name == "app") | .restarts == 1' ||
    fail "hostUsers: false: the app did not restart: $(pod_jq sharedu .containers)"
x own -c side -- ps | grep -q "sleep 1003" && fail "a pod without shareProcessNamespace shares it"
[ "$(x own -c side -- cat /proc/1/comm)" = sleep ] || fail "own pid 1 is not the workload"
init=$(sed -n 's/^pid=//p' "$TMP/run/pods/shared/pidinit")
[ -n "$init" ] && [ -d "/proc/$init" ] || fail "no pod init recorded: $(cat "$TMP/run/pods/shared/pidinit")"

# The sidecar signals the app: it ends (SIGTERM, not pid 1 of anything) and is restarted.
x shared -c side -- sh -c 'kill $(ps | awk "/sleep 1001\$/ {print \$1}")' ||
    fail "kill from the sidecar"
wait_jq 15 '.pods[] | select(.name == "shared") | .containers[] | select(.name == "app") | .restarts == 1 and .state == "running"' ||
    fail "the app did not restart after the sidecar's kill: $(pod_jq shared .containers)"
[ "$(ctr_jq shared app .lastState.terminated.exitCode)" = 143 ] ||
    fail "lastState after SIGTERM: $(ctr_jq shared app .lastState)"
x shared -c side -- ps | grep -q "sleep 1001" || fail "the restarted app is not in the shared namespace"

# Adoption after kill -9: nothing restarts, the namespace is the same and still shared.
app_pid=$(ctr_jq shared app .pid)
agent_kill9
agent_start || fail "agent restart"
sleep 2
[ "$(ctr_jq shared app .pid)" = "$app_pid" ] || fail "the app was not adopted: $(pod_jq shared .containers)"
[ "$(ctr_jq shared app .restarts)" = 1 ] || fail "restarts after adoption: $(pod_jq shared .containers)"
[ "$(ctr_jq shared side .restarts)" = 0 ] || fail "the sidecar restarted on adoption"
[ -d "/proc/$init" ] || fail "the pod's init is gone after the agent restart"
x shared -c side -- sh -c 'kill $(ps | awk "/sleep 1001\$/ {print \$1}")' || fail "kill after adoption"
wait_jq 15 '.pods[] | select(.name == "shared") | .containers[] | select(.name == "app") | .restarts == 2 and .state == "running"' ||
    fail "the adopted app's end was not seen: $(pod_jq shared .containers)"

# hostPID: the host's init; hostIPC: the host's queue; neither without them.
[ "$(x hostns -- cat /proc/1/comm)" = "$(cat /proc/1/comm)" ] ||
    fail "hostPID: /proc/1/comm is '$(x hostns -- cat /proc/1/comm)', the host's '$(cat /proc/1/comm)'"
x hostns -- ps | grep -q "sleep 1003" || fail "hostPID: the host's processes are not seen"
if [ -n "$msqid" ]; then
    x hostns -- cat /proc/sysvipc/msg | awk '{print $2}' | grep -qx "$msqid" ||
        fail "hostIPC: the host's message queue $msqid is not seen: $(x hostns -- cat /proc/sysvipc/msg)"
    x own -- cat /proc/sysvipc/msg | awk '{print $2}' | grep -qx "$msqid" &&
        fail "a pod without hostIPC sees the host's message queue"
else
    fail "ipcmk could not make a message queue"
fi

# A workload that ends leaving a child behind (holding its stdout, or its terminal) ends its
# container in a shared or the host's PID namespace too, as it does in its own.
for ns in "shareProcessNamespace: true" "hostPID: true"; do
    cat >"$PODS/.bg.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: bg}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  $ns
  containers:
  - {name: pipe, image: $IMAGE, imagePullPolicy: IfNotPresent, command: [sh, -c, "sleep 1008 & echo left; exit 3"]}
  - {name: tty, image: $IMAGE, imagePullPolicy: IfNotPresent, tty: true, command: [sh, -c, "sleep 1009 & echo left; exit 4"]}
EOC
    mv "$PODS/.bg.tmp" "$PODS/bg.yaml"
    wait_jq 30 '.pods[] | select(.name == "bg") | [.containers[].state == "terminated"] | all' ||
        fail "$ns: the workload's end was not seen: $(pod_jq bg .containers)"
    [ "$(ctr_jq bg pipe .exitCode)/$(ctr_jq bg tty .exitCode)" = 3/4 ] || fail "$ns: $(pod_jq bg .containers)"
    "$TANK" logs --config "$CFG" bg -c tty | grep -qx left || fail "$ns: the tty log"
    rm -f "$PODS/bg.yaml"
    wait_gone 30 bg || fail "bg not removed"
    pgrep -f "sleep 100[89]" >/dev/null && fail "$ns: a left child outlived its pod: $(pgrep -af 'sleep 100[89]')"
done

# Removing the pod ends its init.
rm -f "$PODS/shared.yaml"
wait_gone 30 shared || fail "shared not removed"
ended() { ! [ -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"; } # (a zombie: ended)
ended "$init" || fail "the pod's init outlived the pod: $(grep -E 'State|PPid' "/proc/$init/status")"
pass

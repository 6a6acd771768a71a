#!/bin/bash
# Init containers and native sidecars, with real workloads: the init containers run one at a
# time, in order, before the app container (Init:N/M shown meanwhile, the app container
# waiting with PodInitializing); a failing one is retried by the pod's policy; a sidecar
# (restartPolicy: Always) starts in its turn (the next one waits for its startup probe), runs
# beside the app, is restarted on exit and stops after it; an agent killed with SIGKILL after
# the init phase does not run the init containers again; with restartPolicy Never a failed
# init container fails the pod (Init:Error) and no app container starts. Validation refuses
# what Kubernetes does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup

expect_invalid "bad init containers" \
    "spec.initContainers\[0\].name: container name 'main' is already used by spec.containers\[0\]" \
    "spec.initContainers\[1\].readinessProbe: may not be set for init containers without restartPolicy: Always" \
    "spec.initContainers\[1\].lifecycle: may not be set for init containers without restartPolicy: Always" \
    "spec.containers\[0\].restartPolicy: may not be set for non-init containers" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  initContainers:
  - name: main
    image: busybox
  - name: probed
    image: busybox
    readinessProbe: {exec: {command: ["true"]}}
    lifecycle: {postStart: {exec: {command: ["true"]}}}
  containers:
  - name: main
    image: busybox
    restartPolicy: Always
EOC

agent_start
skip_unless_containers_run

# "seq": two init containers (the first waits for a file, the second fails once), a sidecar
# and the app; each writes what it does into a host directory.
H=$TMP/host
mkdir -p "$H"
loop='while true; do sleep 0.1; done'
cat >"$PODS/.seq.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: seq}
spec:
  terminationGracePeriodSeconds: 5
  volumes: [{name: h, hostPath: {path: $H, type: Directory}}]
  initContainers:
  - name: one
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo one >>/h/order; while [ ! -e /h/go ]; do sleep 0.1; done"]
    volumeMounts: [{name: h, mountPath: /h}]
  - name: two
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo two >>/h/order; [ -e /h/failed ] || { touch /h/failed; exit 3; }"]
    volumeMounts: [{name: h, mountPath: /h}]
  - name: side
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: ["sh", "-c", "echo side >>/h/order; trap 'sleep 0.5; echo side-term >>/h/order; exit 0' TERM; $loop"]
    volumeMounts: [{name: h, mountPath: /h}]
  containers:
  - name: app
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo app >>/h/order; trap 'sleep 0.5; echo app-term >>/h/order; exit 0' TERM; $loop"]
    volumeMounts: [{name: h, mountPath: /h}]
EOC
mv "$PODS/.seq.tmp" "$PODS/seq.yaml"

# The first init container runs and blocks everything after it.
wait_jq 60 '.pods[] | select(.name == "seq") | .initContainers[0].state == "running"' ||
    fail "seq/one not running: $(pod_jq seq .)"
sleep 1
[ "$(pod_jq seq .reason)" = "Init:0/3" ] || fail "reason while 'one' runs: $(pod_jq seq .reason)"
[ "$(pod_jq seq .phase)" = Pending ] || fail "phase while 'one' runs: $(pod_jq seq .phase)"
"$TANK" status --config "$CFG" | awk '$1 == "seq" {print $3}' | grep -qx "Init:0/3" ||
    fail "STATUS column: $("$TANK" status --config "$CFG")"
[ "$(ctr_jq seq app '.state + " " + .reason')" = "waiting PodInitializing" ] ||
    fail "app before the init phase ended: $(ctr_jq seq app .)"
[ "$(pod_jq seq '.initContainers[1].state')" = waiting ] || fail "'two' did not wait for 'one'"
[ "$(pod_jq seq '.conditions[] | select(.type == "Initialized") | .status')" = False ] ||
    fail "Initialized before the init containers ran: $(pod_jq seq .conditions)"
[ "$(cat "$H/order")" = one ] || fail "order while 'one' runs: $(cat "$H/order")"

# Let it end: "two" fails once and is retried (the pod's policy), then the sidecar, then app.
touch "$H/go"
wait_jq 60 '.pods[] | select(.name == "seq") | .containers[0].state == "running"' ||
    fail "app never ran: $(pod_jq seq .)"
[ "$(tr '\n' ' ' <"$H/order")" = "one two two side app " ] || fail "order: $(cat "$H/order")"
[ "$(pod_jq seq '.initContainers[1].restarts')" = 1 ] || fail "'two' restarts: $(pod_jq seq .initContainers)"
[ "$(pod_jq seq '.initContainers[1].state + " " + .initContainers[1].reason')" = "terminated Completed" ] ||
    fail "'two' after success: $(pod_jq seq .initContainers[1])"
[ "$(pod_jq seq '.initContainers[2].state')" = running ] ||
    fail "sidecar: $(pod_jq seq .initContainers[2])"
wait_jq 10 '.pods[] | select(.name == "seq") | .phase == "Running" and (.conditions[] | select(.type == "Initialized") | .status == "True")' ||
    fail "phase/conditions after init: $(pod_jq seq '[.phase, .reason, .conditions]')"
"$TANK" status --config "$CFG" | awk '$1 == "seq" {print $2, $3}' | grep -qx "2/2 Running" ||
    fail "READY/STATUS with a sidecar: $("$TANK" status --config "$CFG")"
"$TANK" status --config "$CFG" seq | grep -q "^Init Containers:" || fail "tank status POD: no init containers"

# An agent killed with SIGKILL and started again adopts the pod: no init container runs again.
agent_kill9
agent_start
sleep 2
[ "$(tr '\n' ' ' <"$H/order")" = "one two two side app " ] || fail "init ran again after adoption: $(cat "$H/order")"
[ "$(pod_jq seq '.phase + " " + .containers[0].state + " " + .initContainers[2].state')" = "Running running running" ] ||
    fail "after adoption: $(pod_jq seq .)"

# The sidecar is restarted when it exits (the app keeps running).
kill -9 "$(pod_jq seq '.initContainers[2].pid')"
wait_jq 30 '.pods[] | select(.name == "seq") | .initContainers[2].restarts == 1 and .initContainers[2].state == "running"' ||
    fail "sidecar not restarted: $(pod_jq seq .initContainers[2])"

# The sidecar stops after the app container.
rm -f "$PODS/seq.yaml"
wait_gone 30 seq || fail "seq not gone"
tail -n 2 "$H/order" | tr '\n' ' ' | grep -qx "app-term side-term " ||
    fail "stop order: $(cat "$H/order")"

# A sidecar's startup probe: the next init container waits until it has succeeded.
cat >"$PODS/.sp.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: sp}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: side
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: ["sleep", "1000"]
    startupProbe:
      exec: {command: ["cat", "/tmp/up"]}
      periodSeconds: 1
      failureThreshold: 100
  - name: next
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["true"]
  containers:
  - name: app
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
EOC
mv "$PODS/.sp.tmp" "$PODS/sp.yaml"
wait_jq 60 '.pods[] | select(.name == "sp") | .initContainers[0].state == "running"' ||
    fail "sp/side not running: $(pod_jq sp .)"
sleep 2
[ "$(pod_jq sp '.initContainers[1].state + " " + (.initContainers[0].started|tostring)')" = "waiting false" ] ||
    fail "'next' did not wait for the sidecar's startup probe: $(pod_jq sp .initContainers)"
[ "$(pod_jq sp .reason)" = "Init:0/2" ] || fail "sp reason: $(pod_jq sp .reason)"
"$TANK" exec --config "$CFG" sp -c side -- touch /tmp/up || fail "exec into the sidecar"
wait_jq 30 '.pods[] | select(.name == "sp") | .containers[0].state == "running"' ||
    fail "sp/app not running after the startup probe: $(pod_jq sp .)"
[ "$(pod_jq sp '.initContainers[1].reason')" = Completed ] || fail "sp/next: $(pod_jq sp .initContainers[1])"
rm -f "$PODS/sp.yaml"

# restartPolicy Never: a failed init container fails the pod; the app never starts.
cat >"$PODS/.nv.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: nv}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: bad
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "exit 2"]
  containers:
  - name: app
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "100"]
EOC
mv "$PODS/.nv.tmp" "$PODS/nv.yaml"
wait_phase 60 nv Failed || fail "nv: $(pod_jq nv .)"
[ "$(pod_jq nv .reason)" = "Init:Error" ] || fail "nv reason: $(pod_jq nv .reason)"
[ "$(ctr_jq nv app .state)" = waiting ] || fail "nv app started: $(ctr_jq nv app .)"
[ "$(pod_jq nv '.initContainers[0].exitCode')" = 2 ] || fail "nv init: $(pod_jq nv .initContainers)"
pass

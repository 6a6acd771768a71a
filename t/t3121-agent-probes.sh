#!/bin/bash
# Probes, with real workloads: an httpGet liveness probe that starts failing (busybox httpd
# answers 404) restarts the container with the kubelet's event; an exec readiness probe's
# flips show in `ready` and the READY column within a period or two; a tcpSocket readiness
# probe passes against a listening port and fails against a closed one; a startup probe holds
# a failing liveness probe back until it succeeds. Validation refuses what Kubernetes does.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup

# Validation (Kubernetes' rules).
expect_invalid "bad probes" "livenessProbe: successThreshold: must be 1 for a liveness probe" \
    "readinessProbe: must specify a handler type" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers:
  - name: main
    image: busybox
    livenessProbe:
      exec: {command: ["true"]}
      successThreshold: 2
    readinessProbe:
      periodSeconds: 1
EOC

agent_start
skip_unless_containers_run

# "web": httpd with an httpGet liveness probe on a named port; "rd": an exec readiness probe
# and a tcpSocket one (the port of a second container); "st": a startup probe gating a
# liveness probe that always fails.
cat >"$PODS/.web.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && echo ok >/www/healthz && exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    livenessProbe:
      httpGet: {path: /healthz, port: http}
      periodSeconds: 1
      failureThreshold: 2
EOC
mv "$PODS/.web.tmp" "$PODS/web.yaml"
put_pod rd grace=1 argv='["sleep", "1000"]' ctr_yaml="$READY_FILE_PROBE" ctrs="$(
    ctr_manifest net argv='["httpd", "-f", "-p", "9090"]' ctr_yaml='    readinessProbe:
      tcpSocket: {port: 9090}
      periodSeconds: 1'
    ctr_manifest closed argv='["sleep", "1000"]' ctr_yaml='    readinessProbe:
      tcpSocket: {port: 9999}
      periodSeconds: 1'
)"
cat >"$PODS/.st.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: st}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    startupProbe:
      exec: {command: ["cat", "/tmp/started"]}
      periodSeconds: 1
      failureThreshold: 100
    livenessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 1
EOC
mv "$PODS/.st.tmp" "$PODS/st.yaml"

running() { wait_jq 60 ".pods[] | select(.name == \"$1\") | .containers[] | select(.name == \"$2\") | .state == \"running\""; }
running web main || fail "web: not running: $(pod_jq web .)"
running rd main || fail "rd: not running: $(pod_jq rd .)"
running st main || fail "st: not running: $(pod_jq st .)"

# Readiness: not ready until the exec probe passes; READY counts ready containers.
sleep 2
[ "$(ctr_jq rd main .ready)" = false ] || fail "rd/main ready before its probe passed"
wait_jq 10 '.pods[] | select(.name == "rd") | .containers[] | select(.name == "net") | .ready' ||
    fail "tcpSocket readiness against a listening port: $(pod_jq rd .containers) $(curl -sS --unix-socket "$SOCK" http://tank/v1/events | grep -i probe | tail -3)"
[ "$(ctr_jq rd closed .ready)" = false ] || fail "tcpSocket readiness passed on a closed port"
"$TANK" status --config "$CFG" | awk '$1 == "rd" {print $2}' | grep -qx "1/3" ||
    fail "READY column: $("$TANK" status --config "$CFG")"
"$TANK" exec --config "$CFG" rd -- touch /tmp/ready
wait_jq 5 '.pods[] | select(.name == "rd") | .containers[] | select(.name == "main") | .ready' ||
    fail "readiness did not flip to ready: $(pod_jq rd .containers)"
"$TANK" exec --config "$CFG" rd -- rm /tmp/ready
wait_jq 5 '.pods[] | select(.name == "rd") | .containers[] | select(.name == "main") | .ready == false' ||
    fail "readiness did not flip back: $(pod_jq rd .containers)"
curl -fsS --unix-socket "$SOCK" http://tank/v1/events >"$TMP/events" 2>/dev/null || true
grep -q "Readiness probe failed" "$TMP/events" || fail "no Unhealthy readiness event: $(tail -5 "$TMP/events")"

# Liveness over HTTP: healthy keeps it running; a 404 restarts it, with the events.
sleep 2
[ "$(ctr_jq web main .restarts)" = 0 ] || fail "web restarted while healthy: $(pod_jq web .containers)"
"$TANK" exec --config "$CFG" web -- rm /www/healthz
wait_jq 15 '.pods[] | select(.name == "web") | .containers[0].restarts >= 1' ||
    fail "failing liveness probe did not restart the container: $(pod_jq web .containers)"
curl -fsS --unix-socket "$SOCK" http://tank/v1/events >"$TMP/events"
grep -q "Liveness probe failed: HTTP probe failed with statuscode: 404" "$TMP/events" ||
    fail "no liveness event: $(grep web "$TMP/events" | tail -5)"
grep -q "failed liveness probe, will be restarted" "$TMP/events" || fail "no Killing event"
running web main || fail "web not running again"

# Startup gates liveness: no restart while the startup probe fails.
[ "$(ctr_jq st main .restarts)" = 0 ] || fail "liveness ran before the startup probe passed"
[ "$(ctr_jq st main .started)" = false ] || fail "st started before its startup probe passed"
"$TANK" exec --config "$CFG" st -- touch /tmp/started
wait_jq 15 '.pods[] | select(.name == "st") | .containers[0].restarts >= 1' ||
    fail "liveness did not act once started: $(pod_jq st .containers)"
pass

#!/bin/bash
# Probes against real servers: an httpGet probe with scheme HTTPS passes against openssl
# s_server in a pod (a self-signed certificate: no check, as the kubelet) and fails against a
# plain HTTP server, where an HTTP probe of the TLS port fails too; httpHeaders reach the
# server (a Python server in the pod's network namespace answers 200 only with the header);
# a grpc probe (grpc.health.v1.Health/Check, a Python python3-grpcio server in the pod's
# network namespace) passes on SERVING, fails on NOT_SERVING and on an unknown service; a
# probe's terminationGracePeriodSeconds (1 s) replaces the pod's (60 s) when liveness kills.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
OPENSSL=$(command -v openssl) || skip "openssl is not installed"
command -v ldd >/dev/null || skip "ldd is not installed"
command -v nsenter >/dev/null || skip "nsenter is not installed"
/usr/bin/python3 -c "import grpc" 2>/dev/null || skip "python3-grpcio is not installed"
agent_setup

mkdir -p "$TMP/m"
cat >"$TMP/m/ok.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  containers:
  - name: main
    image: busybox
    livenessProbe:
      grpc: {port: 50051, service: app}
      terminationGracePeriodSeconds: 5
    readinessProbe:
      httpGet:
        scheme: HTTPS
        port: 8443
        httpHeaders: [{name: X-Probe, value: tank}]
EOC
"$TANK" validate "$TMP/m/ok.yaml" >"$TMP/v.out" 2>&1 || fail "grpc/HTTPS refused: $(cat "$TMP/v.out")"

agent_start
skip_unless_containers_run

# The TLS image: this machine's openssl, its libraries and a throwaway certificate.
root=$TMP/ossl-root
mkdir -p "$root/usr/bin" "$root/tmp" "$root/etc/tls" "$root/www"
cp -L "$OPENSSL" "$root/usr/bin/openssl" || fail "copy openssl"
for lib in $(ldd "$OPENSSL" | grep -oE '/[^ ]+'); do
    mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || fail "copy $lib"
done
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=localhost -keyout "$root/etc/tls/key" -out "$root/etc/tls/crt" >/dev/null 2>&1 ||
    fail "cert"
echo ok >"$root/www/healthz"
tar -C "$root" -cf "$TMP/ossl.tar" . || fail "tar"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/ossl" latest "$TMP/ossl.tar" >/dev/null || fail "mklayout"

cat >"$PODS/.tls.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: tls}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: srv
    image: "oci:$TMP/ossl:latest"
    workingDir: /www
    command: [/usr/bin/openssl, s_server, -WWW, -accept, "8443", -cert, /etc/tls/crt, -key, /etc/tls/key]
    readinessProbe:
      httpGet: {scheme: HTTPS, path: /healthz, port: 8443}
      periodSeconds: 1
  - name: plain
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["httpd", "-f", "-p", "8080"]
    readinessProbe:
      httpGet: {path: /, port: 8443}
      periodSeconds: 1
  - name: nottls
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    readinessProbe:
      httpGet: {scheme: HTTPS, path: /, port: 8080}
      periodSeconds: 1
EOC
mv "$PODS/.tls.tmp" "$PODS/tls.yaml"

# "g": sleepers probed by servers of the test's in the pod's network namespace.
cat >"$PODS/.g.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: g}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: grpc
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    readinessProbe:
      grpc: {port: 50051}
      periodSeconds: 1
      failureThreshold: 1
  - name: unknown
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    readinessProbe:
      grpc: {port: 50051, service: nope}
      periodSeconds: 1
  - name: hdr
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    readinessProbe:
      httpGet: {port: 8081, path: /h, httpHeaders: [{name: X-Probe, value: tank}]}
      periodSeconds: 1
  - name: nohdr
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
    readinessProbe:
      httpGet: {port: 8081, path: /h}
      periodSeconds: 1
EOC
mv "$PODS/.g.tmp" "$PODS/g.yaml"

# "pg": a pod grace of 60 s, a liveness probe's of 1 s, a workload that ignores SIGTERM.
cat >"$PODS/.pg.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: pg}
spec:
  terminationGracePeriodSeconds: 60
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
    livenessProbe:
      exec: {command: ["test", "-f", "/tmp/healthy"]}
      initialDelaySeconds: 1
      periodSeconds: 1
      failureThreshold: 1
      terminationGracePeriodSeconds: 1
EOC

running() { wait_jq 60 ".pods[] | select(.name == \"$1\") | .containers[] | select(.name == \"$2\") | .state == \"running\""; }
ready() { wait_jq "$3" ".pods[] | select(.name == \"$1\") | .containers[] | select(.name == \"$2\") | .ready == ${4:-true}"; }
events() { curl -fsS --unix-socket "$SOCK" http://tank/v1/events 2>/dev/null | jq -r '.events[] | "\(.pod)/\(.container) \(.message)"'; }

running g grpc || fail "g: not running: $(pod_jq g .)"
NET=$TMP/run/pods/g/ns/net
echo SERVING >"$TMP/grpc-state"
nsenter --net="$NET" /usr/bin/python3 "$TANK_SRC/t/probesrv.py" grpc 50051 "$TMP/grpc-state" \
    >"$TMP/grpc.log" 2>&1 &
GRPC_PID=$!
at_exit kill -9 "$GRPC_PID"
nsenter --net="$NET" /usr/bin/python3 "$TANK_SRC/t/probesrv.py" http 8081 >"$TMP/http.log" 2>&1 &
HTTP_PID=$!
at_exit kill -9 "$HTTP_PID"

# gRPC: SERVING -> ready; NOT_SERVING -> not ready with the kubelet's words; unknown service.
ready g grpc 15 || fail "grpc probe on SERVING: $(pod_jq g .containers) $(cat "$TMP/grpc.log") $(events | grep -i unhealthy | tail -3)"
echo NOT_SERVING >"$TMP/grpc-state"
ready g grpc 5 false || fail "grpc probe on NOT_SERVING still ready: $(pod_jq g .containers)"
events | grep -q 'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")' ||
    fail "no NOT_SERVING event: $(events | grep -i unhealthy | tail -3)"
echo SERVING >"$TMP/grpc-state"
ready g grpc 5 || fail "grpc probe did not pass again"
[ "$(ctr_jq g unknown .ready)" = false ] || fail "grpc probe of an unknown service passed"
events | grep -q 'Readiness probe failed: rpc error: code = NotFound desc = unknown service' ||
    fail "no NotFound event: $(events | grep -i unhealthy | grep unknown | tail -3)"

# httpHeaders reach the server.
ready g hdr 10 || fail "httpGet with httpHeaders: $(pod_jq g .containers) $(events | grep hdr | tail -3)"
[ "$(ctr_jq g nohdr .ready)" = false ] || fail "the header-less probe passed"
events | grep -q "Readiness probe failed: HTTP probe failed with statuscode: 403" ||
    fail "no 403 event: $(events | grep -i unhealthy | tail -3)"

# HTTPS.
running tls srv || fail "tls: not running: $(pod_jq tls .) $("$TANK" logs --config "$CFG" tls -c srv 2>&1 | tail -3)"
ready tls srv 15 || fail "HTTPS probe: $(pod_jq tls .containers) $(events | grep tls | tail -3)"
ready tls plain 1 false || fail "an HTTP probe of a TLS port passed"
[ "$(ctr_jq tls nottls .ready)" = false ] || fail "an HTTPS probe of a plain HTTP port passed"
events | grep "tls" | grep -q "Readiness probe failed: HTTP probe failed: TLS handshake" ||
    fail "no TLS handshake failure event: $(events | grep nottls | tail -3)"
"$TANK" status --config "$CFG" tls | grep -q "https://:8443/healthz" ||
    fail "status does not show the HTTPS probe: $("$TANK" status --config "$CFG" tls)"

# The probe's grace period, not the pod's: the restart comes within seconds.
mv "$PODS/.pg.tmp" "$PODS/pg.yaml"
running pg main || fail "pg: not running"
t0=$(date +%s)
wait_jq 20 '.pods[] | select(.name == "pg") | .containers[0].restarts >= 1' ||
    fail "liveness with a 1 s grace did not restart within 20 s: $(pod_jq pg .containers)"
[ $(($(date +%s) - t0)) -lt 15 ] || fail "the restart took the pod's grace period"
[ "$(ctr_jq pg main .lastState.terminated.exitCode)" = 137 ] ||
    fail "not killed after the probe's grace: $(ctr_jq pg main .lastState)"
"$TANK" exec --config "$CFG" pg -- touch /tmp/healthy
# End it at once: the pod's own 60 s would hold the cleanup.
rm -f "$PODS/pg.yaml"
pid=$(ctr_jq pg main .pid)
[ -n "$pid" ] && [ "$pid" != null ] && kill -9 "$pid" 2>/dev/null
pass

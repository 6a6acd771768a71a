#!/bin/bash
# An HTTPS server whose configuration comes from a ConfigMap (its port through env, its page
# through a configMap volume) and whose certificate and key come from a kubernetes.io/tls
# Secret (a secret volume, mode 0400) serves over HTTPS inside a pod: openssl s_server -WWW
# in a small image made of this machine's openssl and the libraries it loads; the client is
# curl inside the pod's network namespace. An edit of the page shows up without a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
OPENSSL=$(command -v openssl) || skip "openssl is not installed"
command -v curl >/dev/null || skip "curl is not installed"
command -v ldd >/dev/null || skip "ldd is not installed"
command -v nsenter >/dev/null || skip "nsenter is not installed"
agent_setup
agent_start
skip_unless_containers_run

# The image: the openssl binary and what ldd says it loads, one layer.
root=$TMP/ossl-root
mkdir -p "$root/usr/bin" "$root/tmp" "$root/etc/ssl"
cp -L "$OPENSSL" "$root/usr/bin/openssl" || fail "copy openssl"
for lib in $(ldd "$OPENSSL" | grep -oE '/[^ ]+'); do
    mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || fail "copy $lib"
done
tar -C "$root" -cf "$TMP/ossl.tar" . || fail "tar"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/ossl" latest "$TMP/ossl.tar" >/dev/null || fail "mklayout"

# A throwaway certificate for the Secret.
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=localhost -keyout "$TMP/tls.key" -out "$TMP/tls.crt" >/dev/null 2>&1 || fail "cert"
cat >"$PODS/.https.tmp" <<EOM
apiVersion: v1
kind: ConfigMap
metadata: {name: web-conf}
data:
  PORT: "8443"
  index.html: "hello over TLS v1"
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$TMP/tls.crt")
  tls.key: $(base64 -w0 "$TMP/tls.key")
---
apiVersion: v1
kind: Pod
metadata: {name: https}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: srv
      image: "oci:$TMP/ossl:latest"
      workingDir: /srv/www
      env: [{name: PORT, valueFrom: {configMapKeyRef: {name: web-conf, key: PORT}}}]
      command: [/usr/bin/openssl, s_server, -WWW, -accept, "\$(PORT)", -cert, /etc/tls/tls.crt,
                -key, /etc/tls/tls.key]
      volumeMounts:
        - {name: www, mountPath: /srv/www}
        - {name: tls, mountPath: /etc/tls}
  volumes:
    - name: www
      configMap: {name: web-conf, items: [{key: index.html, path: index.html}]}
    - name: tls
      secret: {secretName: web-tls, defaultMode: 0400}
EOM
mv "$PODS/.https.tmp" "$PODS/https.yaml"
wait_jq 60 '.pods[] | select(.name == "https") | .containers[0].state == "running"' ||
    fail "not running: $(pod_jq https '.message') $("$TANK" logs --config "$CFG" https 2>&1 | tail -3)"
NET=$TMP/run/pods/https/ns/net
get() { nsenter --net="$NET" curl -sk --max-time 5 https://127.0.0.1:8443/index.html; }
wait_for 20 sh -c "nsenter --net='$NET' curl -sk --max-time 5 https://127.0.0.1:8443/index.html | grep -q 'hello over TLS v1'" ||
    fail "no page over HTTPS: $(get) $("$TANK" logs --config "$CFG" https 2>&1 | tail -3)"
# The certificate served is the Secret's.
nsenter --net="$NET" curl -skv --max-time 5 https://127.0.0.1:8443/index.html 2>&1 | grep -q "subject: CN=localhost" ||
    fail "not the Secret's certificate"
# Plain HTTP is not served there.
nsenter --net="$NET" curl -s --max-time 5 http://127.0.0.1:8443/index.html 2>/dev/null | grep -q "hello over TLS" &&
    fail "served without TLS"
pid=$(ctr_jq https srv .pid)
sed -i 's/hello over TLS v1/hello over TLS v2/' "$PODS/https.yaml"
wait_for 20 sh -c "nsenter --net='$NET' curl -sk --max-time 5 https://127.0.0.1:8443/index.html | grep -q 'hello over TLS v2'" ||
    fail "the ConfigMap edit is not served: $(get)"
[ "$(ctr_jq https srv .pid)" = "$pid" ] || fail "the server was restarted for a page edit"
pass

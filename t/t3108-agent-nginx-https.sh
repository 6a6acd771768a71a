#!/bin/bash
# nginx as people run it from a config repo: its nginx.conf comes from a ConfigMap, its TLS
# certificate and key from a kubernetes.io/tls Secret, and it serves HTTPS on the pod's own
# address. The image is Debian's nginx (the nginx-light package: the binary, the libraries ldd
# lists, the directories it needs), the pod has a macvlan address on the agent's uplink, and
# the client is curl and openssl s_client in a client namespace on the other end of the
# uplink. An edit of nginx.conf in the ConfigMap shows up in the running container and takes
# effect on `nginx -s reload` run by tank exec, without a restart. The downward API's
# status.hostIP is the address of the uplink. Nothing is created in the root namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
NGINX=/usr/sbin/nginx
[ -x $NGINX ] || skip "nginx is not installed (apt-get install nginx-light)"
for c in ip nsenter curl openssl ldd; do command -v $c >/dev/null || skip "$c is not installed"; done
A=tnka$$
C=tnkc$$
ip netns add $A || skip "cannot create network namespaces"
at_exit "ip netns del $A"
ip netns add $C || fail "ip netns add $C"
at_exit "ip netns del $C"
ip -n $A link add up0 type veth peer name cl0 netns $C || fail "veth"
ip -n $A link set lo up
ip -n $A addr add 192.0.2.2/24 dev up0
ip -n $A addr add 2001:db8::2/64 dev up0 nodad
ip -n $A link set up0 up
ip -n $C link set lo up
ip -n $C addr add 192.0.2.1/24 dev cl0
ip -n $C link set cl0 up

agent_setup
sed -i "s|^\[agent\]|[host]\nuplink = up0\n[agent]|" "$CFG"
AGENT_NETNS=/run/netns/$A
agent_start
skip_unless_containers_run

# The image: nginx, the libraries it loads, the users it switches to, its directories.
root=$TMP/nginx-root
mkdir -p "$root/usr/sbin" "$root/etc/nginx" "$root/var/lib/nginx" "$root/var/log/nginx" \
    "$root/run" "$root/tmp" "$root/srv/www"
cp -L $NGINX "$root/usr/sbin/nginx" || fail "copy nginx"
for lib in $(ldd $NGINX | grep -oE '/[^ ]+'); do
    mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || fail "copy $lib"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
echo "hello from nginx over TLS" >"$root/srv/www/index.html"
tar -C "$root" -cf "$TMP/nginx.tar" . || fail "tar"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/nginx" latest "$TMP/nginx.tar" >/dev/null || fail "mklayout"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=web.example -keyout "$TMP/tls.key" -out "$TMP/tls.crt" >/dev/null 2>&1 || fail "cert"
KEY_LINE=$(sed -n 2p "$TMP/tls.key")
nginx_conf() { # $1: the text of the /hello location
    cat <<EOC
    daemon off;
    user nobody nogroup;
    worker_processes 1;
    pid /tmp/nginx.pid;
    error_log stderr;
    events { worker_connections 64; }
    http {
      access_log /dev/stdout;
      server {
        listen 8443 ssl;
        ssl_certificate /etc/nginx/tls/tls.crt;
        ssl_certificate_key /etc/nginx/tls/tls.key;
        root /srv/www;
        location = /hello { default_type text/plain; return 200 "$1"; }
      }
    }
EOC
}
write_pod() { # $1: the /hello text
    cat >"$PODS/.web.tmp" <<EOM
apiVersion: v1
kind: ConfigMap
metadata: {name: nginx-conf}
data:
  nginx.conf: |
$(nginx_conf "$1")
---
apiVersion: v1
kind: Secret
metadata: {name: web-tls}
type: kubernetes.io/tls
data:
  tls.crt: $(base64 -w0 "$TMP/tls.crt")
  tls.key: $(base64 -w0 "$TMP/tls.key")
---
apiVersion: tank/v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: nginx
      image: "oci:$TMP/nginx:latest"
      command: [/usr/sbin/nginx, -c, /etc/nginx/conf/nginx.conf]
      volumeMounts:
        - {name: conf, mountPath: /etc/nginx/conf}
        - {name: tls, mountPath: /etc/nginx/tls}
    - name: env
      image: $IMAGE
      command: [sh, -c, 'echo "hostIP=\$HOST_IP hostIPs=\$HOST_IPS"; exec sleep 600']
      env:
        - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
        - {name: HOST_IPS, valueFrom: {fieldRef: {fieldPath: status.hostIPs}}}
  volumes:
    - name: conf
      configMap: {name: nginx-conf}
    - name: tls
      secret: {secretName: web-tls, defaultMode: 0400}
  network:
    interfaces:
      - {name: eth0, macvlan: {mode: bridge}, addresses: ["192.0.2.10/24"], gateway: 192.0.2.1}
EOM
    mv "$PODS/.web.tmp" "$PODS/web.yaml"
}
write_pod "config v1"
"$TANK" validate "$PODS/web.yaml" >/dev/null || fail "validate: $("$TANK" validate "$PODS/web.yaml" 2>&1)"
wait_jq 60 '.pods[] | select(.name == "web") | .containers | all(.state == "running")' ||
    fail "not running: $(pod_jq web '.message') $("$TANK" logs --config "$CFG" web 2>&1 | tail -3)"
get() { ip netns exec $C curl -s --max-time 5 --cacert "$TMP/tls.crt" \
    --resolve web.example:8443:192.0.2.10 "https://web.example:8443$1"; }
wait_for 20 sh -c "ip netns exec $C curl -s --max-time 5 --cacert '$TMP/tls.crt' --resolve web.example:8443:192.0.2.10 https://web.example:8443/hello | grep -q 'config v1'" ||
    fail "no HTTPS answer on the pod's address: $(get /hello) $("$TANK" logs --config "$CFG" web 2>&1 | tail -3)"
# curl verified the certificate against the Secret's (--cacert): the server holds its key.
[ "$(get /index.html)" = "hello from nginx over TLS" ] || fail "the image's page: $(get /index.html)"
echo | ip netns exec $C openssl s_client -connect 192.0.2.10:8443 -servername web.example 2>/dev/null |
    grep -q "subject=CN = web.example" || fail "openssl s_client: not the Secret's certificate"
ip netns exec $C curl -s --max-time 5 http://192.0.2.10:8443/hello 2>/dev/null | grep -q "config v1" &&
    fail "served without TLS"
# The key is 0400 root's in the container, and its text is nowhere in status, events, logs.
pid=$(ctr_jq web nginx .pid)
[ -n "$pid" ] && [ "$pid" != null ] || fail "no pid"
mode=$(stat -L -c %a:%u "/proc/$pid/root/etc/nginx/tls/tls.key") || fail "stat the key"
[ "$mode" = 400:0 ] || fail "the key's mode and owner: $mode"
for out in "$("$TANK" status --config "$CFG" -o json)" "$("$TANK" events --config "$CFG" 2>&1)" \
    "$("$TANK" logs --config "$CFG" web 2>&1)" "$(cat "$TMP/agent.log" 2>/dev/null)"; do
    case "$out" in *"$KEY_LINE"*) fail "the Secret's key shows in the output" ;; esac
done
# status.hostIP: the address of the uplink.
wait_for 10 sh -c "'$TANK' logs --config '$CFG' web env | grep -qx 'hostIP=192.0.2.2 hostIPs=192.0.2.2,2001:db8::2'" ||
    fail "status.hostIP: $("$TANK" logs --config "$CFG" web env)"

# An edit of nginx.conf: the file in the container changes in place, nginx reloads it.
write_pod "config v2"
wait_for 20 sh -c "cat /proc/$pid/root/etc/nginx/conf/nginx.conf | grep -q 'config v2'" ||
    fail "the ConfigMap edit did not reach the container"
"$TANK" exec --config "$CFG" web -- /usr/sbin/nginx -c /etc/nginx/conf/nginx.conf -s reload ||
    fail "nginx -s reload"
wait_for 20 sh -c "ip netns exec $C curl -s --max-time 5 --cacert '$TMP/tls.crt' --resolve web.example:8443:192.0.2.10 https://web.example:8443/hello | grep -q 'config v2'" ||
    fail "the new configuration is not served: $(get /hello)"
[ "$(ctr_jq web nginx .pid)" = "$pid" ] || fail "nginx was restarted for a configuration edit"
rm "$PODS/web.yaml"
wait_gone 60 web
pass

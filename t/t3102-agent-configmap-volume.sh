#!/bin/bash
# configMap and secret volumes in a real container: the files as Kubernetes shows them
# (every key, or items with paths and modes; defaultMode), read-only, Secrets on a tmpfs only
# root on the host enters; an edit of the ConfigMap shows up in the running container without
# a restart, swapped atomically (a reader loop never sees a missing or mixed pair of files);
# a subPath mount of a key; the volumes go with the pod.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

long=$(for i in $(seq 2000); do printf 'v1 '; done)
cat >"$PODS/.cfg.tmp" <<EOM
apiVersion: v1
kind: ConfigMap
metadata: {name: web-conf}
data:
  a.conf: "v1"
  b.conf: "$long END"
---
apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
stringData:
  tls.crt: CERT
  tls.key: KEY
EOM
mv "$PODS/.cfg.tmp" "$PODS/cfg.yaml"
# The reader: the file always there and whole (a torn write would lack its END).
reader='while :; do b=$(cat /etc/web/b.conf) || exit 3; case $b in "v"*" END") ;; *) echo "torn: $b"; exit 4 ;; esac; done'
cat >"$PODS/.web.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: shop, tier: front}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
    - name: main
      image: $IMAGE
      command:
        - sh
        - -c
        - |
          $reader
      volumeMounts:
        - {name: conf, mountPath: /etc/web}
        - {name: certs, mountPath: /etc/certs}
        - {name: conf, mountPath: /etc/one.conf, subPath: a.conf}
        - {name: podinfo, mountPath: /etc/podinfo}
        - {name: all, mountPath: /etc/all}
  volumes:
    - name: all
      projected:
        defaultMode: 0440
        sources:
          - configMap: {name: web-conf, items: [{key: a.conf, path: cm/a.conf}]}
          - secret: {name: tls, items: [{key: tls.crt, path: sec/crt}]}
          - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
    - name: podinfo
      downwardAPI:
        items:
          - {path: labels, fieldRef: {fieldPath: metadata.labels}}
          - {path: name, fieldRef: {fieldPath: metadata.name}}
    - name: conf
      configMap: {name: web-conf}
    - name: certs
      secret:
        secretName: tls
        defaultMode: 0400
        items:
          - {key: tls.key, path: private/key.pem}
          - {key: tls.crt, path: cert.pem, mode: 0444}
EOM
mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_jq 60 '.pods[] | select(.name == "web") | .containers[0].state == "running"' || fail "not running: $(pods_json)"
pid=$(ctr_jq web main .pid)
root=/proc/$pid/root
[ "$(cat "$root/etc/web/a.conf")" = v1 ] || fail "a.conf: $(ls -la "$root/etc/web")"
[ "$(cat "$root/etc/certs/private/key.pem")" = KEY ] || fail "key: $(ls -laR "$root/etc/certs")"
[ "$(stat -L -c %a "$root/etc/certs/private/key.pem")" = 400 ] || fail "defaultMode: $(stat -L -c %a "$root/etc/certs/private/key.pem")"
[ "$(stat -L -c %a "$root/etc/certs/cert.pem")" = 444 ] || fail "items mode"
[ "$(stat -L -c %a "$root/etc/web/b.conf")" = 644 ] || fail "default 0644"
[ -L "$root/etc/web/..data" ] || fail "no ..data link: $(ls -la "$root/etc/web")"
nsenter -t "$pid" -m -- sh -c 'echo x > /etc/web/new' 2>/dev/null && fail "the volume is writable"
[ "$(cat "$root/etc/all/cm/a.conf") $(cat "$root/etc/all/sec/crt") $(cat "$root/etc/all/name")" = "v1 CERT web" ] ||
    fail "projected: $(ls -laR "$root/etc/all")"
[ "$(stat -L -c %a "$root/etc/all/sec/crt")" = 440 ] || fail "projected defaultMode"
[ "$(cat "$root/etc/podinfo/name")" = web ] || fail "downwardAPI name: $(ls -la "$root/etc/podinfo")"
[ "$(cat "$root/etc/podinfo/labels")" = 'app="shop"
tier="front"' ] || fail "downwardAPI labels: $(cat "$root/etc/podinfo/labels")"
# A label edit shows up in place (the pod is not replaced: labels are not its spec).
sed -i 's/tier: front/tier: back/' "$PODS/web.yaml"
wait_for 20 grep -q 'tier="back"' "$root/etc/podinfo/labels" || fail "label edit not shown"
# On a tmpfs on the host, only root enters.
base=$TMP/run/cfgvol/web
[ "$(stat -f -c %T "$base")" = tmpfs ] || fail "not on tmpfs: $(stat -f -c %T "$base")"
[ "$(stat -c %a "$base")" = 700 ] || fail "mode of $base: $(stat -c %a "$base")"

# Ten edits while the reader runs: it never fails, the file follows, the pid stays.
for v in 2 3 4 5 6 7 8 9 10 11; do
    sed -e "s/v[0-9][0-9]* /v$v /g; s/\"v[0-9]*\"/\"v$v\"/" "$PODS/cfg.yaml" >"$PODS/.cfg.tmp" && mv "$PODS/.cfg.tmp" "$PODS/cfg.yaml"
    wait_for 20 sh -c "[ \"\$(cat $root/etc/web/a.conf)\" = v$v ]" || fail "edit v$v not seen: $(cat "$root/etc/web/a.conf")"
done
[ "$(ctr_jq web main .pid)" = "$pid" ] || fail "the pod was replaced for a volume change"
[ "$(ctr_jq web main .state)" = running ] || fail "the reader saw a torn update: $("$TANK" logs --config "$CFG" web)"
[ "$(cat "$root/etc/one.conf")" = v1 ] || fail "a subPath mount is not updated (as in Kubernetes): $(cat "$root/etc/one.conf")"
[ "$(ls -d "$root"/etc/web/..2* | wc -l)" = 1 ] || fail "old versions left: $(ls -a "$root/etc/web")"

# fsGroup: a non-root user reads a 0400 secret through the group it is given.
cat >"$PODS/.grp.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata: {name: grp}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, fsGroup: 2345, fsGroupChangePolicy: OnRootMismatch}
  containers:
    - name: main
      image: $IMAGE
      command: ["sh", "-c", "id -G > /dev/shm/id; cat /etc/certs/tls.key > /dev/shm/key; exec sleep 100321"]
      volumeMounts: [{name: certs, mountPath: /etc/certs}]
  volumes:
    - name: certs
      secret: {secretName: tls, defaultMode: 0400}
EOM
mv "$PODS/.grp.tmp" "$PODS/grp.yaml"
wait_jq 60 '.pods[] | select(.name == "grp") | .containers[0].state == "running"'
gpid=$(ctr_jq grp main .pid)
wait_for 10 test -s "/proc/$gpid/root/dev/shm/id"
grep -qw 2345 "/proc/$gpid/root/dev/shm/id" || fail "fsGroup not a group of the process: $(cat "/proc/$gpid/root/dev/shm/id")"
wait_for 10 test -s "/proc/$gpid/root/dev/shm/key" || fail "user 1000 cannot read the secret"
[ "$(stat -L -c '%a %g' "/proc/$gpid/root/etc/certs/tls.key")" = "440 2345" ] ||
    fail "fsGroup file: $(stat -L -c '%a %g' "/proc/$gpid/root/etc/certs/tls.key")"
rm "$PODS/grp.yaml"
wait_gone 30 grp

rm "$PODS/web.yaml"
wait_gone 30 web
[ ! -e "$base" ] || fail "volumes left: $(ls -la "$base")"
grep -q " $base " /proc/self/mountinfo && fail "tmpfs left mounted"
pass

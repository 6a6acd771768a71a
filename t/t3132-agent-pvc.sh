#!/bin/bash
# PersistentVolumeClaims through the agent with real containers: a claim's volume is made
# on first use (state_dir/volumes/NAME) and its data outlives the pod's deletion, an agent
# restart, a new revision and the claim's own removal (Released); only `tank volumes rm`
# deletes it, refused while a pod uses it; readOnly is honoured. A container that plants
# symbolic links to host directories in its volume cannot make the size walk count them
# nor `tank volumes rm` delete through them (the host directory survives).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

# A host directory the container knows the path of (it must never be touched).
HOSTDIR=$TMP/host-precious
mkdir -p "$HOSTDIR/sub"
echo keep >"$HOSTDIR/file"
echo keep >"$HOSTDIR/sub/file"
dd if=/dev/zero of="$HOSTDIR/big" bs=1M count=8 status=none

claim() {
    cat >"$PODS/.claim.tmp" <<EOM
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: local-path
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
EOM
    mv "$PODS/.claim.tmp" "$PODS/claim.yaml"
}
pod() { # NAME POLICY COMMAND [READONLY]
    cat >"$PODS/.$1.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 1
  volumes:
  - name: vol
    persistentVolumeClaim: {claimName: data, readOnly: ${4:-false}}
  containers:
  - name: main
    image: $IMAGE
    volumeMounts: [{name: vol, mountPath: /data}]
    command: ["sh", "-c", "$3"]
EOM
    mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
vols() { "$TANK" volumes --config "$CFG" "$@"; }
vol_jq() { vols -o json | jq -r ".volumes[] | select(.name == \"data\") | $1"; }
logs() { "$TANK" logs --config "$CFG" "$1" 2>/dev/null; }

claim
# The attack, from inside the container: links to the host directory in the volume.
pod writer Always "echo hello >/data/file; ln -s $HOSTDIR /data/escape; mkdir -p /data/d/e; ln -s $HOSTDIR /data/d/e/up; ln -s $HOSTDIR/file /data/filelink; echo written; exec sleep 300000"
wait_for 30 sh -c "\"$TANK\" logs --config '$CFG' writer 2>/dev/null | grep -qx written" ||
    fail "writer did not write: $(pods_json | jq -c '.pods[] | {name, phase, message}')"
[ -d "$TMP/state/volumes/data" ] || fail "no state_dir/volumes/data"
[ "$(cat "$TMP/state/volumes/data/file")" = hello ] || fail "the file is not in the volume"
[ -L "$TMP/state/volumes/data/escape" ] || fail "the planted link is not there"
vols | grep -Eq '^data +[0-9.]+ [KMG]?i?B +writer +Bound$' || fail "tank volumes: $(vols)"
size=$(vol_jq .size)
[ "$size" -lt 1048576 ] || fail "the size walk followed a link out of the volume: $size bytes"
echo "ok: the claim's volume is made on first use; tank volumes: data, $size bytes, writer, Bound"

vols rm data 2>"$TMP/rm.err" && fail "tank volumes rm of a volume in use succeeded"
grep -q "in use by pod 'writer'" "$TMP/rm.err" || fail "refusal: $(cat "$TMP/rm.err")"
[ -f "$TMP/state/volumes/data/file" ] || fail "a refused rm removed data"
echo "ok: tank volumes rm is refused while a pod uses the volume"

rm -f "$PODS/writer.yaml"
wait_gone 30 writer || fail "writer not stopped"
pod reader Never "cat /data/file; touch /data/ro-test && echo writable"
wait_phase 30 reader Succeeded || fail "reader: $(pod_jq reader .)"
[ "$(logs reader)" = "hello
writable" ] || fail "reader after the pod's deletion: $(logs reader)"
agent_stop
agent_start
pod reader Never "cat /data/file; echo second" # a new revision: the pod is replaced
wait_for 30 sh -c "\"$TANK\" logs --config '$CFG' reader 2>/dev/null | grep -qx second" ||
    fail "new revision after an agent restart: $(logs reader)"
logs reader | grep -qx hello || fail "data lost after a restart and a new revision: $(logs reader)"
echo "ok: the data survives the pod's deletion, an agent restart and a new revision"

pod reader Never "cat /data/file; touch /data/x 2>/dev/null && echo writable || echo read-only" true
wait_for 30 sh -c "\"$TANK\" logs --config '$CFG' reader 2>/dev/null | grep -qx read-only" ||
    fail "readOnly: true is not honoured: $(logs reader)"
echo "ok: persistentVolumeClaim.readOnly mounts it read-only"
rm -f "$PODS/reader.yaml"
wait_gone 30 reader || fail "reader not stopped"

rm -f "$PODS/claim.yaml"
wait_for 20 sh -c "\"$TANK\" volumes --config '$CFG' | grep -Eq '^data .* Released$'" ||
    fail "a removed claim is not Released: $(vols)"
[ "$(cat "$TMP/state/volumes/data/file")" = hello ] || fail "removing the claim deleted data"
echo "ok: removing the claim keeps the data, listed as Released"

vols rm data >"$TMP/rm.out" 2>&1 || fail "tank volumes rm: $(cat "$TMP/rm.out")"
[ ! -e "$TMP/state/volumes/data" ] || fail "the volume is still there"
ls -A "$TMP/state/volumes" | grep -q . && fail "leftovers: $(ls -A "$TMP/state/volumes")"
[ "$(cat "$HOSTDIR/file" 2>/dev/null)" = keep ] && [ "$(cat "$HOSTDIR/sub/file" 2>/dev/null)" = keep ] &&
    [ -f "$HOSTDIR/big" ] || fail "tank volumes rm followed a planted link: $(ls -lR "$HOSTDIR" 2>&1)"
vols | grep -q '^data ' && fail "still listed: $(vols)"
vols rm data 2>/dev/null && fail "rm of a missing volume succeeded"
echo "ok: tank volumes rm removes the volume and nothing a planted link points to"

# The documentation's claim and pod (its nginx replaced by busybox httpd serving the volume).
sed -E -e "s|^( *)image: nginx|\1image: \"$IMAGE\"\n\1command: [httpd, -f, -p, '80', -h, /usr/share/nginx/html]|" \
    "$TANK_SRC/t/fixtures/spec/valid/k8s-pvc.yaml" >"$PODS/.doc.tmp" && mv "$PODS/.doc.tmp" "$PODS/doc.yaml"
wait_phase 30 task-pv-pod Running || fail "task-pv-pod: $(pod_jq task-pv-pod .)"
vols | grep -Eq '^task-pv-claim .* task-pv-pod +Bound$' || fail "doc example: $(vols)"
[ -d "$TMP/state/volumes/task-pv-claim" ] || fail "no volume for the doc example"
echo "ok: the documentation's PersistentVolumeClaim example runs"
pass

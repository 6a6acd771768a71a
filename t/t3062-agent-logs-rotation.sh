#!/bin/bash
# [logs] max_size / max_files (the kubelet's containerLogMaxSize / containerLogMaxFiles): a
# container's log is rotated at max_size into CTR.log.1, CTR.log.2, ..., max_files files in
# all, and `tank logs` prints what is kept oldest first, the lines in order. Each instance
# of a container has its own log: `tank logs -p` prints the previous one's, and only the
# last two instances are kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
printf '[logs]\nmax_size = 2Ki\nmax_files = 3\n' >>"$CFG"
agent_start
skip_unless_containers_run

put chatty Never 'i=1; while [ $i -le 400 ]; do echo line $i; i=$((i+1)); done'
wait_for 60 sh -c "[ \"\$('$TANK' logs --config '$CFG' --tail 1 chatty 2>/dev/null)\" = 'line 400' ]"
L=$TMP/log/chatty/main.log
for f in "$L" "$L.1" "$L.2"; do
    [ -f "$f" ] || fail "$f missing: $(ls "$TMP/log/chatty")"
    [ "$(stat -c %s "$f")" -le 2048 ] || fail "$f is larger than max_size: $(stat -c %s "$f")"
done
[ ! -e "$L.3" ] || fail "more than max_files files: $(ls "$TMP/log/chatty")"
"$TANK" logs --config "$CFG" chatty >"$TMP/out" || fail "tank logs failed"
first=$(head -n 1 "$TMP/out" | cut -d' ' -f2)
[ "$first" -gt 1 ] || fail "nothing was rotated away"
seq "$first" 400 | sed 's/^/line /' >"$TMP/want"
cmp -s "$TMP/out" "$TMP/want" || fail "not the kept lines in order: $(diff "$TMP/want" "$TMP/out" | head)"

# three instances: the third runs on
mkdir -p "$TMP/data"
put_pod thrice policy=Always cmd='n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n >/data/n; echo instance $n; [ $n -ge 3 ] && exec sleep 1000; exit 1' \
    ctr_yaml="    volumeMounts:
    - {name: data, mountPath: /data}" pod_yaml="  volumes:
  - name: data
    hostPath: {path: $TMP/data, type: Directory}"
wait_for 60 sh -c "[ \"\$('$TANK' logs --config '$CFG' thrice 2>/dev/null)\" = 'instance 3' ]"
[ "$("$TANK" logs --config "$CFG" -p thrice)" = "instance 2" ] ||
    fail "-p: $("$TANK" logs --config "$CFG" -p thrice 2>&1)"
[ "$("$TANK" logs --config "$CFG" --previous -c main thrice)" = "instance 2" ] || fail "--previous -c"
[ "$(ls "$TMP/log/thrice")" = $'main.log\nmain.log.prev' ] ||
    fail "more than two instances kept: $(ls "$TMP/log/thrice")"

# -f --all-containers: every container followed, each line prefixed, until all have ended
cat >"$PODS/.two.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  containers:
  - name: a
    image: $IMAGE
    command: ["sh", "-c", "while [ ! -e /data/go ]; do sleep 0.1; done; echo from a"]
    volumeMounts:
    - {name: data, mountPath: /data}
  - name: b
    image: $IMAGE
    command: ["sh", "-c", "echo b starts; while [ ! -e /data/go ]; do sleep 0.1; done; echo from b"]
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    hostPath: {path: $TMP/data, type: Directory}
EOC
mv "$PODS/.two.tmp" "$PODS/two.yaml"
wait_for 60 sh -c "'$TANK' logs --config '$CFG' two b 2>/dev/null | grep -q 'b starts'"
("$TANK" logs --config "$CFG" -f --all-containers two >"$TMP/all" 2>&1; echo $? >"$TMP/all.rc") &
sleep 1
touch "$TMP/data/go"
wait_for 60 test -s "$TMP/all.rc"
[ "$(cat "$TMP/all.rc")" = 0 ] || fail "-f --all-containers exited $(cat "$TMP/all.rc"): $(cat "$TMP/all")"
[ "$(sort "$TMP/all")" = $'[a] from a\n[b] b starts\n[b] from b' ] ||
    fail "-f --all-containers: $(cat "$TMP/all")"
pass

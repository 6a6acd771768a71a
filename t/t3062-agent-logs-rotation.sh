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
pass

#!/bin/bash
# The attack: root in a container (default capabilities, no CAP_SYS_PTRACE) tries to
# ptrace every process entering its PID namespace (t/ptracer.c, static). A command that
# tank exec, an exec probe or a hook starts appears there before its execve, sharing memory
# with the helper that waits for it outside the container (host root, every capability);
# attaching to it then would let the container write code the helper runs. The helper and
# the command are not dumpable until the command's execve, so the attacker gets only
# processes running the container's own programs: here it attaches to sleep (it really
# tries), and never to anything else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

mkdir -p "$TMP/x"
cc -static -O1 -o "$TMP/x/ptracer" "$TANK_SRC/t/ptracer.c" 2>"$TMP/cc.log" ||
    fail "build ptracer: $(cat "$TMP/cc.log")"
put_pod pt grace=1 argv='["/x/ptracer", "600"]' ctr_yaml='    volumeMounts: [{name: x, mountPath: /x, readOnly: true}]
    readinessProbe:
      exec: {command: ["sleep", "0.1"]}
      periodSeconds: 1' pod_yaml="  volumes:
  - name: x
    hostPath: {path: $TMP/x, type: Directory}"
wait_jq 60 '.pods[] | select(.name == "pt") | .containers[0].state == "running"' ||
    fail "pt is not running: $(pod_jq pt .)"
wait_for 10 sh -c "'$TANK' logs --config '$CFG' pt | grep -q READY" || fail "ptracer did not start"

# tank exec, 60 times, besides the readiness probe every second.
for i in $(seq 60); do
    timeout 20 "$TANK" exec --config "$CFG" pt -- sleep 0.05 || fail "tank exec $i failed"
done
"$TANK" logs --config "$CFG" pt >"$TMP/ptlog"
grep '^ATTACHED' "$TMP/ptlog" >"$TMP/attached" || true
# It must have caught most of the 60 commands once they ran sleep, or it proves nothing.
n=$(grep -c ' /bin/\(busybox\|sleep\)$' "$TMP/attached")
[ "$n" -ge 30 ] ||
    fail "the attacker attached to only $n exec'd sleeps of 60 (the test proves nothing): $(head -c 2000 "$TMP/ptlog")"
if grep -v ' /bin/\(busybox\|sleep\)$' "$TMP/attached" >"$TMP/escape"; then
    fail "the container attached to a process before its execve: $(head -n 5 "$TMP/escape")"
fi
echo "ok: $(wc -l <"$TMP/attached") attaches, all to the container's own sleep"

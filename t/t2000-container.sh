#!/bin/bash
# Containers through the sandbox API driver (t/ctrctl) on the busybox image of
# t/mkimage-busybox.sh: exec failures with their step and errno, user and read-only rootfs,
# the CRI log, a monitor that outlives its starter, and nothing left behind.
. "$(dirname "$0")/lib.sh"
need_root
CTRCTL=$TANK_SRC/t/ctrctl
[ -x "$CTRCTL" ] || fail "t/ctrctl is not built (make t/ctrctl)"
need_cmds umoci
"$TANK_SRC/t/mkimage-busybox.sh" "$TMP/oci" latest >/dev/null 2>&1 || fail "mkimage-busybox.sh"
umoci unpack --image "$TMP/oci:latest" "$TMP/bundle" >/dev/null || fail "umoci unpack"
ROOTFS=$TMP/bundle/rootfs
at_exit 'grep " $TMP/" /proc/self/mountinfo | awk "{print \$5}" | sort -r | xargs -r -n1 umount -l'

run() { "$CTRCTL" run --state "$TMP/state" --layer "$ROOTFS" --rw "$TMP/rw" --log "$TMP/log" "$@"; }

# An exec failure names its step and errno, and the driver sees it before any exit.
out=$(run -- /bin/nginx -g 'daemon off;')
[ $? = 1 ] || fail "a missing executable should fail the start: $out"
[ "$out" = "error exec 2 exec /bin/nginx: No such file or directory" ] || fail "got: $out"

# A user, a read-only root file system, and the CRI log.
rm -f "$TMP/log"
out=$(run --user 65534:65534 --readonly --hostname web -- \
    sh -c 'id -u; hostname; touch /x 2>/dev/null || echo refused; echo oops >&2; exit 5') ||
    fail "start: $out"
echo "$out" | grep -qx "exit 5" || fail "exit code: $out"
re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z (stdout|stderr) F '
[ "$(grep -cE "$re" "$TMP/log")" = 4 ] || fail "log: $(cat "$TMP/log")"
[ "$(sed -E "s/$re//" "$TMP/log" | tr '\n' ' ')" = "65534 web refused oops " ] ||
    fail "log: $(cat "$TMP/log")"
grep -qE ' stderr F oops$' "$TMP/log" || fail "stderr: $(cat "$TMP/log")"
[ -e "$ROOTFS/x" ] && fail "the read-only root was written"

# The monitor outlives the process that started the container, and still records the exit.
"$CTRCTL" run --state "$TMP/state2" --layer "$ROOTFS" --rw "$TMP/rw2" -- sleep 100 \
    >"$TMP/out2" &
starter=$!
at_exit "kill -9 $starter 2>/dev/null"
wait_for 20 grep -q '^pid ' "$TMP/out2"
read -r _ pid _ mon <"$TMP/out2" < <(grep '^pid ' "$TMP/out2")
kill -9 "$starter"; wait "$starter" 2>/dev/null
at_exit "kill -9 $pid 2>/dev/null"
[ -d "/proc/$mon" ] || fail "the monitor died with its starter"
wait_for 20 sh -c "readlink /proc/$mon/exe | grep -q memfd:tank-monitor"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$mon/status")
echo "monitor VmRSS: ${rss} kB"
kill -9 "$pid"
wait_for 20 test -f "$TMP/state2/exit"
grep -qx 'exit_code=137' "$TMP/state2/exit" || fail "exit file: $(cat "$TMP/state2/exit")"
grep -qx 'signal=9' "$TMP/state2/exit" || fail "exit file: $(cat "$TMP/state2/exit")"
wait_for 20 sh -c "! test -d /proc/$mon || grep -q '^State:.*Z' /proc/$mon/status"

# Nothing is left mounted on the host.
grep -q " $TMP/" /proc/self/mountinfo && fail "mounts left: $(grep " $TMP/" /proc/self/mountinfo)"
pass

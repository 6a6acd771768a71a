#!/bin/bash
# A privileged container has the host's character and block devices in its /dev, with the
# host's numbers, mode and owner (as Docker's --privileged and containerd give them), but
# its own pts, shm, mqueue and ptmx and not the host's console; a container that is not
# privileged keeps the minimal /dev.
. "$(dirname "$0")/lib.sh"
need_root
CTRCTL=$TANK_SRC/t/ctrctl
[ -x "$CTRCTL" ] || fail "t/ctrctl is not built (make t/ctrctl)"
need_cmds umoci
probe=
for p in /dev/kmsg /dev/loop-control /dev/fuse; do
    if [ -c "$p" ] || [ -b "$p" ]; then probe=$p; break; fi
done
[ -n "$probe" ] || skip "none of /dev/kmsg, /dev/loop-control, /dev/fuse on this host"
"$TANK_SRC/t/mkimage-busybox.sh" "$TMP/oci" latest >/dev/null 2>&1 || fail "mkimage-busybox.sh"
umoci unpack --image "$TMP/oci:latest" "$TMP/bundle" >/dev/null || fail "umoci unpack"
ROOTFS=$TMP/bundle/rootfs
at_exit 'grep " $TMP/" /proc/self/mountinfo | awk "{print \$5}" | sort -r | xargs -r -n1 umount -l'

# run [--privileged] SCRIPT: the container's stdout (from its CRI log). $WRAP runs ctrctl.
WRAP=()
run() {
    local opt=()
    [ "$1" = --privileged ] && opt=(--privileged) && shift
    rm -f "$TMP/log"
    out=$("${WRAP[@]}" "$CTRCTL" run --state "$TMP/state" --layer "$ROOTFS" --rw "$TMP/rw" \
        --log "$TMP/log" "${opt[@]}" -- sh -c "$1") || fail "start: $out"
    grep -qx "exit 0" <<<"$out" || fail "container: $out $(cat "$TMP/log")"
    sed -nE 's/^[^ ]+ stdout F //p' "$TMP/log"
}
# The devices under /dev as "PATH MAJOR:MINOR MODE UID:GID" (hex, as stat -c prints them),
# without what a container has of its own and the console.
devices='find /dev -path /dev/pts -prune -o -path /dev/shm -prune -o -path /dev/mqueue -prune -o \( -type c -o -type b \) ! -path /dev/console ! -path /dev/ptmx -exec stat -c "%n %t:%T %f %u:%g" {} +'
host_devices() { sh -c "$devices" | sort; }

# check_privileged HOW: the probe and every host device are in a privileged container.
check_privileged() {
    local probe_nums missing extra
    probe_nums=$(stat -c '%t:%T' "$probe")
    host_devices >"$TMP/before"
    run --privileged "stat -c '%t:%T' $probe; $devices" >"$TMP/priv"
    host_devices >"$TMP/after"
    [ "$(head -n 1 "$TMP/priv")" = "$probe_nums" ] ||
        fail "$probe in a privileged container ($1): $(head -n 1 "$TMP/priv"), on the host $probe_nums"
    tail -n +2 "$TMP/priv" | sort >"$TMP/inside"
    # Every host device (that did not come or go meanwhile) is there, and nothing else.
    missing=$(comm -12 "$TMP/before" "$TMP/after" | comm -23 - "$TMP/inside")
    [ -z "$missing" ] || fail "host devices missing in a privileged container ($1): $missing"
    extra=$(sort -u "$TMP/before" "$TMP/after" | comm -13 - "$TMP/inside")
    [ -z "$extra" ] || fail "devices in a privileged container ($1) that the host does not have: $extra"
    [ "$(wc -l <"$TMP/inside")" -gt 6 ] || fail "only the minimal devices ($1): $(cat "$TMP/inside")"
}
check_privileged "made with mknod"
# Its own pts (a new instance: only ptmx) and ptmx; no console.
out=$(run --privileged 'ls /dev/pts | tr "\n" " "; readlink /dev/ptmx; test -e /dev/console || echo no-console')
[ "$out" = $'ptmx pts/ptmx\nno-console' ] || fail "privileged /dev: $out"

# Not privileged: the minimal /dev, as before.
out=$(run "test -e $probe || echo absent; ls -a /dev | tr '\n' ' '; echo; $devices | wc -l")
[ "$out" = $'absent\n. .. fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \n6' ] ||
    fail "/dev of a container that is not privileged: $out"

# Without CAP_MKNOD (as in a user namespace) the host's nodes are bound instead.
if command -v setpriv >/dev/null; then
    WRAP=(setpriv --bounding-set -mknod)
    [ "$(run --privileged 'mknod /dev/x c 1 3 2>/dev/null || echo refused')" = refused ] ||
        fail "setpriv did not drop CAP_MKNOD"
    check_privileged "bound, no CAP_MKNOD"
    WRAP=()
fi

grep -q " $TMP/" /proc/self/mountinfo && fail "mounts left: $(grep " $TMP/" /proc/self/mountinfo)"
pass

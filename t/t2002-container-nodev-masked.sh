#!/bin/bash
# Attacks from inside a default container (root, CAP_MKNOD held, as in Docker), through the
# sandbox driver t/ctrctl:
# - a device node made with mknod (c 1:3, which a device cgroup allows, and b 7:0, a host
#   loop device) in /dev, /dev/shm, /dev/mqueue, the overlay rootfs and a directory rootfs
#   (bound as the copy fallback is) never opens: every file system it can write is nodev;
# - the allowed devices (null, zero, full, urandom, ptmx) still work;
# - runc's masked paths read as nothing, its read-only paths refuse writes with EROFS.
# A privileged container keeps the host's devices (t2001).
. "$(dirname "$0")/lib.sh"
need_root
CTRCTL=$TANK_SRC/t/ctrctl
[ -x "$CTRCTL" ] || fail "t/ctrctl is not built (make t/ctrctl)"
need_cmds umoci
"$TANK_SRC/t/mkimage-busybox.sh" "$TMP/oci" latest >/dev/null 2>&1 || fail "mkimage-busybox.sh"
umoci unpack --image "$TMP/oci:latest" "$TMP/bundle" >/dev/null || fail "umoci unpack"
ROOTFS=$TMP/bundle/rootfs
at_exit 'grep " $TMP/" /proc/self/mountinfo | awk "{print \$5}" | sort -r | xargs -r -n1 umount -l'

# run ROOT-OPTION SCRIPT: the container's stdout (from its CRI log).
run() {
    rm -f "$TMP/log"
    out=$("$CTRCTL" run --state "$TMP/state" $1 "$ROOTFS" --rw "$TMP/rw" --log "$TMP/log" \
        -- sh -c "$2") || fail "start: $out"
    grep -qx "exit 0" <<<"$out" || fail "container: $out $(cat "$TMP/log")"
    sed -nE 's/^[^ ]+ (stdout|stderr) F //p' "$TMP/log"
}

# mknod as root, then open read-write: "DIR TYPE: ERROR" for each, or "opened".
mknod_script='for d in /dev /dev/shm /dev/mqueue / /tmp; do
    for t in "c 1 3" "b 7 0"; do
        rm -f $d/tank-dev
        if ! e=$(mknod $d/tank-dev $t 2>&1); then echo "$d $t: $e"; continue; fi
        if (: <>$d/tank-dev) 2>/dev/null; then echo "$d $t: opened"
        else echo "$d $t: $( (: <>$d/tank-dev) 2>&1)"; fi
        rm -f $d/tank-dev
    done
done'
check_mknod() {
    local out bad
    out=$(run "$1" "$mknod_script")
    echo "$out"
    [ "$(grep -c . <<<"$out")" = 10 ] || fail "mknod ($1): $out"
    bad=$(grep -vE ': (.*Permission denied|.*Operation not permitted)$' <<<"$out")
    [ -z "$bad" ] || fail "a device node made in the container opened ($1): $bad"
    # CAP_MKNOD is there: mknod itself works in /dev (so the open is what was refused).
    grep -qE "^/dev c 1 3: .*can't (open|create)" <<<"$out" || fail "mknod in /dev did not run ($1): $out"
}
check_mknod --layer
check_mknod --rootfs
rm -f "$ROOTFS/tank-dev" "$ROOTFS/tmp/tank-dev"

# The allowed devices work; /dev itself is nodev, its bound nodes are not.
out=$(run --layer 'echo x >/dev/null && echo null
head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c
(echo x >/dev/full) 2>&1 | grep -q "No space left" && echo full
(: <>/dev/ptmx) && echo ptmx
grep " /dev " /proc/self/mountinfo | grep -q nodev && echo dev-nodev
grep " /dev/null " /proc/self/mountinfo | grep -qv nodev && echo null-dev')
[ "$(echo $out)" = "null 4 4 full ptmx dev-nodev null-dev" ] || fail "devices: $out"

# Masked paths: empty (a directory: an empty tmpfs; a file: /dev/null). Paths the kernel
# does not have are reported and skipped.
masked="/proc/acpi /proc/asound /proc/interrupts /proc/kcore /proc/keys /proc/latency_stats
/proc/timer_list /proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware
/sys/devices/virtual/powercap"
out=$(run --layer "for p in $(echo $masked); do
    if [ ! -e \$p ]; then echo \"\$p absent\"
    elif [ -d \$p ]; then echo \"\$p dir \$(ls -A \$p | wc -l)\"
    elif n=\$(cat \$p | wc -c) && cat \$p >/dev/null; then echo \"\$p file \$n\"
    else echo \"\$p unreadable\"; fi
done")
echo "$out"
tested=0
for p in $masked; do
    line=$(grep "^$p " <<<"$out")
    case $line in
    "$p absent") [ -e "$p" ] && fail "$p is on the host but not in the container" ;;
    "$p dir 0" | "$p file 0") tested=$((tested + 1)) ;;
    *) fail "masked path $p: $line" ;;
    esac
done
[ $tested -ge 3 ] || fail "only $tested masked paths exist here"

# Read-only paths: opening a file there for writing (append, nothing written: a probe that
# changes nothing where it is allowed) fails with EROFS.
out=$(run --layer 'for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
    f=$(find $p -type f 2>/dev/null | head -n 1)
    [ -n "$f" ] || { echo "$p: absent"; continue; }
    echo "$p: $f: $( (: >>$f) 2>&1 || true)"
done')
echo "$out"
for p in /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
    line=$(grep "^$p: " <<<"$out")
    case $line in
    "$p: absent") [ -e "$p" ] && [ -n "$(find $p -type f 2>/dev/null | head -n 1)" ] &&
        fail "$p is on the host but not in the container" ;;
    *"Read-only file system") ;;
    *) fail "read-only path $p: $line" ;;
    esac
done

grep -q " $TMP/" /proc/self/mountinfo && fail "mounts left: $(grep " $TMP/" /proc/self/mountinfo)"
pass

#!/bin/bash
# The device cgroup of a default container, attacked from inside: a block device (a host
# loop disk) and /dev/kmsg made with mknod on a file system without nodev are refused at
# open (EPERM, runc's allow-list), while /dev/null, zero, full, random, urandom, tty, ptmx
# and pts keep working; a privileged container still opens a host device. Placement: the
# workload is in its container cgroup before its first instruction; a removed pod leaves no
# cgroup; after kill -9 of the agent, adopted containers keep theirs and stale empty ones go
# (one with a process the agent did not start is left alone).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds find
[ -b /dev/loop0 ] || skip "no /dev/loop0 on this host"
agent_setup
agent_start
skip_unless_containers_run

mkdir -p "$TMP/hp" "$TMP/hp2"
# The attack, from the container's first command on. Each line of /hp/out is a result.
cat >"$TMP/hp/run.sh" <<'EOS'
cat /proc/self/cgroup >/hp/cg
grep ' /hp ' /proc/self/mountinfo >/hp/mnt
r() { # r LABEL COMMAND...: "LABEL ok" or "LABEL refused: error"
    local l=$1
    shift
    if "$@" >/dev/null 2>/hp/err; then echo "$l ok"; else echo "$l refused: $(cat /hp/err)"; fi
}
{
    r mknod-disk mknod /hp/disk b 7 0
    r mknod-kmsg mknod /hp/kmsg c 1 11
    r disk head -c 16 /hp/disk
    r kmsg sh -c 'echo x >/hp/kmsg'
    for d in null zero full random urandom; do
        r $d head -c 1 /dev/$d
    done
    r pts sh -c 'exec 3<>/dev/ptmx && ls /dev/pts | grep -q "^[0-9]"'
    r tty sh -c 'exec 3<>/dev/tty'
    echo done
} >/hp/out 2>&1
exec sleep 100353
EOS
cat >"$PODS/dev.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: dev
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "/hp/run.sh"]
    volumeMounts:
    - {name: hp, mountPath: /hp}
  volumes:
  - name: hp
    hostPath: {path: $TMP/hp, type: Directory}
EOC
cat >"$PODS/priv.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    securityContext: {privileged: true}
    command: ["sh", "-c", "head -c 16 /dev/loop0 >/dev/null 2>/hp/err && echo opened >/hp/out; exec sleep 100354"]
    volumeMounts:
    - {name: hp, mountPath: /hp}
  volumes:
  - name: hp
    hostPath: {path: $TMP/hp2, type: Directory}
EOC
wait_phase 60 dev Running
wait_phase 60 priv Running
wait_for 20 grep -q done "$TMP/hp/out"
out=$(cat "$TMP/hp/out")

has() { grep -q "^$1" <<<"$out"; }
has "mknod-disk ok" || fail "mknod itself refused (c/b *:* m is allowed): $out"
if grep -q nodev "$TMP/hp/mnt"; then
    skip "the hostPath is nodev here: the device cgroup cannot be told apart ($out)"
fi
has "disk refused: .*Operation not permitted" || fail "a host loop disk made by mknod was opened: $out"
has "kmsg refused: .*Operation not permitted" || fail "/dev/kmsg made by mknod was opened: $out"
for d in null zero full random urandom pts; do
    has "$d ok" || fail "/dev/$d refused: $out"
done
# /dev/tty: no controlling terminal here (ENXIO), but never the device cgroup's EPERM.
has "tty refused: .*Operation not permitted" && fail "/dev/tty refused by the device cgroup: $out"
wait_for 20 test -s "$TMP/hp2/out"
[ "$(cat "$TMP/hp2/out")" = opened ] || fail "a privileged container lost the host's devices: $(cat "$TMP/hp2/err")"

# Placement: the host sees the workload in its container cgroup; inside, that cgroup is the
# root of its cgroup namespace, which the workload made before exec: it was moved in before.
pid=$(ctr_jq dev main .pid)
grep -q ":devices:/.*$AGENT_CGROUP/dev/main\$" "/proc/$pid/cgroup" ||
    fail "the workload is not in its cgroup: $(cat "/proc/$pid/cgroup")"
grep -q ":devices:/\$" "$TMP/hp/cg" ||
    fail "the workload's first instruction ran outside its cgroup: $(cat "$TMP/hp/cg")"
[ -n "$(agent_cgroups)" ] || fail "no cgroup of the agent"
for cg in $(agent_cgroups); do
    [ -d "$cg/dev/main" ] || fail "no cgroup dev/main in $cg"
done

# A removed pod leaves no cgroup.
rm "$PODS/dev.yaml" "$PODS/priv.yaml"
wait_gone 60 dev
wait_gone 60 priv
for cg in $(agent_cgroups); do
    [ -e "$cg/dev" ] && fail "the cgroup of a removed pod remains: $cg/dev"
    [ -e "$cg/priv" ] && fail "the cgroup of a removed pod remains: $cg/priv"
done

# kill -9 of the agent: the adopted container keeps its cgroup, a stale one goes.
put stay Always "exec sleep 100355"
wait_phase 60 stay Running
stay_pid=$(ctr_jq stay main .pid)
agent_kill9
for cg in $(agent_cgroups); do mkdir -p "$cg/ghost/main"; done
# A cgroup of a pod this agent does not know, with a process in it: not the agent's to kill.
sleep 100360 &
busy_pid=$!
for cg in $(agent_cgroups); do
    mkdir -p "$cg/busy/main" && echo "$busy_pid" >"$cg/busy/main/cgroup.procs"
done
agent_start
wait_phase 60 stay Running
[ "$(ctr_jq stay main .pid)" = "$stay_pid" ] || fail "stay was restarted instead of adopted"
for cg in $(agent_cgroups); do
    [ -e "$cg/ghost" ] && fail "a stale pod cgroup was kept: $cg/ghost"
    [ -d "$cg/busy/main" ] || fail "a cgroup with a process of an unknown pod was removed: $cg/busy"
    grep -qx "$stay_pid" "$cg/stay/main/cgroup.procs" || fail "the adopted container left $cg/stay/main"
done
kill -0 "$busy_pid" || fail "the agent killed a process it did not start"
kill "$busy_pid"
wait "$busy_pid" 2>/dev/null
pass

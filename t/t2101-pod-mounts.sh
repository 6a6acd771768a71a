#!/bin/bash
# Pod namespaces and mounts on a host whose mounts propagate (shared, as under systemd): the
# namespace bind mounts never show up in other mount namespaces, so nothing there pins a
# destroyed pod; destroy leaves no mount anywhere; hostNetwork pods get no netns; leftovers of
# a crash (half-built pods) are listed, reported and removed.
. "$(dirname "$0")/lib.sh"
need_root
PODCTL=$TANK_SRC/t/podctl
[ -x "$PODCTL" ] || fail "t/podctl is not built (make t/podctl)"
for c in nsenter unshare hostname; do command -v $c >/dev/null || skip "$c is not installed"; done
unshare -m -n true 2>/dev/null || skip "cannot create namespaces here"

M=$TMP/host
mkdir -p $M
mount -t tmpfs tank-test $M || fail "mount a tmpfs"
at_exit "umount -l $M"
mount --make-shared $M
RUN=$M/run STATE=$M/state
destroy_all() { local p; for p in $($PODCTL list $RUN $STATE 2>/dev/null); do $PODCTL destroy $RUN $STATE $p; done; }
at_exit destroy_all

# An observer: another mount namespace that receives this one's mount events.
unshare -m --propagation slave sleep 600 &
OBS=$!
at_exit "kill $OBS 2>/dev/null; wait $OBS 2>/dev/null"
# (a function, so both sides are read again on every poll, not once when wait_for is called)
observer_ready() { [ "$(readlink /proc/$OBS/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]; }
wait_for 10 observer_ready

$PODCTL create $RUN $STATE web --hostname webhost --memory-dir scratch:4194304 --empty-dir data \
    --ns 192.0.2.53 || fail "create pod 'web'"
NS=$RUN/pods/web/ns
[ "$(nsenter --uts=$NS/uts hostname)" = webhost ] || fail "hostname in the pod is $(nsenter --uts=$NS/uts hostname)"
nsenter --net=$NS/net ip -o link show lo | grep -q UP || fail "lo is not up"
[ "$(nsenter --net=$NS/net ip -o link show | wc -l)" = 1 ] || fail "the pod has more than lo"
[ "$(stat -L -c %i $NS/ipc)" != "$(stat -L -c %i /proc/self/ns/ipc)" ] || fail "ipc ns is the host's"
grep -q "^nameserver 192.0.2.53$" $RUN/pods/web/etc/resolv.conf || fail "resolv.conf: $(cat $RUN/pods/web/etc/resolv.conf)"
[ "$(stat -f -c %T $STATE/pods/web/volumes/scratch)" = tmpfs ] || fail "scratch is not a tmpfs"
[ "$(stat -c %a $STATE/pods/web/volumes/data)" = 777 ] || fail "data is not mode 777"
netino=$(stat -L -c %i $NS/net)
# (only this pod's: other tests' pods that existed when the observer was made are copied in)
grep " $NS/" /proc/$OBS/mountinfo | grep -q nsfs &&
    fail "the observer sees the pod's namespaces: $(grep " $NS/" /proc/$OBS/mountinfo)"
grep -q " $NS/" /proc/self/mountinfo || fail "the pod's namespace mounts are not where expected"

# No process in the pod's netns (checked while the inode number is surely the pod's).
for p in /proc/[0-9]*; do
    [ "$(readlink $p/ns/net 2>/dev/null)" = "net:[$netino]" ] && fail "process ${p#/proc/} is in the pod's netns"
done
$PODCTL destroy $RUN $STATE web || fail "destroy pod 'web'"
grep -q "$RUN\|$STATE/pods" /proc/self/mountinfo && fail "mounts left: $(grep "$M/" /proc/self/mountinfo)"
grep -q "$RUN\|$STATE/pods" /proc/$OBS/mountinfo && fail "mounts left in the observer: $(grep "$M/" /proc/$OBS/mountinfo)"
[ -z "$(ls -A $RUN/pods)$(ls -A $STATE/pods)" ] || fail "entries left: $(ls -A $RUN/pods) $(ls -A $STATE/pods)"

# hostNetwork: UTS and IPC of its own, the host's network.
$PODCTL create $RUN $STATE hostnet --host-network || fail "create a hostNetwork pod"
[ -e $RUN/pods/hostnet/ns/net ] && fail "a hostNetwork pod has a netns"
[ "$(nsenter --uts=$RUN/pods/hostnet/ns/uts hostname)" = hostnet ] || fail "hostNetwork pod hostname"
[ "$($PODCTL check $RUN hostnet)" = present ] || fail "hostNetwork pod not present"
$PODCTL destroy $RUN $STATE hostnet || fail "destroy the hostNetwork pod"

# A crash's leftovers: a pod directory never completed, a state directory alone.
mkdir -p $RUN/pods/half/ns $STATE/pods/orphan/volumes/data
mount --bind $RUN/pods/half/ns $RUN/pods/half/ns
[ "$($PODCTL list $RUN $STATE | tr '\n' ' ')" = "half orphan " ] || fail "list: $($PODCTL list $RUN $STATE)"
out=$($PODCTL check $RUN half) && fail "a half-built pod is reported sound"
case $out in *"incomplete"*) ;; *) fail "unexpected check result: $out" ;; esac
$PODCTL destroy $RUN $STATE half || fail "destroy the half-built pod"
$PODCTL destroy $RUN $STATE orphan || fail "destroy the orphan state"
[ -z "$($PODCTL list $RUN $STATE)" ] || fail "leftovers still listed: $($PODCTL list $RUN $STATE)"
grep -q "$RUN/" /proc/self/mountinfo && fail "mounts left after leftover cleanup"
$PODCTL destroy $RUN $STATE half || fail "destroy is not idempotent"
pass

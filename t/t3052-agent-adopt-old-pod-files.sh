#!/bin/bash
# A pod created before the pod's /etc files moved to their tmpfs (the files in
# RUN_DIR/pods/POD/ itself, the directory 0755) and before emptyDirs were nosuid,nodev mounts
# (plain directories in a 0755 volumes directory) is adopted by a newer agent: it keeps
# running, its directories become 0700, its disk emptyDir a nosuid,nodev mount, and a
# container that restarts in it gets its files bound nosuid,nodev,noexec and the emptyDir
# nosuid,nodev.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

put_pod old cmd='grep -E /etc/hosts /proc/self/mountinfo; grep -E /disk /proc/self/mountinfo; tail -n 1 /etc/hosts; echo started; exec sleep 3600' \
    ctr_yaml='    volumeMounts: [{name: disk, mountPath: /disk}]' pod_yaml='  volumes: [{name: disk, emptyDir: {}}]'
wait_phase 60 old Running
wait_for 20 sh -c "\"$TANK\" logs --config '$CFG' old main | grep -q started"
pid=$(ctr_jq old main .pid)
agent_kill9

# The layout of an older Tank.
P=$TMP/run/pods/old
for f in hosts resolv.conf hostname; do cp "$P/etc/$f" "$P/$f.tmp" || fail "copy $f"; done
umount -l "$P/etc" && rmdir "$P/etc" || fail "remove the etc tmpfs"
for f in hosts resolv.conf hostname; do mv "$P/$f.tmp" "$P/$f"; done
chmod 755 "$P"
V=$TMP/state/pods/old/volumes
umount -l "$V/disk" || fail "unmount the emptyDir's bind"
chmod 755 "$V"
grep -q " $V/disk " /proc/self/mountinfo && fail "the emptyDir is still a mount"

agent_start
wait_phase 60 old Running
[ "$(ctr_jq old main .pid)" = "$pid" ] || fail "the container was restarted on adoption"
[ "$(stat -c %a "$P")" = 700 ] || fail "the old pod's directory is $(stat -c %a "$P")"
[ "$(stat -c %a "$V")" = 700 ] || fail "the old pod's volumes directory is $(stat -c %a "$V")"
line=$(grep " $V/disk " /proc/self/mountinfo)
case $line in *nosuid*nodev* | *nodev*nosuid*) ;; *) fail "the adopted emptyDir: $line" ;; esac
kill -9 "$pid"
wait_jq 60 ".pods[] | select(.name == \"old\") | .containers[0].restarts >= 1 and .containers[0].state == \"running\""
# each instance has its own log (tank logs -p shows the one before the restart)
wait_for 20 sh -c "\"$TANK\" logs --config '$CFG' old main | grep -q started"
"$TANK" logs --config "$CFG" -p old main | grep -q started || fail "no log of the first instance"
out=$("$TANK" logs --config "$CFG" old main | tail -n 4)
echo "$out"
line=$(grep ' /etc/hosts ' <<<"$out")
case $line in *" $P/hosts /etc/hosts "*) ;; *) fail "the restarted container's /etc/hosts: $line" ;; esac
for f in nosuid nodev noexec; do
    grep -q "[ ,]$f[ ,]" <<<"$line" || fail "the old pod's /etc/hosts is not $f: $line"
done
grep -qx "127.0.1.1	old" <<<"$out" || fail "hosts: $out"
line=$(grep ' /disk ' <<<"$out")
for f in nosuid nodev; do
    grep -q "[ ,]$f[ ,]" <<<"$line" || fail "the old pod's emptyDir is not $f: $line"
done
rm -f "$PODS/old.yaml"
wait_gone 60 old
[ -e "$P" ] && fail "the old pod's directory is left: $(ls -la "$P")"
pass

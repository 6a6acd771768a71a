#!/bin/bash
# A pod created before the pod's /etc files moved to their tmpfs (the files in
# RUN_DIR/pods/POD/ itself, the directory 0755) is adopted by a newer agent: it keeps
# running, its directory becomes 0700, and a container that restarts in it gets those files,
# bound nosuid,nodev,noexec.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

put old Always 'grep -E /etc/hosts /proc/self/mountinfo; tail -n 1 /etc/hosts; echo started; exec sleep 3600'
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

agent_start
wait_phase 60 old Running
[ "$(ctr_jq old main .pid)" = "$pid" ] || fail "the container was restarted on adoption"
[ "$(stat -c %a "$P")" = 700 ] || fail "the old pod's directory is $(stat -c %a "$P")"
kill -9 "$pid"
wait_jq 60 ".pods[] | select(.name == \"old\") | .containers[0].restarts >= 1 and .containers[0].state == \"running\""
wait_for 20 sh -c "[ \$(\"$TANK\" logs --config '$CFG' old main | grep -c started) = 2 ]"
out=$("$TANK" logs --config "$CFG" old main | tail -n 3)
echo "$out"
line=$(grep ' /etc/hosts ' <<<"$out")
case $line in *" $P/hosts /etc/hosts "*) ;; *) fail "the restarted container's /etc/hosts: $line" ;; esac
for f in nosuid nodev noexec; do
    grep -q "[ ,]$f[ ,]" <<<"$line" || fail "the old pod's /etc/hosts is not $f: $line"
done
grep -qx "127.0.1.1	old" <<<"$out" || fail "hosts: $out"
rm -f "$PODS/old.yaml"
wait_gone 60 old
[ -e "$P" ] && fail "the old pod's directory is left: $(ls -la "$P")"
pass

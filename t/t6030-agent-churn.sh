#!/bin/bash
# Churn through the pods directory: CHURN_PODS pods (default 10; docs/RELIABILITY.md runs
# 200) created, edited (replaced) and deleted CHURN_ROUNDS times (default 3), driven by
# t/churn.py. The agent's fds, RSS, mounts and processes are compared between the first and
# the last empty state: no growth beyond a small allowance for allocator slack (RSS).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
# The agent's directories on a tmpfs (CHURN_TMPFS=0: on $TMP's filesystem), as /run is on most
# hosts: what is measured is the agent, not how a filesystem allocates inodes after mass
# deletes (on a journal-less ext4 that search dominates a round).
if [ "${CHURN_TMPFS:-1}" != 0 ]; then
    mount -t tmpfs -o size=4g,mode=0700 tank-churn "$TMP" || fail "cannot mount a tmpfs on $TMP"
    at_exit "umount -l '$TMP'"
fi
agent_setup
agent_start
skip_unless_containers_run
rm -f "$PODS/probe.yaml"
wait_gone 30 probe
N=${CHURN_PODS:-10}
R=${CHURN_ROUNDS:-3}
B=$((4000 + $$ % 1000)) # this run's workloads: sleep B0001.. (created), B5001.. (edited)
python3 "$TANK_SRC/t/churn.py" "$SOCK" "$PODS" "$TMP" "$IMAGE" "$AGENT_PID" "$N" "$R" "$B" |
    tee "$TMP/churn.log"
[ "${PIPESTATUS[0]}" = 0 ] || fail "churn: $(tail -n 1 "$TMP/churn.log")"
read -r _ f1 r1 m1 p1 < <(grep '^first ' "$TMP/churn.log")
read -r _ f2 r2 m2 p2 < <(grep '^last ' "$TMP/churn.log")
[ "$f2" -le "$f1" ] || fail "agent fds grew: $f1 -> $f2"
[ "$m2" = 0 ] && [ "$m1" = 0 ] || fail "mounts left: $m1 -> $m2"
[ "$p2" = 0 ] || fail "processes left: $(pgrep -af "^sleep ${B}")"
if grep -qa AddressSanitizer "$TANK"; then # make asan: freed memory waits in quarantine
    echo "RSS not compared (an ASan build holds freed memory back)"
else
    [ "$r2" -le $((r1 + 2048)) ] || fail "agent RSS grew: $r1 -> $r2 kB"
fi
[ -z "$(agent_pod_cgroups)" ] || fail "cgroups left: $(agent_pod_cgroups)"
kill -0 "$AGENT_PID" || fail "the agent died"
pass

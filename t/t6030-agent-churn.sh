#!/bin/bash
# Churn through the pods directory: CHURN_PODS pods (default 10; docs/RELIABILITY.md runs
# 200) created, edited (replaced) and deleted CHURN_ROUNDS times (default 3). The agent's
# fds, RSS, mounts and processes are compared between the first and the last empty state:
# no growth beyond a small allowance for allocator slack (RSS).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
rm -f "$PODS/probe.yaml"
wait_gone 30 probe
N=${CHURN_PODS:-10}
R=${CHURN_ROUNDS:-3}
B=$((4000 + $$ % 1000)) # sleeps of this run: B0001.. (created), B5001.. (edited)
U=${B}0000
# the agent's resources: fds, RSS (kB), mounts under $TMP, processes whose command line
# names this run's sleeps
measure() {
    echo "$(ls /proc/"$AGENT_PID"/fd | wc -l) $(awk '/^VmRSS/ {print $2}' /proc/"$AGENT_PID"/status)" \
        "$(grep -c " $TMP/" /proc/self/mountinfo)" "$( (pgrep -f "^sleep ${B}[0-9]{4}\$" || true) | wc -l)"
}
all_running() {
    [ "$(pods_json | jq "[.pods[] | select(.phase == \"Running\")] | length")" = "$N" ]
}
none() { [ "$(pods_json | jq '.pods | length')" = 0 ]; }
wait_for 30 none
first=
start=$SECONDS
for r in $(seq "$R"); do
    for i in $(seq "$N"); do put "c$i" Always "exec sleep $((U + i))"; done
    wait_for 180 all_running
    for i in $(seq "$N"); do put "c$i" Always "exec sleep $((U + 5000 + i))"; done
    wait_for 180 sh -c "[ \$(pgrep -f '^sleep ${B}[5-9][0-9]{3}\$' | wc -l) = $N ]"
    wait_for 180 all_running
    rm -f "$PODS"/c*.yaml
    wait_for 180 none
    m=$(measure)
    echo "round $r: fds rss_kb mounts procs = $m"
    [ -n "$first" ] || first=$m
done
echo "$R rounds of $N pods in $((SECONDS - start)) s"
read -r f1 r1 m1 p1 <<<"$first"
read -r f2 r2 m2 p2 <<<"$m"
[ "$f2" -le "$f1" ] || fail "agent fds grew: $f1 -> $f2"
[ "$m2" = 0 ] && [ "$m1" = 0 ] || fail "mounts left: $m1 -> $m2"
[ "$p2" = 0 ] || fail "processes left: $(pgrep -af "^sleep ${B}")"
[ "$r2" -le $((r1 + 2048)) ] || fail "agent RSS grew: $r1 -> $r2 kB"
kill -0 "$AGENT_PID" || fail "the agent died"
pass

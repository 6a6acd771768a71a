#!/bin/bash
# Limits survive the agent: a limited pod keeps running through a kill -9 of the agent, a
# second pod is removed while the agent is down, and a third one was stopped before. The
# new agent adopts the first (same process, still in its cgroup, its memory limit and cpu
# quota unchanged, a busy loop still held to limits.cpu 200m), stops the removed one and
# leaves no cgroup of a pod that is gone; once every pod is removed, no cgroup remains.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
rm -f "$PODS/probe.yaml"
wait_gone 30 probe
# cgdir CONTROLLER POD [CTR]: the cgroup in that controller's hierarchy.
cgdir() {
    local cg
    for cg in $(agent_cgroups); do
        case $cg in */"$1"/* | */"$1",*/* | *,"$1"/*) echo "$cg/$2${3:+/$3}"; return ;; esac
    done
    [ "$(agent_cgroups | wc -l)" = 1 ] && echo "$(agent_cgroups)/$2${3:+/$3}"
}
v2=false
[ -e "$(agent_cgroups | head -n 1)/cgroup.controllers" ] && v2=true
# cpu_us POD CTR: the CPU time the container's cgroup used, in µs.
cpu_us() {
    if $v2; then
        awk '/^usage_usec / {print $2}' "$(cgdir cpu "$1" "$2")/cpu.stat"
    else
        echo $(($(cat "$(cgdir cpuacct "$1" "$2")/cpuacct.usage") / 1000))
    fi
}
# limits POD CTR: the memory limit and cpu quota its cgroup files hold.
limits() {
    if $v2; then
        echo "$(cat "$(cgdir memory "$1" "$2")/memory.max") $(cut -d' ' -f1 "$(cgdir cpu "$1" "$2")/cpu.max")"
    else
        echo "$(cat "$(cgdir memory "$1" "$2")/memory.limit_in_bytes") $(cat "$(cgdir cpu "$1" "$2")/cpu.cfs_quota_us")"
    fi
}
put_limited() { # NAME COMMAND
    pod_manifest "$1" grace=1 cmd="$2" ctr_yaml="    resources:
      limits: {cpu: 200m, memory: 32Mi}" >"$PODS/.$1.tmp" && mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
put_limited keep 'while :; do :; done'
put_limited drop 'exec sleep 100391'
put_limited gone 'exec sleep 100392'
wait_phase 60 keep Running
wait_phase 60 drop Running
wait_phase 60 gone Running
rm "$PODS/gone.yaml"
wait_gone 30 gone
pid=$(ctr_jq keep main .pid)
want="33554432 20000"
[ "$(limits keep main)" = "$want" ] || fail "limits before: $(limits keep main)"

agent_kill9
rm "$PODS/drop.yaml"
agent_start
wait_gone 30 drop
wait_phase 30 keep Running
[ "$(ctr_jq keep main .pid)" = "$pid" ] || fail "keep was restarted, not adopted"
for cg in $(agent_cgroups); do
    grep -qx "$pid" "$cg/keep/main/cgroup.procs" || fail "the adopted workload left $cg/keep/main"
    [ -e "$cg/drop" ] && fail "the cgroup of a pod removed while the agent was down remains: $cg/drop"
    [ -e "$cg/gone" ] && fail "the cgroup of a stopped pod remains: $cg/gone"
done
pgrep -f "sleep 100391" >/dev/null && fail "the removed pod's process still runs"
[ "$(limits keep main)" = "$want" ] || fail "limits after the adoption: $(limits keep main)"
c0=$(cpu_us keep main)
sleep 3
c1=$(cpu_us keep main)
milli=$(((c1 - c0) / 3000))
echo "# busy loop under limits.cpu 200m after the adoption: ${milli}m"
[ "$milli" -le 250 ] || fail "limits.cpu 200m no longer holds after the adoption: ${milli}m"
[ "$milli" -ge 50 ] || fail "the adopted busy loop hardly ran: ${milli}m"

rm "$PODS/keep.yaml"
wait_gone 30 keep
[ -z "$(agent_pod_cgroups)" ] || fail "cgroups left: $(agent_pod_cgroups)"
pass

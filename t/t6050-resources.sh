#!/bin/bash
# Requests and limits as the kubelet maps them, on this machine's cgroups: a container
# allocating past limits.memory 32Mi ends OOMKilled 137 and is restarted; limits.cpu 200m
# holds a busy loop to about 0.2 CPU; the cgroup files carry the kubelet's values; a fork
# bomb stays inside its pod ([resources] pod_pids_limit) and a sibling pod still starts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds find
agent_setup
printf 'pod_pids_limit = 64\n' >>"$CFG"
agent_start
skip_unless_containers_run
# cgdir CONTROLLER POD CTR: the container's cgroup in that controller's hierarchy.
cgdir() {
    local cg
    for cg in $(agent_cgroups); do
        case $cg in */"$1"/* | */"$1",*/* | *,"$1"/*) echo "$cg/$2${3:+/$3}"; return ;; esac
    done
    # cgroup v2: one hierarchy
    [ "$(agent_cgroups | wc -l)" = 1 ] && echo "$(agent_cgroups)/$2${3:+/$3}"
}
v2=false
[ -e "$(agent_cgroups | head -n 1)/cgroup.controllers" ] && v2=true

mkdir -p "$TMP/hp"
cat >"$PODS/mem.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: mem
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    resources:
      limits: {memory: 32Mi}
    command:
    - sh
    - -c
    - |
      if [ ! -e /hp/ran ]; then touch /hp/ran; x=\$(head -c 80000000 /dev/zero | tr '\\0' a); fi
      exec sleep 100356
    volumeMounts:
    - {name: hp, mountPath: /hp}
  volumes:
  - name: hp
    hostPath: {path: $TMP/hp, type: Directory}
---
apiVersion: v1
kind: Pod
metadata:
  name: cpu
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    resources:
      requests: {cpu: 100m, memory: 16Mi}
      limits: {cpu: 200m}
    command: ["sh", "-c", "while :; do :; done"]
EOC
wait_phase 60 cpu Running
wait_jq 60 '.pods[] | select(.name == "mem") | .containers[0].restarts >= 1'
wait_phase 60 mem Running
"$TANK" status --config "$CFG" mem | grep -q OOMKilled ||
    fail "no OOMKilled in the pod's status: $("$TANK" status --config "$CFG" mem)"
"$TANK" status --config "$CFG" mem | grep -q "137" ||
    fail "no exit code 137 in the pod's status: $("$TANK" status --config "$CFG" mem)"

# The files, as the kubelet writes them.
m=$(cgdir memory mem main)
c=$(cgdir cpu cpu main)
if $v2; then
    [ "$(cat "$m/memory.max")" = 33554432 ] || fail "memory.max: $(cat "$m/memory.max")"
    [ "$(cat "$c/cpu.max")" = "20000 100000" ] || fail "cpu.max: $(cat "$c/cpu.max")"
else
    [ "$(cat "$m/memory.limit_in_bytes")" = 33554432 ] || fail "memory limit: $(cat "$m/memory.limit_in_bytes")"
    if [ -e "$m/memory.memsw.limit_in_bytes" ]; then
        [ "$(cat "$m/memory.memsw.limit_in_bytes")" = 33554432 ] || fail "swap beyond the limit"
    fi
    [ "$(cat "$c/cpu.cfs_quota_us")" = 20000 ] || fail "cfs_quota_us: $(cat "$c/cpu.cfs_quota_us")"
    [ "$(cat "$c/cpu.cfs_period_us")" = 100000 ] || fail "cfs_period_us: $(cat "$c/cpu.cfs_period_us")"
    [ "$(cat "$c/cpu.shares")" = 102 ] || fail "cpu.shares: $(cat "$c/cpu.shares")"
fi

# 200m holds a busy loop: CPU time over 3 s of wall time.
usage() {
    if $v2; then
        sed -n 's/^usage_usec //p' "$c/cpu.stat"
    else
        echo $(($(cat "$(cgdir cpuacct cpu main)/cpuacct.usage") / 1000))
    fi
}
u0=$(usage)
t0=$(date +%s%N)
sleep 3
u1=$(usage)
t1=$(date +%s%N)
milli=$(((u1 - u0) * 1000000 / (t1 - t0)))
echo "# cpu of a busy loop under limits.cpu 200m: ${milli}m"
[ "$milli" -le 250 ] || fail "limits.cpu 200m let a busy loop use ${milli}m"
[ "$milli" -ge 100 ] || fail "a busy loop under limits.cpu 200m got only ${milli}m"
# What the API, tank status and tank top show of it.
[ "$(ctr_jq cpu main '.resources | tojson')" = '{"requests":{"cpu":"100m","memory":"16Mi"},"limits":{"cpu":"200m"}}' ] ||
    fail "resources in the API: $(ctr_jq cpu main '.resources | tojson')"
[ "$(pod_jq cpu '.qosClass')" = Burstable ] || fail "qosClass: $(pod_jq cpu .qosClass)"
[ "$(pod_jq mem '.qosClass')" = Burstable ] || fail "qosClass of mem: $(pod_jq mem .qosClass)"
ctr_jq cpu main '.usage.cpuNanos' | grep -qx '[0-9]\+' || fail "no cpuNanos: $(ctr_jq cpu main .usage)"
ctr_jq mem main '.usage.memoryBytes' | grep -qx '[0-9]\+' || fail "no memoryBytes: $(ctr_jq mem main .usage)"
pod_jq cpu '.usage.cpuNanos' | grep -qx '[0-9]\+' || fail "no pod cpuNanos: $(pod_jq cpu .usage)"
st=$("$TANK" status --config "$CFG" cpu)
grep -q "QoS Class: *Burstable" <<<"$st" || fail "no QoS class in tank status: $st"
grep -q "Requests: *cpu 100m, memory 16Mi" <<<"$st" || fail "no requests in tank status: $st"
grep -q "Limits: *cpu 200m" <<<"$st" || fail "no limits in tank status: $st"
top=$("$TANK" top --config "$CFG")
echo "$top" | sed 's/^/# /'
grep -q "^NAME *CPU(cores) *MEMORY(bytes)" <<<"$top" || fail "tank top header: $top"
tc=$(awk '$1 == "cpu" {print $2}' <<<"$top" | tr -d m)
[ -n "$tc" ] && [ "$tc" -ge 50 ] && [ "$tc" -le 260 ] || fail "tank top: cpu pod at ${tc}m: $top"
top=$("$TANK" top --config "$CFG" cpu)
grep -q "^cpu *main *[0-9]*m *[0-9]*Mi" <<<"$top" || fail "tank top POD: $top"
rm "$PODS/mem.yaml"
wait_gone 30 mem
wait_gone 30 cpu

# Pod-level resources (spec.resources) go to the pod's cgroup; the containers share them.
cat >"$PODS/podres.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: podres
spec:
  terminationGracePeriodSeconds: 1
  resources:
    limits: {cpu: 300m, memory: 48Mi}
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sleep", "100361"]
EOC
wait_phase 60 podres Running
pm=$(cgdir memory podres)
pc=$(cgdir cpu podres)
if $v2; then
    [ "$(cat "$pm/memory.max")" = 50331648 ] || fail "pod memory.max: $(cat "$pm/memory.max")"
    [ "$(cat "$pc/cpu.max")" = "30000 100000" ] || fail "pod cpu.max: $(cat "$pc/cpu.max")"
else
    [ "$(cat "$pm/memory.limit_in_bytes")" = 50331648 ] || fail "pod memory limit: $(cat "$pm/memory.limit_in_bytes")"
    [ "$(cat "$pc/cpu.cfs_quota_us")" = 30000 ] || fail "pod cfs_quota_us: $(cat "$pc/cpu.cfs_quota_us")"
fi
[ "$(pod_jq podres '.resources | tojson')" = '{"requests":{"cpu":"300m","memory":"48Mi"},"limits":{"cpu":"300m","memory":"48Mi"}}' ] ||
    fail "pod resources in the API: $(pod_jq podres '.resources | tojson')"
[ "$(pod_jq podres .qosClass)" = Guaranteed ] || fail "podres qosClass: $(pod_jq podres .qosClass)"
rm "$PODS/podres.yaml"
wait_gone 30 podres

# A fork bomb stays inside its pod: pids.max of the pod is pod_pids_limit, a sibling starts.
put bomb Always 'while :; do sleep 100357 & done 2>/dev/null'
wait_phase 60 bomb Running
# (busybox sh exits when a fork fails; the pod restarts it: the limit is hit again and again)
# (v1 counts a refused fork in the forking task's cgroup, v2 in the limited one)
wait_for 60 sh -c "cat '$(cgdir pids bomb)/pids.events' '$(cgdir pids bomb main)/pids.events' 2>/dev/null | grep -q '^max [1-9]'"
[ "$(cat "$(cgdir pids bomb)/pids.max")" = 64 ] || fail "pids.max: $(cat "$(cgdir pids bomb)/pids.max")"
put sibling Always "exec sleep 100358"
wait_phase 30 sibling Running
rm "$PODS/bomb.yaml" "$PODS/sibling.yaml"
wait_gone 30 bomb
pgrep -f "sleep 100357" >/dev/null && fail "the fork bomb's processes outlived its pod"
pass

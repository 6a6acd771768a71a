#!/bin/bash
# In-place resize (resizePolicy): a change of only limits.memory of a running pod rewrites
# its cgroup file and the container keeps its process (NotRequired, the default); with
# RestartContainer for memory the container restarts with the new limit; a change that
# also touches something else replaces the pod. Then OOMKilled survives a kill -9 of the
# agent and its cgroup is gone: the adopted container still shows OOMKilled 137 (recorded
# beside its exit).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
# memfile POD CTR: the container's memory limit file.
memfile() {
    local cg
    for cg in $(agent_cgroups); do
        case $cg in */memory/* | */memory,*/* | *,memory/*) echo "$cg/$1/$2/memory.limit_in_bytes"; return ;; esac
    done
    echo "$(agent_cgroups | head -n 1)/$1/$2/memory.max"
}
# resize NAME POLICY MEM [CMD]
resize() {
    put_pod "$1" grace=1 cmd="${4:-exec sleep 100371}" ctr_yaml="    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: memory, restartPolicy: $2}
    resources:
      limits: {memory: $3}"
}
resize inplace NotRequired 32Mi
resize restart RestartContainer 32Mi "exec sleep 100372"
wait_phase 60 inplace Running
wait_phase 60 restart Running
[ "$(cat "$(memfile inplace main)")" = 33554432 ] || fail "memory limit: $(cat "$(memfile inplace main)")"
p1=$(ctr_jq inplace main .pid)
r1=$(ctr_jq restart main .pid)
[ "$p1" -gt 0 ] && [ "$r1" -gt 0 ] || fail "no pids: $p1 $r1"

resize inplace NotRequired 48Mi
resize restart RestartContainer 48Mi "exec sleep 100372"
wait_for 30 sh -c "[ \"\$(cat '$(memfile inplace main)')\" = 50331648 ]" ||
    fail "the memory limit was not rewritten in place: $(cat "$(memfile inplace main)")"
[ "$(ctr_jq inplace main .pid)" = "$p1" ] || fail "the NotRequired container was restarted"
[ "$(ctr_jq inplace main .restarts)" = 0 ] || fail "restarts of the NotRequired container"
[ "$(ctr_jq inplace main .resources.limits.memory)" = 48Mi ] ||
    fail "the API shows the old limit: $(ctr_jq inplace main .resources)"
kill -0 "$p1" || fail "the resized container's process is gone"
grep -q "pod 'inplace': resized in place" "$TMP/agent.log" || fail "no resize in the log"

wait_jq 30 '.pods[] | select(.name == "restart") | .containers[0].restarts == 1'
wait_phase 30 restart Running
r2=$(ctr_jq restart main .pid)
[ "$r2" != "$r1" ] || fail "the RestartContainer container kept its pid"
[ "$(cat "$(memfile restart main)")" = 50331648 ] || fail "restart: memory limit $(cat "$(memfile restart main)")"
kill -0 "$r1" 2>/dev/null && fail "the old process of the restarted container still runs"

# Something else changes too: the pod is replaced (its container starts anew).
resize inplace NotRequired 48Mi "exec sleep 100373"
wait_jq 30 '.pods[] | select(.name == "inplace") | .containers[0].pid != '"$p1"' and .phase == "Running"' ||
    fail "a command change did not replace the pod"
rm "$PODS/inplace.yaml" "$PODS/restart.yaml"
wait_gone 30 inplace
wait_gone 30 restart

# OOMKilled, then the agent is killed: the adopted container still says OOMKilled 137.
cat >"$PODS/oom.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: oom
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    resources:
      limits: {memory: 32Mi}
    command: ["sh", "-c", "x=\$(head -c 80000000 /dev/zero | tr '\\\\0' a)"]
EOC
wait_jq 60 '.pods[] | select(.name == "oom") | .containers[0].state == "terminated"' ||
    fail "the oom pod did not end: $(pod_jq oom .)"
[ "$(ctr_jq oom main .reason)" = OOMKilled ] || fail "reason: $(ctr_jq oom main .)"
agent_kill9
# (its cgroup goes too, as it would with a container restarted or swept: the record stays)
for cg in $(agent_cgroups); do
    [ -d "$cg/oom/main" ] && { rmdir "$cg/oom/main" || fail "rmdir $cg/oom/main"; }
done
agent_start
wait_jq 30 '.pods[] | select(.name == "oom") | .containers[0].state == "terminated"' ||
    fail "the adopted oom pod: $(pod_jq oom .)"
[ "$(ctr_jq oom main .reason)" = OOMKilled ] || fail "after the agent's restart, reason: $(ctr_jq oom main .)"
[ "$(ctr_jq oom main .exitCode)" = 137 ] || fail "after the agent's restart, exit code: $(ctr_jq oom main .)"
pass

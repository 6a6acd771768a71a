#!/bin/bash
# Admission by requests, as the kubelet's: with 100Mi allocatable ([resources]
# reserved_memory = the rest), a pod requesting 60Mi runs, a second one stays Pending with
# reason OutOfmemory and the numbers, and starts by itself once the first is removed; a pod
# requesting more CPUs than the host has is OutOfcpu.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_allocatable_memory 100
agent_start
skip_unless_containers_run

# put_req NAME CPU MEMORY: a pod requesting them.
put_req() {
    put_pod "$1" grace=1 argv='["sleep", "100359"]' ctr_yaml="    resources:
      requests: {cpu: \"$2\", memory: \"$3\"}"
}
put_req first 10m 60Mi
wait_phase 60 first Running
put_req second 10m 60Mi
put_req huge 100000 1Mi
wait_jq 30 '.pods[] | select(.name == "second" and .reason == "OutOfmemory")'
wait_jq 30 '.pods[] | select(.name == "huge" and .reason == "OutOfcpu")'
[ "$(pod_phase second)" = Pending ] || fail "second is $(pod_phase second)"
msg=$(pod_jq second .message)
echo "# $msg"
grep -q "not enough memory on this host: the pod requests 60Mi, the admitted pods 60Mi of 100Mi allocatable" <<<"$msg" ||
    fail "the message lacks the numbers: $msg"
[ "$(ctr_jq second main .pid)" = null ] || fail "second runs although it does not fit"
"$TANK" status --config "$CFG" | grep -q "^second .*OutOfmemory" ||
    fail "tank status does not say OutOfmemory: $("$TANK" status --config "$CFG")"

rm "$PODS/first.yaml"
wait_gone 30 first
wait_phase 30 second Running
[ "$(pod_jq second .reason)" = null ] || fail "second keeps a reason: $(pod_jq second .reason)"
[ "$(pod_jq huge .reason)" = OutOfcpu ] || fail "huge: $(pod_jq huge .reason)"
pass

#!/bin/bash
# An in-place resize goes through admission, as the kubelet's: with 100Mi allocatable, a
# running pod whose memory request grows past what the other admitted pods leave is not
# resized (it keeps its resources and its process) and its condition PodResizePending says
# Deferred with the numbers; one larger than the allocatable is Infeasible; the deferred
# resize goes through by itself once the other pod is removed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_allocatable_memory 100
agent_start
skip_unless_containers_run

# put_req NAME MEMORY: a pod requesting MEMORY (resizePolicy NotRequired, the default).
put_req() {
    put_pod "$1" grace=1 argv='["sleep", "100381"]' ctr_yaml="    resources:
      requests: {cpu: 10m, memory: $2}"
}
pending() { pod_jq grow '.conditions[] | select(.type == "PodResizePending") | '"$1"; }
put_req big 60Mi
put_req grow 20Mi
wait_phase 60 big Running
wait_phase 60 grow Running
pid=$(ctr_jq grow main .pid)
[ -n "$(pending .reason)" ] && fail "a resize is pending before any: $(pod_jq grow .conditions)"

put_req grow 50Mi
wait_jq 30 '.pods[] | select(.name == "grow") | .conditions[] | select(.type == "PodResizePending" and .reason == "Deferred")' ||
    fail "no Deferred resize: $(pod_jq grow .conditions)"
msg=$(pending .message)
echo "# $msg"
grep -q "the pod would request 50Mi, the other admitted pods 60Mi of 100Mi allocatable" <<<"$msg" ||
    fail "the message lacks the numbers: $msg"
[ "$(pending .status)" = True ] || fail "PodResizePending status: $(pending .status)"
[ "$(ctr_jq grow main .resources.requests.memory)" = 20Mi ] ||
    fail "the deferred resize was applied: $(ctr_jq grow main .resources)"
[ "$(ctr_jq grow main .pid)" = "$pid" ] || fail "the pod was restarted instead of kept"
[ "$(pod_phase grow)" = Running ] || fail "grow is $(pod_phase grow)"
"$TANK" events --config "$CFG" 2>/dev/null | grep -q "ResizePending.*Deferred" ||
    grep -q "grow: ResizePending: Deferred: resize deferred" "$TMP/agent.log" || fail "no ResizePending event"

put_req grow 200Mi
wait_jq 30 '.pods[] | select(.name == "grow") | .conditions[] | select(.type == "PodResizePending" and .reason == "Infeasible")' ||
    fail "no Infeasible resize: $(pod_jq grow .conditions)"
grep -q "the pod would request 200Mi of memory, more than the 100Mi allocatable" <<<"$(pending .message)" ||
    fail "Infeasible message: $(pending .message)"
[ "$(ctr_jq grow main .resources.requests.memory)" = 20Mi ] || fail "the infeasible resize was applied"

# Deferred again; the other pod goes: the resize goes through, in place.
put_req grow 50Mi
wait_jq 30 '.pods[] | select(.name == "grow") | .conditions[] | select(.reason == "Deferred")' ||
    fail "no Deferred resize: $(pod_jq grow .conditions)"
rm "$PODS/big.yaml"
wait_gone 30 big
wait_jq 30 '.pods[] | select(.name == "grow") | .containers[0].resources.requests.memory == "50Mi"' ||
    fail "the deferred resize was not applied once room freed: $(ctr_jq grow main .resources)"
[ -z "$(pending .reason)" ] || fail "PodResizePending stays: $(pod_jq grow .conditions)"
[ "$(ctr_jq grow main .pid)" = "$pid" ] || fail "the resized pod was restarted"
[ "$(ctr_jq grow main .restarts)" = 0 ] || fail "the resized container restarted"
pass

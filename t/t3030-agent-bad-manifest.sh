#!/bin/bash
# A bad manifest shows its error (file, line, column) and leaves the other pods alone; a
# running pod whose own manifest turns invalid keeps running its last valid spec.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

put good Always "exec sleep 100331"
put other Always "exec sleep 100332"
wait_phase 60 good Running
wait_phase 60 other Running
good_pid=$(ctr_jq good main .pid)
other_pid=$(ctr_jq other main .pid)

printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers: []\n' >"$PODS/bad.yaml"
wait_jq 30 '.errors | length > 0'
json=$(pods_json)
jq -e '.errors[] | select(.file | endswith("/bad.yaml")) | .line > 0 and .column > 0' <<<"$json" >/dev/null ||
    fail "error without position: $json"
"$TANK" status --config "$CFG" | grep -q "bad.yaml:[0-9]*:[0-9]*: " || fail "table shows no error"

# good.yaml turns invalid: good keeps running, unchanged; the error names good.yaml.
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers:\n  - name: main\n    image: x\n    volumeDevices: []\n' >"$PODS/good.yaml"
wait_jq 30 '[.errors[] | select(.file | endswith("/good.yaml"))] | length == 1'
sleep 1 # (give a wrong stop the chance to show)
[ "$(pod_phase good)" = Running ] || fail "good stopped after its manifest turned invalid"
[ "$(ctr_jq good main .pid)" = "$good_pid" ] || fail "good was restarted"
[ "$(ctr_jq other main .pid)" = "$other_pid" ] || fail "other was disturbed"
kill -0 "$good_pid" || fail "good's workload died"

# Fixed: the error goes, good is replaced by the fixed spec; removing bad.yaml clears all.
put good Always "exec sleep 100333"
rm "$PODS/bad.yaml"
wait_jq 60 '(.errors | length) == 0 and ([.pods[] | select(.name == "good" and .phase == "Running")] | length) == 1'
wait_jq 60 '.pods[] | select(.name == "good") | .containers[0].pid != '"$good_pid"' and .containers[0].state == "running"'
[ "$(ctr_jq other main .pid)" = "$other_pid" ] || fail "other was disturbed"
pass

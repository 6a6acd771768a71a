#!/bin/bash
# A Job's life through the agent with real containers: a Job failing twice then succeeding
# waits the exponential back-off between its pods (TANK_TEST_JOB_BACKOFF_MS=2000: 2 s, then
# 4 s), ends Complete, and is not run again after an agent restart, a new revision of its
# file with the same spec, or once ttlSecondsAfterFinished removed its pods (its outcome is
# recorded in state_dir); a changed spec runs again. A Job hitting activeDeadlineSeconds
# ends Failed with reason DeadlineExceeded and its running pod is stopped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
export TANK_TEST_JOB_BACKOFF_MS=2000
agent_setup
agent_start
skip_unless_containers_run
mkdir -p "$TMP/data"

flaky() { # EXTRA-SPEC-LINE
    cat >"$PODS/.flaky.tmp" <<EOM
# revision ${REV:-1}
apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  backoffLimit: 4
  ${1:-completions: 1}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      volumes: [{name: data, hostPath: {path: $TMP/data}}]
      containers:
      - name: main
        image: $IMAGE
        volumeMounts: [{name: data, mountPath: /data}]
        command: ["sh", "-c", "date +%s >>/data/runs; [ \$(wc -l </data/runs) -ge 3 ]"]
EOM
    mv "$PODS/.flaky.tmp" "$PODS/flaky.yaml"
}
job_jq() { pods_json | jq -c ".workloads[] | select(.kind == \"Job\" and .name == \"$1\") | $2"; }
flaky
wait_jq 40 '.workloads[] | select(.name == "flaky") | .succeeded == 1 and .failed == 2 and
    (.conditions | map(.type) == ["Complete"])' ||
    fail "flaky does not complete: $(pods_json | jq -c '.workloads, [.pods[] | {name, phase}]')"
set -- $(cat "$TMP/data/runs")
[ $# = 3 ] || fail "expected 3 runs, got: $*"
[ $(($2 - $1)) -ge 2 ] || fail "the 2nd pod did not wait the 2 s back-off: $*"
[ $(($3 - $2)) -ge 4 ] || fail "the 3rd pod did not wait the doubled 4 s back-off: $*"
[ "$(pods_json | jq '[.pods[] | select(.owner.name == "flaky")] | length')" = 3 ] ||
    fail "not 3 pods: $(pods_json | jq -c '[.pods[] | {name, phase}]')"
job_jq flaky '.startTime != null and .completionTime != null' | grep -qx true ||
    fail "no start/completion time: $(job_jq flaky .)"
"$TANK" status --config "$CFG" | grep -Eq '^flaky +Job +1/1 .*Complete' ||
    fail "tank status: $("$TANK" status --config "$CFG")"
"$TANK" status --config "$CFG" job/flaky | grep -Eq '^  Complete +True' ||
    fail "tank status job/flaky: $("$TANK" status --config "$CFG" job/flaky)"
echo "ok: a Job failing twice waits 2 s then 4 s between pods and completes"

agent_stop
agent_start
sleep 2
REV=2 flaky
"$TANK" sync --config "$CFG" >/dev/null 2>&1 || true
sleep 2
[ "$(wc -l <"$TMP/data/runs")" = 3 ] || fail "the finished Job ran again: $(cat "$TMP/data/runs")"
job_jq flaky '.conditions | map(.type)' | grep -qx '\["Complete"\]' ||
    fail "Complete lost after a restart: $(job_jq flaky .)"
echo "ok: a finished Job is not run again after an agent restart and a new revision"

# The TTL removes the pods; the record keeps the Job finished (no new pod after a restart).
REV=3 flaky "ttlSecondsAfterFinished: 1"
rm -f "$TMP/data/runs"
echo 1 >"$TMP/data/runs"; echo 1 >>"$TMP/data/runs" # the changed spec succeeds at once
wait_jq 30 '.workloads[] | select(.name == "flaky") | (.conditions | map(.type) == ["Complete"])
    and .succeeded == 1' || fail "changed spec did not run: $(job_jq flaky .)"
[ "$(wc -l <"$TMP/data/runs")" = 3 ] || fail "changed spec: runs $(cat "$TMP/data/runs")"
wait_jq 20 '[.pods[] | select(.owner.name == "flaky")] | length == 0' ||
    fail "ttlSecondsAfterFinished did not remove the pods: $(pods_json | jq -c '[.pods[] | {name, phase}]')"
agent_stop
agent_start
sleep 2
[ "$(wc -l <"$TMP/data/runs")" = 3 ] || fail "the Job ran again once its pods were gone"
[ "$(pods_json | jq '[.pods[] | select(.owner.name == "flaky")] | length')" = 0 ] ||
    fail "pods again after the TTL: $(pods_json | jq -c '[.pods[] | {name, phase}]')"
job_jq flaky '.conditions | map(.type)' | grep -qx '\["Complete"\]' ||
    fail "Complete lost once the pods were removed: $(job_jq flaky .)"
ls "$TMP/state/jobs/flaky" >/dev/null || fail "no record in state_dir"
echo "ok: a changed spec runs again; the TTL removes the pods and the record keeps it done"

cat >"$PODS/.slow.tmp" <<EOM
apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  activeDeadlineSeconds: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - {name: main, image: $IMAGE, command: ["sleep", "300"]}
EOM
mv "$PODS/.slow.tmp" "$PODS/slow.yaml"
wait_jq 20 '.pods[] | select(.owner.name == "slow") | .phase == "Running"' || fail "slow does not run"
wait_jq 20 '.workloads[] | select(.name == "slow") | .conditions == [.conditions[] |
    select(.type == "Failed" and .reason == "DeadlineExceeded")] and (.conditions | length) == 1' ||
    fail "no DeadlineExceeded: $(job_jq slow .)"
wait_jq 20 '[.pods[] | select(.owner.name == "slow" and .phase == "Running")] | length == 0' ||
    fail "the running pod was not stopped: $(pods_json | jq -c '[.pods[] | {name, phase}]')"
echo "ok: activeDeadlineSeconds ends the Job (Failed, DeadlineExceeded) and stops its pod"

# The documentation's pi Job, perl replaced by busybox printing the first digits.
sed -E -e "s|^( *)image: .*|\1image: \"$IMAGE\"|" -e 's|^( *)command: .*|\1command: ["sh", "-c", "echo 3.14159"]|' \
    "$TANK_SRC/t/fixtures/spec/valid/k8s-job-pi.yaml" >"$PODS/.pi.tmp" && mv "$PODS/.pi.tmp" "$PODS/pi.yaml"
wait_jq 30 '.workloads[] | select(.name == "pi") | .conditions | map(.type) == ["Complete"]' ||
    fail "pi: $(job_jq pi .)"
"$TANK" logs --config "$CFG" "$(pods_json | jq -r '.pods[] | select(.owner.name == "pi") | .name')" |
    grep -qx 3.14159 || fail "pi's log"
echo "ok: the documentation's pi Job runs to Complete"
pass

#!/bin/bash
# Deployments and Jobs become the pods they own, through the agent with real containers:
# a Deployment of 3 replicas converges to 3 pods NAME-HASH-0..2 naming their owner; a
# template change gives a new hash (new pods, the old ones stopped); scaling to 1 keeps
# index 0; a Job's pod runs to completion and the Job shows Complete with its counts; a
# workload whose file turns invalid keeps its pods.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

deploy() { # REPLICAS VERSION
    cat >"$PODS/.web.tmp" <<EOM
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: $1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: $IMAGE
        command: ["sh", "-c", "echo $2; exec sleep 313000"]
EOM
    mv "$PODS/.web.tmp" "$PODS/web.yaml"
}
web_pods() { pods_json | jq -r '[.pods[] | select(.owner.kind == "Deployment" and .owner.name == "web") | .name] | sort | join(" ")'; }
web_running() { pods_json | jq -r '[.pods[] | select(.owner.name == "web" and .phase == "Running")] | length'; }

deploy 3 v1
wait_jq 60 '[.pods[] | select(.owner.name == "web" and .phase == "Running")] | length == 3' ||
    fail "3 replicas do not run: $(pods_json)"
set -- $(web_pods)
[ $# = 3 ] || fail "expected 3 pods, got: $*"
hash1=$(echo "$1" | sed -n 's/^web-\([bcdfghjklmnpqrstvwxz2456789]\{10\}\)-0$/\1/p')
[ -n "$hash1" ] || fail "pod name is not web-HASH-0: $1"
[ "$*" = "web-$hash1-0 web-$hash1-1 web-$hash1-2" ] || fail "pod names: $*"
pods_json | jq -e '.workloads[] | select(.kind == "Deployment" and .name == "web") |
    .replicas == 3 and .updated == 3 and (.pods | length) == 3' >/dev/null ||
    fail "workload status: $(pods_json | jq -c .workloads)"
"$TANK" logs --config "$CFG" "web-$hash1-1" 2>/dev/null | grep -qx v1 || fail "logs of web-$hash1-1"
wait_for 20 sh -c "\"$TANK\" status --config '$CFG' | grep -Eq '^web +Deployment +3/3 +3 +3 +[0-9]+s'" ||
    fail "tank status workloads table: $("$TANK" status --config "$CFG")"
"$TANK" status --config "$CFG" | head -1 | grep -Eq '^NAME +KIND +READY +UP-TO-DATE +AVAILABLE +AGE$' ||
    fail "no workloads table above the pods: $("$TANK" status --config "$CFG")"
echo "ok: a Deployment of 3 replicas converges to web-HASH-0..2"

# A typo keeps the pods running (as for a Pod); the error names the Deployment's file.
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: x}\n' \
    >"$PODS/.web.tmp" && mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_jq 20 '.errors | length > 0' || fail "no error for the broken Deployment"
sleep 1
[ "$(web_running)" = 3 ] || fail "a broken Deployment file stopped its pods: $(web_pods)"
pods_json | jq -e '.workloads[] | select(.name == "web") | (.pods | length) == 3' >/dev/null ||
    fail "the broken Deployment is not shown any more: $(pods_json | jq -c .workloads)"
echo "ok: a Deployment whose file turns invalid keeps its pods"

# A new template: a new hash, 3 new pods, none of the old ones left.
deploy 3 v2
wait_for 60 sh -c "[ \"\$(\"$TANK\" status --config '$CFG' -o json | jq -r '[.pods[] | select(.owner.name == \"web\")] | map(.name) | sort | join(\" \")' | grep -c $hash1)\" = 0 ]" ||
    fail "old pods remain: $(web_pods)"
wait_jq 60 '[.pods[] | select(.owner.name == "web" and .phase == "Running")] | length == 3' ||
    fail "new pods do not run: $(pods_json)"
set -- $(web_pods)
hash2=${1#web-}; hash2=${hash2%-0}
[ "$hash2" != "$hash1" ] && [ ${#hash2} = 10 ] || fail "template change kept hash $hash1: $*"
echo "ok: a template change replaces the pods with web-$hash2-N"

deploy 1 v2
wait_for 30 sh -c "[ \"\$(\"$TANK\" status --config '$CFG' -o json | jq -r '[.pods[] | select(.owner.name == \"web\") | .name] | join(\" \")')\" = web-$hash2-0 ]" ||
    fail "scale to 1: $(web_pods)"
echo "ok: scaling 3 -> 1 keeps web-HASH-0"

cat >"$PODS/.job.tmp" <<EOM
apiVersion: batch/v1
kind: Job
metadata: {name: count}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: $IMAGE
        command: ["sh", "-c", "echo counted"]
EOM
mv "$PODS/.job.tmp" "$PODS/count.yaml"
wait_jq 60 '.workloads[] | select(.kind == "Job" and .name == "count") |
    .succeeded == 1 and .failed == 0 and .active == 0 and
    (.conditions | map(.type) == ["Complete"])' ||
    fail "the Job does not complete: $(pods_json | jq -c '.workloads, [.pods[] | {name, phase}]')"
job_pod=$(pods_json | jq -r '.pods[] | select(.owner.kind == "Job") | .name')
echo "$job_pod" | grep -qx 'count-[bcdfghjklmnpqrstvwxz2456789]\{5\}' || fail "job pod name: $job_pod"
"$TANK" logs --config "$CFG" "$job_pod" 2>/dev/null | grep -qx counted || fail "job logs"
"$TANK" status --config "$CFG" | grep -Eq '^count +Job +1/1 +1 +Complete ' ||
    fail "tank status shows no complete Job: $("$TANK" status --config "$CFG")"
echo "ok: a Job's pod $job_pod runs to completion: Complete, succeeded 1"

# completions 3, parallelism 2: a third pod starts once one has ended; 3 succeed, no 4th.
job() { # NAME COMPLETIONS PARALLELISM BACKOFF CMD
    cat >"$PODS/.$1.tmp" <<EOM
apiVersion: batch/v1
kind: Job
metadata: {name: $1}
spec:
  completions: $2
  parallelism: $3
  backoffLimit: $4
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: $IMAGE
        command: ["sh", "-c", "$5"]
EOM
    mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
job three 3 2 6 "sleep 0.3"
# within 15s: the next pod follows the end of one at once, not at the 30s resync
wait_jq 15 '.workloads[] | select(.name == "three") | .succeeded == 3 and .active == 0 and
    (.conditions | map(.type) == ["Complete"])' ||
    fail "three completions: $(pods_json | jq -c '.workloads, [.pods[] | {name, phase}]')"
[ "$(pods_json | jq '[.pods[] | select(.owner.name == "three")] | length')" = 3 ] ||
    fail "more than 3 pods for 3 completions: $(pods_json | jq -c '[.pods[] | {name, phase}]')"
echo "ok: a Job of 3 completions, parallelism 2, runs 3 pods to Complete"

job failing 1 1 1 "exit 3"
wait_jq 15 '.workloads[] | select(.name == "failing") | .failed == 2 and .active == 0 and
    (.conditions | map(.reason) == ["BackoffLimitExceeded"])' ||
    fail "backoffLimit 1: $(pods_json | jq -c '.workloads, [.pods[] | {name, phase}]')"
sleep 1
[ "$(pods_json | jq '[.pods[] | select(.owner.name == "failing")] | length')" = 2 ] ||
    fail "more than backoffLimit + 1 pods: $(pods_json | jq -c '[.pods[] | {name, phase}]')"
echo "ok: a Job failing with backoffLimit 1 stops after 2 pods: Failed, BackoffLimitExceeded"

rm -f "$PODS/web.yaml" "$PODS/count.yaml" "$PODS/three.yaml" "$PODS/failing.yaml"
wait_jq 30 '.pods | length == 0' || fail "pods remain: $(web_pods)"
echo "ok: removing the manifests stops every owned pod"
pass

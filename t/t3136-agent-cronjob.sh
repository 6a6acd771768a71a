#!/bin/bash
# CronJobs through the agent with real containers, time driven by the test hook
# TANK_TEST_CLOCK (the controllers' clock starts at 2026-01-01T00:00:30Z and runs 30 times as
# fast: a minute in 2 seconds). Every minute: Forbid never runs two Jobs at once, Replace stops
# the running Job for the new one, Allow overlaps them, the history limit keeps the newest
# ended Jobs, suspend runs nothing. Then the agent is down for an hour: on its return a
# CronJob with startingDeadlineSeconds 300 catches up once (the most recent minute), one
# with 30 (older than that) does not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
EPOCH=1767225600 # 2026-01-01T00:00:00Z
export TANK_TEST_CLOCK="$((EPOCH + 30))x30"
agent_setup
agent_start
skip_unless_containers_run

cronjob() { # NAME POLICY COMMAND [EXTRA-SPEC-LINE]
    cat >"$PODS/.$1.tmp" <<EOM
apiVersion: batch/v1
kind: CronJob
metadata: {name: $1}
spec:
  schedule: "* * * * *"
  timeZone: Etc/UTC
  concurrencyPolicy: $2
  ${4:-suspend: false}
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers:
          - {name: main, image: "$IMAGE", command: ["sh", "-c", "$3"]}
EOM
    mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
cj_jq() { pods_json | jq -c ".workloads[] | select(.kind == \"CronJob\" and .name == \"$1\") | $2"; }

cronjob forbid Forbid "sleep 5"
cronjob replace Replace "echo started; exec sleep 300"
cronjob allow Allow "sleep 5"
cronjob history Allow "echo done" "successfulJobsHistoryLimit: 2"
cronjob suspended Allow "echo never" "suspend: true"
cronjob catchup Allow "echo caught up" "startingDeadlineSeconds: 300"
cronjob late Allow "echo late" "startingDeadlineSeconds: 30"

max_forbid=0 max_allow=0 max_replace=0 replace_names=
end=$((SECONDS + 18)) # 9 scheduled minutes
while [ $SECONDS -lt $end ]; do
    set -- $(pods_json | jq -r '[.workloads[] | select(.kind == "CronJob")] |
        [(.[] | select(.name == "forbid") | .active | length),
         (.[] | select(.name == "allow") | .active | length),
         (.[] | select(.name == "replace") | .jobs | length),
         (.[] | select(.name == "replace") | .jobs[])] | map(tostring) | join(" ")')
    [ "${1:-0}" -gt "$max_forbid" ] && max_forbid=$1
    [ "${2:-0}" -gt "$max_allow" ] && max_allow=$2
    [ "${3:-0}" -gt "$max_replace" ] && max_replace=$3
    shift 3 2>/dev/null && replace_names="$replace_names $*"
    sleep 0.3
done
j=$(pods_json)
echo "$j" | jq -c '.workloads[] | select(.kind == "CronJob") | {name, active, jobs, lastScheduleTime}' >"$TMP/cron.json"
[ "$max_forbid" = 1 ] || fail "Forbid ran $max_forbid Jobs at once: $(cat "$TMP/cron.json")"
runs() { grep -o "starting job '$1-[0-9]*'" "$TMP/agent.log" | sort -u | wc -l; }
forbid_runs=$(runs forbid) allow_runs=$(runs allow)
[ "$forbid_runs" -ge 2 ] && [ "$forbid_runs" -lt "$allow_runs" ] ||
    fail "Forbid started $forbid_runs Jobs, Allow $allow_runs in the same minutes"
echo "ok: Forbid never runs two Jobs at once ($forbid_runs runs while Allow started $allow_runs)"

[ "$max_allow" -ge 2 ] || fail "Allow never overlapped its Jobs: $(cat "$TMP/cron.json")"
echo "ok: Allow overlaps its Jobs (up to $max_allow at once)"

[ "$max_replace" = 1 ] || fail "Replace kept $max_replace Jobs: $(cat "$TMP/cron.json")"
n=$(tr ' ' '\n' <<<"$replace_names" | grep . | sort -u | wc -l)
[ "$n" -ge 5 ] || fail "Replace did not start a new Job each minute: $(tr ' ' '\n' <<<"$replace_names" | sort -u)"
running=$(echo "$j" | jq '[.pods[] | select((.owner.name // "") | startswith("replace-")) | select(.phase == "Running")] | length')
[ "$running" -le 1 ] || fail "Replace left $running pods running"
echo "ok: Replace stops the running Job for the new one ($n Jobs, one at a time)"

h=$(echo "$j" | jq '[.workloads[] | select(.name == "history") | .jobs[]] | length')
ha=$(echo "$j" | jq '[.workloads[] | select(.name == "history") | .active[]] | length')
[ "$h" -le $((2 + ha)) ] && [ "$h" -ge 2 ] || fail "successfulJobsHistoryLimit 2: $h Jobs kept ($ha active)"
[ "$(echo "$j" | jq '[.workloads[] | select(.name == "suspended") | .jobs[]] | length')" = 0 ] ||
    fail "a suspended CronJob ran"
[ -n "$(cj_jq forbid .lastScheduleTime | grep 2026-01-01T00:)" ] ||
    fail "lastScheduleTime is not in the hook's clock: $(cj_jq forbid .)"
echo "ok: the history limit keeps the newest Jobs; suspend runs nothing"

st=$("$TANK" status --config "$CFG" cronjob/forbid)
echo "$st" | grep -q '^Schedule: *\* \* \* \* \*$' && echo "$st" | grep -q '^Concurrency: *Forbid$' &&
    echo "$st" | grep -Eq '^Jobs: +forbid-[0-9]+' && echo "$st" | grep -Eq '^forbid-[0-9]+-[a-z0-9]{5} +[01]/1 ' ||
    fail "tank status cronjob/forbid: $st"
"$TANK" status --config "$CFG" | grep -Eq '^suspended +CronJob +0/0 +0 +Suspended ' ||
    fail "workloads table: $("$TANK" status --config "$CFG" | head -20)"
echo "ok: tank status cronjob/NAME shows the schedule, the Jobs and their pods"

# The documentation's CronJob (its busybox:1.28 replaced by the local image).
sed -E "s|^( *)image: .*|\1image: \"$IMAGE\"|" "$TANK_SRC/t/fixtures/spec/valid/k8s-cronjob.yaml" \
    >"$PODS/.hello.tmp" && mv "$PODS/.hello.tmp" "$PODS/hello.yaml"
wait_jq 30 '[.pods[] | select((.owner.name // "") | startswith("hello-")) | select(.phase == "Succeeded")] | length > 0' ||
    fail "the documentation's CronJob did not run: $(cj_jq hello .)"
pod=$(pods_json | jq -r '[.pods[] | select((.owner.name // "") | startswith("hello-"))][0].name')
"$TANK" logs --config "$CFG" "$pod" | grep -qx "Hello from the Kubernetes cluster" ||
    fail "hello's log: $("$TANK" logs --config "$CFG" "$pod" 2>&1)"
echo "ok: the documentation's CronJob example runs"

# Down for an hour: back at 01:00:45 (the clock at normal speed).
catchup_before=$(cj_jq catchup '.jobs')
late_before=$(cj_jq late '.jobs')
agent_stop
rm -f "$PODS"/forbid.yaml "$PODS"/replace.yaml "$PODS"/allow.yaml "$PODS"/history.yaml "$PODS"/hello.yaml
export TANK_TEST_CLOCK="$((EPOCH + 3645))"
agent_start
want=catchup-$(((EPOCH + 3600) / 60))
wait_jq 20 ".workloads[] | select(.name == \"catchup\") | .jobs | index(\"$want\") != null" ||
    fail "no catch-up run $want: $(cj_jq catchup .)"
sleep 2
[ "$(cj_jq catchup ".jobs - $catchup_before")" = "[\"$want\"]" ] ||
    fail "not one catch-up run: before $catchup_before, now $(cj_jq catchup .jobs)"
[ "$(cj_jq late ".jobs - $late_before")" = "[]" ] ||
    fail "a run older than startingDeadlineSeconds started: before $late_before, now $(cj_jq late .jobs)"
echo "ok: after an hour down, one catch-up run within startingDeadlineSeconds, none past it"
pass

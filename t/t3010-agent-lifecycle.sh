#!/bin/bash
# A pod's life through the pods directory, as a user drives it: drop a manifest → Running
# with a live pid and its log; edit it → replaced (old workload gone first); delete it →
# stopped and everything it had (processes, namespaces, mounts, state) is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

put web Always "echo hello from web; exec sleep 100301"
wait_phase 60 web Running
wait_jq 30 '.pods[] | select(.name == "web") | .containers[0].state == "running"'
pid=$(ctr_jq web main .pid)
[ "$pid" -gt 1 ] && kill -0 "$pid" || fail "pid '$pid' of a running container is not alive"
grep -q "sleep" "/proc/$pid/cmdline" || fail "pid $pid is not the workload: $(tr '\0' ' ' </proc/$pid/cmdline)"
[ "$(ctr_jq web main .restarts)" = 0 ] || fail "restarts should be 0"
[ "$(ctr_jq web main .imageDigest)" != null ] || fail "no image digest: $(pods_json)"
[ "$(pod_jq web .manifest)" = "$PODS/web.yaml" ] || fail "manifest path: $(pod_jq web .manifest)"
wait_for 20 sh -c "'$TANK' logs --config '$CFG' web | grep -qx 'hello from web'"
"$TANK" logs --config "$CFG" --timestamps web main | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.* hello from web$' ||
    fail "logs --timestamps: $("$TANK" logs --config "$CFG" --timestamps web main)"
[ -d "$TMP/run/pods/web" ] || fail "no run dir for the pod"
"$TANK" status --config "$CFG" | grep -Eq '^web +1/1 +Running +0 ' || fail "table: $("$TANK" status --config "$CFG")"
"$TANK" status --config "$CFG" web | grep -q "Started" || fail "detail view has no events"

# Edit: the pod is replaced; the old workload is gone before the new one runs.
old=$pid
put web Always "echo hello again; exec sleep 100302"
wait_jq 60 '.pods[] | select(.name == "web") | .phase == "Running" and .containers[0].state == "running" and .containers[0].pid != '"$old"
new=$(ctr_jq web main .pid)
kill -0 "$old" 2>/dev/null && fail "old workload $old still runs after the replacement"
grep -q 100302 "/proc/$new/cmdline" || fail "new workload does not run the new command"
grep -q "Killing" <(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=web") ||
    fail "no Killing event for the replacement"

# Delete: stopped and removed, nothing left.
rm "$PODS/web.yaml"
wait_gone 60 web
kill -0 "$new" 2>/dev/null && fail "workload $new still runs after the manifest was deleted"
[ ! -e "$TMP/run/pods/web" ] || fail "run dir left: $(ls -R "$TMP/run/pods/web")"
[ ! -e "$TMP/state/pods/web" ] || fail "state dir left: $(ls -R "$TMP/state/pods/web")"
grep -q " $TMP/run" /proc/self/mountinfo && fail "mounts left: $(grep " $TMP/run" /proc/self/mountinfo)"
[ ! -e "$TMP/log/web" ] || fail "logs left: $(ls "$TMP/log/web")"
pass

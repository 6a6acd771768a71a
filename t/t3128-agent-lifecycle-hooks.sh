#!/bin/bash
# Lifecycle hooks and termination messages, with real workloads: a postStart hook runs before
# the container counts as running (its file is there once it does); a failing postStart kills
# the container with the kubelet's FailedPostStartHook event; a preStop hook (exec, httpGet,
# sleep) runs before the stop signal, inside the grace period; the termination message the
# container writes (terminationMessagePath, default /dev/termination-log) and, with
# FallbackToLogsOnError, its log's last 80 lines become the terminated state's message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

H=$TMP/host
mkdir -p "$H"
ctr() { # NAME CMD [MORE YAML]: one container with the host directory at /h
    cat <<EOC
  - name: $1
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "$2"]
    volumeMounts: [{name: h, mountPath: /h}]
${3:-}
EOC
}
pod() { # NAME POLICY GRACE CONTAINERS
    {
        printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n' "$1"
        printf '  restartPolicy: %s\n  terminationGracePeriodSeconds: %s\n' "$2" "$3"
        printf '  volumes: [{name: h, hostPath: {path: %s, type: Directory}}]\n' "$H"
        printf '  containers:\n%s\n' "$4"
    } >"$PODS/.$1.tmp" && mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
ev() { curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=$1"; }

# postStart: the container is not running until its hook returned (the hook takes 2 s).
pod ps Always 1 "$(ctr main 'echo main >>/h/ps; exec sleep 1000' '    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "sleep 2; echo hook >>/h/ps"]}')"
wait_for 30 test -e "$H/ps" || fail "ps never started: $(pod_jq ps .)"
[ "$(ctr_jq ps main '.state + " " + .reason')" = "waiting ContainerCreating" ] ||
    fail "running before its postStart returned: $(ctr_jq ps main .)"
wait_jq 10 '.pods[] | select(.name == "ps") | .containers[0].state == "running" and .containers[0].ready' ||
    fail "ps not running after its hook: $(ctr_jq ps main .)"
[ "$(tr '\n' ' ' <"$H/ps")" = "main hook " ] || fail "postStart: $(cat "$H/ps")"

# A failing postStart: FailedPostStartHook, the container killed, the policy restarts it.
pod pf Always 1 "$(ctr main 'exec sleep 1000' '    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "echo no way >&2; exit 7"]}')"
wait_for 30 sh -c "curl -fsS --unix-socket '$SOCK' 'http://tank/v1/events?pod=pf' | grep -q FailedPostStartHook" ||
    fail "no FailedPostStartHook: $(ev pf)"
ev pf | grep FailedPostStartHook | grep -q 'Exec lifecycle hook (\[sh -c echo no way >&2; exit 7\]) for Container \\"main\\" in Pod \\"pf\\" failed - error: no way' ||
    fail "FailedPostStartHook message: $(ev pf | grep FailedPostStartHook)"
wait_jq 30 '.pods[] | select(.name == "pf") | .containers[0].restarts >= 1' ||
    fail "pf not restarted: $(ctr_jq pf main .)"
[ "$(ctr_jq pf main .ready)" = false ] || fail "pf ready with a failing postStart"
rm -f "$PODS/ps.yaml" "$PODS/pf.yaml"

# preStop: exec, httpGet and sleep, each before the stop signal (the workload notes when its
# SIGTERM comes), and inside the grace period.
term() { echo "trap 'echo \$(date +%s) term >>/h/$1; exit 0' TERM; while true; do sleep 0.1; done"; }
pod stop Always 6 "$(ctr ex "$(term ex)" '    lifecycle:
      preStop:
        exec: {command: ["sh", "-c", "echo $(date +%s) prestop >>/h/ex; sleep 1"]}')
$(ctr web "mkdir -p /w; echo ok >/w/quit; httpd -p 8080 -h /w; $(term web)" '    lifecycle:
      preStop:
        httpGet: {path: /quit, port: 8080}')
$(ctr zz "$(term zz)" '    lifecycle:
      preStop:
        sleep: {seconds: 2}')"
wait_jq 60 '[.pods[] | select(.name == "stop") | .containers[] | select(.state == "running")] | length == 3' ||
    fail "stop not running: $(pod_jq stop .)"
t0=$(date +%s)
rm -f "$PODS/stop.yaml"
wait_gone 30 stop || fail "stop not gone"
t1=$(date +%s)
[ $((t1 - t0)) -lt 6 ] || fail "the stop took the whole grace period ($((t1 - t0)) s)"
[ "$(awk '{print $2}' "$H/ex" | tr '\n' ' ')" = "prestop term " ] || fail "exec preStop: $(cat "$H/ex")"
pre=$(awk '$2 == "prestop" {print $1}' "$H/ex") termt=$(awk '$2 == "term" {print $1}' "$H/ex")
[ $((termt - pre)) -ge 1 ] || fail "SIGTERM came before the exec preStop ended: $(cat "$H/ex")"
grep -q term "$H/web" || fail "web not stopped by SIGTERM: $(cat "$H/web" 2>&1)"
zt=$(awk '$2 == "term" {print $1}' "$H/zz")
[ $((zt - t0)) -ge 2 ] || fail "sleep preStop: SIGTERM after $((zt - t0)) s"
grep -q "FailedPreStopHook" <(curl -fsS --unix-socket "$SOCK" http://tank/v1/events) &&
    fail "a preStop failed: $(curl -fsS --unix-socket "$SOCK" http://tank/v1/events | grep PreStop)"

# A preStop longer than the grace period: SIGKILL at its end (what it used is taken from it).
pod long Always 2 "$(ctr main "$(term main)" '    lifecycle:
      preStop:
        exec: {command: ["sleep", "30"]}')"
wait_jq 60 '.pods[] | select(.name == "long") | .containers[0].state == "running"' || fail "long: $(pod_jq long .)"
t0=$(date +%s)
rm -f "$PODS/long.yaml"
wait_gone 30 long || fail "long not gone"
t1=$(date +%s)
[ $((t1 - t0)) -le 4 ] || fail "the preStop outlived the grace period ($((t1 - t0)) s)"
[ ! -e "$H/main" ] || fail "long got a SIGTERM after its grace period: $(cat "$H/main")"

# Termination messages: the default path, a path of one's own, and the log fallback.
pod tm Never 1 "$(ctr file 'echo all done >/dev/termination-log; exit 0')
$(ctr own 'printf \"bad %s\" input >/tmp/why; exit 3' '    terminationMessagePath: /tmp/why')
$(ctr logs 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo line $i; done; exit 1' '    terminationMessagePolicy: FallbackToLogsOnError')
$(ctr both 'echo from file >/dev/termination-log; echo from log; exit 1' '    terminationMessagePolicy: FallbackToLogsOnError')
$(ctr nolog 'echo from log; exit 1')"
wait_phase 60 tm Failed || fail "tm: $(pod_jq tm .)"
[ "$(ctr_jq tm file .message)" = "all done" ] || fail "File message: $(ctr_jq tm file .)"
[ "$(ctr_jq tm own .message)" = "bad input" ] || fail "own path: $(ctr_jq tm own .)"
ctr_jq tm logs .message | sed '/^$/d' >"$TMP/fallback"
[ "$(head -n 1 "$TMP/fallback")" = "line 21" ] && [ "$(tail -n 1 "$TMP/fallback")" = "line 100" ] &&
    [ "$(grep -c . "$TMP/fallback")" = 80 ] || fail "fallback: $(cat "$TMP/fallback")"
[ "$(ctr_jq tm both .message)" = "from file" ] || fail "file before logs: $(ctr_jq tm both .)"
[ "$(ctr_jq tm nolog .message)" = null ] || fail "File policy read the log: $(ctr_jq tm nolog .)"
"$TANK" status --config "$CFG" tm | grep -q "Message: *all done" || fail "tank status tm: no message"
rm -f "$PODS/tm.yaml"
wait_gone 30 tm
pass

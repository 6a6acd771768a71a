#!/bin/bash
# Rolling updates with real containers. A 3-replica Deployment of busybox httpd (each pod
# drains for a second on SIGTERM, as a preStop sleep does) is rolled to a version whose
# readiness probe never passes: the rollout stalls with the 3 old pods serving and 1 new
# pod beside them, and shows ProgressDeadlineExceeded; a revert removes the new pod; a good
# version (its VERSION read from a ConfigMap) then rolls through, and so does a change of that
# ConfigMap's value (a new template revision), never more than replicas + maxSurge pods. An HTTP client loop
# (in the pods' own network namespaces, to a pod the API says is Ready) runs through all of
# it and never sees a failure. Then Recreate (old and new never together), scaling
# 3 -> 1 -> 0 -> 2 (the lowest indexes stay), paused, a DaemonSet with OnDelete (tank delete
# takes the new template) and RollingUpdate (old stopped, then new), one not for this host,
# static addresses refused with two replicas, and the Kubernetes documentation's
# nginx-deployment example (its image replaced by the local busybox one).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
for c in nsenter curl; do command -v $c >/dev/null || skip "$c is not installed"; done
agent_setup
agent_start
skip_unless_containers_run

# deploy VERSION READY_PATH [STRATEGY] [REPLICAS] [PAUSED]
deploy() {
    cat >"$PODS/.web.tmp" <<EOM
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${4:-3}
  paused: ${5:-false}
  progressDeadlineSeconds: 4
  strategy: ${3:-"{}"}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: httpd
        image: $IMAGE
        env: [{name: VERSION, $([ "$1" = cm ] && echo 'valueFrom: {configMapKeyRef: {name: webcfg, key: version}}' || echo "value: \"$1\"")}]
        command: ["sh", "-c", "mkdir -p /www && echo \$VERSION >/www/index.html && echo ok >/www/healthz && httpd -f -p 8080 -h /www & pid=\$!; trap 'sleep 1; kill \$pid; exit 0' TERM; wait \$pid"]
        readinessProbe:
          httpGet: {path: $2, port: 8080}
          periodSeconds: 1
EOM
    mv "$PODS/.web.tmp" "$PODS/web.yaml"
}
web() { pods_json | jq -c '[.pods[] | select(.owner.kind == "Deployment" and .owner.name == "web")]'; }
ready_web='[.pods[] | select(.owner.name == "web" and .phase == "Running" and all(.containers[]; .ready))]'
wl() { pods_json | jq -c '.workloads[] | select(.name == "web")'; }

# The client: each round asks the API for the Ready pods of web and GETs one of them (in
# turn) in its network namespace; any failure is written down. It also notes the most web
# pods seen at once.
client() {
    local i=0 names n p out
    while [ ! -e "$TMP/client.stop" ]; do
        names=$("$TANK" status --config "$CFG" -o json 2>/dev/null |
            jq -r "$ready_web | map(.name) | join(\" \")") || { sleep 0.05; continue; }
        n=$("$TANK" status --config "$CFG" -o json 2>/dev/null |
            jq '[.pods[] | select(.owner.name == "web")] | length')
        echo "$n" >>"$TMP/client.counts"
        set -- $names
        if [ $# = 0 ]; then
            echo "no ready pod" >>"$TMP/client.fail"
            sleep 0.05
            continue
        fi
        shift $((i % $#))
        p=$1
        i=$((i + 1))
        if out=$(nsenter --net="$TMP/run/pods/$p/ns/net" curl -fsS --max-time 2 http://127.0.0.1:8080/ 2>&1); then
            echo "$out" >>"$TMP/client.ok"
        else
            echo "$p: $out" >>"$TMP/client.fail"
        fi
    done
}

deploy v1 /healthz
wait_jq 60 "$ready_web | length == 3" || fail "3 replicas are not ready: $(web)"
hash1=$(wl | jq -r .templateHash)
[ ${#hash1} = 10 ] || fail "templateHash: $(wl)"
rm -f "$TMP/client.stop" "$TMP/client.fail" "$TMP/client.ok" "$TMP/client.counts"
client &
CLIENT=$!
at_exit "touch '$TMP/client.stop'; kill $CLIENT 2>/dev/null"
sleep 1

# A version that never becomes ready: one surge pod, the 3 old ones keep serving.
deploy bad /missing
wait_jq 20 '.workloads[] | select(.name == "web") | .conditions[] |
    select(.type == "Progressing") | .status == "False" and .reason == "ProgressDeadlineExceeded"' ||
    fail "no ProgressDeadlineExceeded: $(wl)"
pods=$(web)
[ "$(echo "$pods" | jq length)" = 4 ] || fail "a stalled rollout should have 3 old + 1 new pods: $pods"
[ "$(echo "$pods" | jq --arg h "$hash1" '[.[] | select(.name | contains($h)) | select(.phase == "Running" and all(.containers[]; .ready))] | length')" = 3 ] ||
    fail "the old pods do not all serve: $pods"
"$TANK" status --config "$CFG" deploy/web >"$TMP/detail" || fail "tank status deploy/web"
grep -q "ProgressDeadlineExceeded" "$TMP/detail" || fail "detail: $(cat "$TMP/detail")"
grep -q "ScalingReplicaSet" "$TMP/detail" || fail "no rollout events in detail: $(cat "$TMP/detail")"
"$TANK" status --config "$CFG" | grep -Eq '^web +Deployment +3/3 +1 +3 ' ||
    fail "workloads table: $("$TANK" status --config "$CFG")"
echo "ok: a never-ready version stalls with the old pods serving: ProgressDeadlineExceeded"

# A revert in git: the new pod goes, the old ones stay (no pod of them restarted).
deploy v1 /healthz
wait_jq 20 "[.pods[] | select(.owner.name == \"web\")] | length == 3 and all(.[]; .name | contains(\"$hash1\"))" ||
    fail "the revert did not settle on the old pods: $(web)"
wait_jq 10 '.workloads[] | select(.name == "web") | .conditions[] |
    select(.type == "Progressing") | .reason == "NewReplicaSetAvailable"' ||
    fail "the revert is not complete: $(wl)"
[ "$(web | jq '[.[].restarts] | add')" = 0 ] || fail "old pods restarted: $(web)"
echo "ok: a revert continues from where the rollout stood"

# A good version rolls through (its VERSION read from a ConfigMap).
webcfg() {
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: webcfg}\ndata: {version: %s}\n' "$1" >"$PODS/.webcfg.tmp"
    mv "$PODS/.webcfg.tmp" "$PODS/webcfg.yaml"
}
webcfg v2
deploy cm /healthz
wait_jq 40 '.workloads[] | select(.name == "web") | .updated == 3 and .available == 3 and
    ([.conditions[] | select(.type == "Progressing") | .reason] == ["NewReplicaSetAvailable"])' ||
    fail "v2 did not roll through: $(wl)"
wait_jq 20 "[.pods[] | select(.owner.name == \"web\")] | length == 3 and all(.[]; .name | contains(\"$hash1\") | not)" ||
    fail "old pods remain: $(web)"
# A value the env reads changes: a new template revision, rolled within maxSurge and
# maxUnavailable as v2 was (not every pod replaced at once), the old pods serving v2 meanwhile.
hash2=$(wl | jq -r .templateHash)
webcfg v2c
wait_jq 40 ".workloads[] | select(.name == \"web\") | .templateHash != \"$hash2\" and .updated == 3 and
    .available == 3 and ([.conditions[] | select(.type == \"Progressing\") | .reason] == [\"NewReplicaSetAvailable\"])" ||
    fail "the ConfigMap change did not roll through: $(wl)"
wait_jq 20 "[.pods[] | select(.owner.name == \"web\")] | length == 3 and all(.[]; .name | contains(\"$hash2\") | not)" ||
    fail "old pods remain after the ConfigMap change: $(web)"
sleep 1
touch "$TMP/client.stop"
wait $CLIENT
[ ! -s "$TMP/client.fail" ] || fail "the client saw failures: $(head -5 "$TMP/client.fail")"
ok=$(wc -l <"$TMP/client.ok")
[ "$ok" -ge 20 ] || fail "too few requests served: $ok"
grep -qx v2 "$TMP/client.ok" || fail "v2 never answered"
grep -qx v2c "$TMP/client.ok" || fail "the ConfigMap's new value never answered"
grep -qx bad "$TMP/client.ok" && fail "the never-ready version was served"
max=$(sort -n "$TMP/client.counts" | tail -1)
[ "$max" -le 4 ] || fail "more than replicas + maxSurge pods at once: $max"
echo "ok: a good version rolled through; $ok requests, none failed, at most $max pods"

# Recreate: every old pod stops before a new one starts.
hash2=$(wl | jq -r .templateHash)
deploy v3 /healthz "{type: Recreate}"
mixed=0
for i in $(seq 200); do
    pods=$(web)
    if echo "$pods" | jq -e --arg h "$hash2" 'any(.[]; .name | contains($h)) and any(.[]; .name | contains($h) | not)' >/dev/null; then
        mixed=1
    fi
    echo "$pods" | jq -e --arg h "$hash2" 'length == 3 and all(.[]; (.name | contains($h) | not) and .phase == "Running")' >/dev/null && break
    sleep 0.1
done
echo "$pods" | jq -e 'length == 3' >/dev/null || fail "Recreate did not converge: $pods"
[ $mixed = 0 ] || fail "Recreate ran old and new pods together"
echo "ok: Recreate stops the old pods before the new ones start"

# Scale 3 -> 1 -> 0 -> 2: the lowest indexes stay.
hash3=$(wl | jq -r .templateHash)
for n in 1 0 2; do
    deploy v3 /healthz "{type: Recreate}" $n
    want=$(for i in $(seq 0 $((n - 1))); do [ $n -gt 0 ] && printf 'web-%s-%s ' "$hash3" $i; done)
    wait_for 20 sh -c "[ \"\$(\"$TANK\" status --config '$CFG' -o json | jq -r '[.pods[] | select(.owner.name == \"web\") | .name] | sort | join(\" \")')\" = '$(echo $want)' ]" ||
        fail "scale to $n: $(web | jq -c 'map(.name)')"
done
wait_jq 20 "$ready_web | length == 2" || fail "scaled to 2, not ready: $(web)"
echo "ok: scaling 3 -> 1 -> 0 -> 2 keeps the lowest indexes"

# paused: a new template waits; unpaused, it rolls.
before=$(web | jq -c 'map(.name) | sort')
deploy v4 /healthz "{type: Recreate}" 2 true
sleep 2
[ "$(web | jq -c 'map(.name) | sort')" = "$before" ] || fail "a paused Deployment rolled: $(web)"
pods_json | jq -e '.workloads[] | select(.name == "web") | .paused and
    ([.conditions[] | select(.type == "Progressing") | .reason] == ["DeploymentPaused"])' >/dev/null ||
    fail "paused status: $(wl)"
deploy v4 /healthz "{type: Recreate}" 2
wait_jq 20 "$ready_web | length == 2 and all(.[]; .name | contains(\"$hash3\") | not)" ||
    fail "unpaused, v4 did not roll: $(web)"
echo "ok: paused holds the rollout; unpaused it rolls"
rm -f "$PODS/web.yaml"

mkdir -p "$TMP/doc"

# DaemonSet: OnDelete keeps the old pod until tank delete; RollingUpdate: old stopped, new.
ds() { # VERSION STRATEGY
    cat >"$PODS/.ds.tmp" <<EOM
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: $2
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: main
        image: $IMAGE
        command: ["sh", "-c", "echo $1; trap 'sleep 1; exit 0' TERM; while :; do sleep 1; done"]
EOM
    mv "$PODS/.ds.tmp" "$PODS/agent.yaml"
}
agent_pods() { pods_json | jq -r '[.pods[] | select(.owner.kind == "DaemonSet") | .name] | join(" ")'; }
ds v1 "{type: OnDelete}"
wait_jq 30 '[.pods[] | select(.owner.kind == "DaemonSet" and .phase == "Running")] | length == 1' ||
    fail "the DaemonSet's pod does not run: $(pods_json | jq -c .pods)"
p1=$(agent_pods)
echo "$p1" | grep -Eqx 'agent-[bcdfghjklmnpqrstvwxz2456789]{5}' || fail "DaemonSet pod name: $p1"
"$TANK" status --config "$CFG" | grep -Eq '^agent +DaemonSet +1/1 +1 +1 ' ||
    fail "DaemonSet row: $("$TANK" status --config "$CFG")"
ds v2 "{type: OnDelete}"
sleep 2
[ "$(agent_pods)" = "$p1" ] || fail "OnDelete replaced the pod: $(agent_pods)"
pods_json | jq -e '.workloads[] | select(.name == "agent") | .updated == 0' >/dev/null ||
    fail "the old pod counts as updated: $(pods_json | jq -c '.workloads[] | select(.name == "agent")')"
"$TANK" delete --config "$CFG" "$p1" >"$TMP/del.out" 2>&1 || fail "tank delete $p1: $(cat "$TMP/del.out")"
wait_jq 30 "[.pods[] | select(.owner.kind == \"DaemonSet\" and .phase == \"Running\" and .name != \"$p1\")] | length == 1" ||
    fail "no new DaemonSet pod after tank delete: $(pods_json | jq -c .pods)"
p2=$(agent_pods)
wait_for 10 sh -c "\"$TANK\" logs --config '$CFG' $p2 | grep -qx v2" || fail "the new pod is not v2"
"$TANK" delete --config "$CFG" no-such-pod 2>"$TMP/del.err" && fail "deleting a missing pod succeeded"
grep -q "not found" "$TMP/del.err" || fail "delete of a missing pod: $(cat "$TMP/del.err")"
echo "ok: DaemonSet OnDelete: the new template only after tank delete ($p1 -> $p2)"

ds v3 "{type: RollingUpdate}"
two=0
for i in $(seq 200); do
    set -- $(agent_pods)
    [ $# -gt 1 ] && two=1
    [ $# = 1 ] && [ "$1" != "$p2" ] && pods_json | jq -e "any(.pods[]; .name == \"$1\" and .phase == \"Running\")" >/dev/null && break
    sleep 0.1
done
p3=$(agent_pods)
[ -n "$p3" ] && [ "$p3" != "$p2" ] || fail "RollingUpdate did not replace the pod: $p3"
[ $two = 0 ] || fail "RollingUpdate ran the old and the new pod together"
wait_for 10 sh -c "\"$TANK\" logs --config '$CFG' $p3 | grep -qx v3" || fail "the new pod is not v3"
echo "ok: DaemonSet RollingUpdate: the old pod stopped, then the new one ($p3)"
rm -f "$PODS/agent.yaml"

# A DaemonSet whose template node selection does not admit this host: no pod, replicas 0.
cat >"$PODS/other.yaml" <<EOM
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: other}
spec:
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec:
      nodeSelector: {disktype: no-such-disk}
      containers: [{name: main, image: $IMAGE, command: [sleep, "1000"]}]
EOM
wait_jq 20 '.workloads[] | select(.name == "other") | .replicas == 0' ||
    fail "DaemonSet not for this host: $(pods_json | jq -c '.workloads[] | select(.name == "other")')"
pods_json | jq -e '[.pods[] | select(.name | startswith("other-"))] | length == 1 and
    all(.[]; .scheduled == false and .reason == "NotForThisHost")' >/dev/null ||
    fail "the DaemonSet's pod is not listed as not for this host: $(pods_json | jq -c .pods)"
rm -f "$PODS/other.yaml"
echo "ok: a DaemonSet not for this host runs no pod"

# Static addresses cannot be in two pods at once.
cat >"$TMP/doc/static.yaml" <<EOM
apiVersion: tank/v1
kind: Deployment
metadata: {name: static}
spec:
  replicas: 2
  selector: {matchLabels: {app: static}}
  template:
    metadata: {labels: {app: static}}
    spec:
      containers: [{name: main, image: $IMAGE}]
      network:
        interfaces: [{name: eth0, macvlan: {}, addresses: [192.0.2.10/24]}]
EOM
"$TANK" validate "$TMP/doc/static.yaml" >"$TMP/v.out" 2>&1 && fail "static addresses with 2 replicas accepted"
grep -q "spec.template.spec.network: static addresses cannot be held by two pods at once.*use strategy Recreate or one replica" "$TMP/v.out" ||
    fail "static addresses: $(cat "$TMP/v.out")"
sed -i 's/replicas: 2/replicas: 1\n  strategy: {type: Recreate}/' "$TMP/doc/static.yaml"
"$TANK" validate "$TMP/doc/static.yaml" >"$TMP/v.out" 2>&1 || fail "one replica, Recreate: $(cat "$TMP/v.out")"
echo "ok: static addresses need Recreate or one replica"

# The documentation's Deployment (concepts/workloads/controllers/deployment), with the local
# busybox image serving on its containerPort instead of nginx.
cat >"$TMP/doc/nginx-deployment.yaml" <<EOM
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: $IMAGE
        command: ["sh", "-c", "httpd -f -p 80 & trap 'exit 0' TERM; wait"]
        ports:
        - containerPort: 80
EOM
"$TANK" validate "$TMP/doc/nginx-deployment.yaml" >"$TMP/v.out" 2>&1 || fail "validate: $(cat "$TMP/v.out")"
cp "$TMP/doc/nginx-deployment.yaml" "$PODS/"
wait_jq 60 '[.pods[] | select(.owner.name == "nginx-deployment" and .phase == "Running")] | length == 3' ||
    fail "nginx-deployment does not run: $(pods_json | jq -c .workloads)"
wait_for 20 sh -c "\"$TANK\" status --config '$CFG' | grep -Eq '^nginx-deployment +Deployment +3/3 +3 +3 '" ||
    fail "nginx-deployment row: $("$TANK" status --config "$CFG")"
p=$(pods_json | jq -r '[.pods[] | select(.owner.name == "nginx-deployment")][0].name')
nsenter --net="$TMP/run/pods/$p/ns/net" curl -s --max-time 2 -o /dev/null -w '%{http_code}' http://127.0.0.1:80/ |
    grep -q 404 || fail "nothing listens on port 80 in $p"
echo "ok: the documentation's nginx-deployment validates and runs 3 pods"
rm -f "$PODS/nginx-deployment.yaml"
wait_jq 30 '.pods | length == 0' || fail "pods remain: $(pods_json | jq -c '[.pods[].name]')"
pass

#!/bin/bash
# spec.imagePullSecrets: a pod names a Secret of type kubernetes.io/dockerconfigjson, and its
# credentials are used for that pod's pulls, before [registry] auth_file (here absent, so the
# registry's basic auth can only be passed with the Secret). A pod without it is refused by
# the registry. The credentials never show in status or the agent's log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
command -v ip >/dev/null || skip "ip is not installed"

NS=tank-t3103-$$
ip netns add $NS || skip "cannot create a network namespace"
at_exit "ip netns del $NS"
ip -n $NS link set lo up

agent_setup
# The image the registry serves: busybox's files as one layer.
"$TANK" unpack --config "$CFG" "$IMAGE" "$TMP/bb" >/dev/null 2>&1 || fail "unpack busybox"
tar -C "$TMP/bb" -czf "$TMP/layer.tgz" . || fail "tar"
mkdir -p "$TMP/reg"
ip netns exec $NS python3 "$TANK_SRC/t/fakereg.py" --port-file "$TMP/reg/port" \
    --info "$TMP/reg/info.json" --log "$TMP/reg/log" --faults basic --user bob \
    --password pull-$$-pw --layer-tgz "$TMP/layer.tgz" >"$TMP/reg/out" 2>&1 &
REG_PID=$!
at_exit "kill $REG_PID 2>/dev/null; wait $REG_PID 2>/dev/null"
wait_for 20 test -s "$TMP/reg/port"
REG=127.0.0.1:$(cat "$TMP/reg/port")
printf '[registry]\ninsecure = %s\n' "$REG" >>"$CFG"
AGENT_NETNS=/run/netns/$NS
agent_start

# Without the Secret: the registry refuses the pull. A pull Secret that is missing or not of
# type kubernetes.io/dockerconfigjson is named in an event and in the container's message.
cat >"$PODS/.a.tmp" <<EOM
apiVersion: v1
kind: Secret
metadata: {name: plain}
stringData: {x: "y"}
---
apiVersion: v1
kind: Pod
metadata: {name: anon}
spec:
  terminationGracePeriodSeconds: 1
  imagePullSecrets: [{name: nosuch}, {name: plain}]
  containers:
    - {name: main, image: "$REG/test/app:v1", command: [sleep, "100331"]}
EOM
mv "$PODS/.a.tmp" "$PODS/anon.yaml"
wait_jq 60 '.pods[] | select(.name == "anon") | .containers[0].reason == "ErrImagePull" or .containers[0].reason == "ImagePullBackOff"'
skipped="nosuch (not found), plain (of type Opaque, not kubernetes.io/dockerconfigjson)"
pod_jq anon .message | grep -qF "(imagePullSecrets skipped: $skipped)" ||
    fail "no message naming the pull secrets: $(pod_jq anon .message)"
curl -fsS --unix-socket "$SOCK" http://tank/v1/events >"$TMP/events" || fail "events"
grep -F "FailedToRetrieveImagePullSecret" "$TMP/events" | grep -qF "Unable to retrieve some image pull secrets ($skipped)" ||
    fail "no event naming the pull secrets: $(tail -5 "$TMP/events")"
rm "$PODS/anon.yaml"
wait_gone 30 anon

auth=$(printf 'bob:pull-%s-pw' $$ | base64 -w0)
cat >"$PODS/.p.tmp" <<EOM
apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"$REG": {"auth": "$auth"}}}'
---
apiVersion: v1
kind: Pod
metadata: {name: private}
spec:
  terminationGracePeriodSeconds: 1
  imagePullSecrets:
    - name: regcred
  containers:
    - {name: main, image: "$REG/test/app:v1", command: [sleep, "100332"]}
EOM
mv "$PODS/.p.tmp" "$PODS/private.yaml"
wait_jq 90 '.pods[] | select(.name == "private") | .containers[0].state == "running"'
grep -q "^GET /v2/.* auth=Basic .*status=200" "$TMP/reg/log" ||
    fail "credentials not used: $(cat "$TMP/reg/log")"
for what in "$(pods_json)" "$(cat "$TMP/agent.log")"; do
    grep -qF "pull-$$-pw" <<<"$what" && fail "the password leaked: $what"
    grep -qF "$auth" <<<"$what" && fail "the credentials leaked: $what"
done
rm "$PODS/private.yaml"
wait_gone 30 private
[ ! -e "$TMP/run/cfgvol/private" ] || fail "pull credentials left: $(ls -laR "$TMP/run/cfgvol/private")"
pass

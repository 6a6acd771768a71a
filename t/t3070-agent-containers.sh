#!/bin/bash
# What a user sees for containers that cannot start, and for two containers sharing an
# emptyDir: a missing image (ErrImagePull, then ImagePullBackOff), imagePullPolicy Never
# with an absent image, runAsNonRoot against a root image, a missing executable
# (CreateContainerError with the exec error), and a writer/reader pair.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

one() { put_pod "$1" image="$2" pull="$3" grace=1 cmd="$4" ctr_yaml="${5:-}"; } # NAME IMAGE POLICY COMMAND [YAML]
one nopull "oci:$TMP/no-such-layout:latest" Always "true"
one never "oci:$TMP/other-layout:latest" Never "true"
one nonroot "$IMAGE" IfNotPresent "true" "    securityContext: {runAsNonRoot: true}"
cat >"$PODS/noexec.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: noexec
spec:
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["/no/such/binary"]
EOC
wait_jq 60 '.pods[] | select(.name == "nopull") | .containers[0].reason == "ErrImagePull" or .containers[0].reason == "ImagePullBackOff"'
grep -q "no-such-layout" <<<"$(pod_jq nopull .message)" || fail "pull error unclear: $(pod_jq nopull .message)"
wait_jq 60 '.pods[] | select(.name == "nopull") | .containers[0].reason == "ImagePullBackOff"'
[ "$(pod_phase nopull)" = Pending ] || fail "nopull phase $(pod_phase nopull)"
wait_jq 60 '.pods[] | select(.name == "never") | .containers[0].reason == "ErrImagePull"'
grep -q "imagePullPolicy is Never" <<<"$(pod_jq never .message)" || fail "never: $(pod_jq never .message)"
wait_jq 60 '.pods[] | select(.name == "nonroot") | .containers[0].reason == "CreateContainerError"'
grep -q "runAsNonRoot" <<<"$(pod_jq nonroot .message)" || fail "nonroot: $(pod_jq nonroot .message)"
wait_jq 60 '.pods[] | select(.name == "noexec") | .containers[0].reason == "CreateContainerError"'
grep -q "/no/such/binary" <<<"$(pod_jq noexec .message)" || fail "noexec: $(pod_jq noexec .message)"
"$TANK" status --config "$CFG" | grep -Eq '^noexec +0/1 +CreateContainerError ' ||
    fail "table: $("$TANK" status --config "$CFG")"
rm "$PODS"/nopull.yaml "$PODS"/never.yaml "$PODS"/nonroot.yaml "$PODS"/noexec.yaml

# Two containers, started in declared order, sharing an emptyDir.
cat >"$PODS/pair.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: pair
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: writer
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo shared-line > /data/f; exec sleep 100371"]
    volumeMounts: [{name: data, mountPath: /data}]
  - name: reader
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "while [ ! -s /data/f ]; do sleep 0.1; done; cat /data/f; exec sleep 100372"]
    volumeMounts: [{name: data, mountPath: /data, readOnly: true}]
  volumes:
  - {name: data, emptyDir: {}}
EOC
wait_jq 60 '.pods[] | select(.name == "pair") | .phase == "Running" and ([.containers[] | select(.state == "running")] | length) == 2'
wait_for 20 sh -c "'$TANK' logs --config '$CFG' pair reader | grep -qx shared-line"
w=$(ctr_jq pair writer .startedAt)
r=$(ctr_jq pair reader .startedAt)
[[ "$w" < "$r" || "$w" == "$r" ]] || fail "reader started before writer ($w vs $r)"
"$TANK" status --config "$CFG" | grep -Eq '^pair +2/2 +Running ' || fail "table: $("$TANK" status --config "$CFG")"
events=$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=pair" | jq -r '.events[] | select(.reason == "Started") | .container')
[ "$(echo $events)" = "writer reader" ] || fail "start order: $events"
wait_gone 60 nopull
wait_gone 60 noexec
pass

#!/bin/bash
# The Kubernetes documentation's ConfigMap, Secret, downward-API and env examples (the ones
# kept as validation fixtures under t/fixtures/spec/valid) run under the agent and show what
# the documentation shows, with the local busybox image in place of theirs: the env read
# from a ConfigMap, a Secret and the pod's fields ($(VAR) expanded), envFrom with a prefix;
# a configMap volume's items; labels and annotations as files; requests and limits through
# resourceFieldRef in env and in a downwardAPI volume (with divisors); $(MESSAGE) in args.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
FIX=$TANK_SRC/t/fixtures/spec/valid

run_fixture() { # FILE [IMAGE]: the documentation's file, its images replaced by a local one
    sed -E "s|^( *-? *)image: .*|\1image: \"${2:-$IMAGE}\"|" "$FIX/$1" >"$PODS/.$1.tmp" ||
        fail "copy $1"
    mv "$PODS/.$1.tmp" "$PODS/$1"
}
logs_have() { # POD TEXT: the pod's log holds TEXT (a fixed string, lines joined by |)
    local deadline=$((SECONDS + 30))
    until "$TANK" logs --config "$CFG" "$1" 2>/dev/null | tr '\n' '|' | grep -qF -- "$2"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}

# "Add ConfigMap data to a Volume" needs the documentation's ConfigMaps beside it.
cat >"$PODS/.cm.tmp" <<'EOM'
apiVersion: v1
kind: ConfigMap
metadata: {name: special-config}
data: {SPECIAL_LEVEL: very, SPECIAL_TYPE: charm}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: game-config}
data:
  game.properties: |
    enemies=aliens
EOM
mv "$PODS/.cm.tmp" "$PODS/cm.yaml"
# "Distribute Credentials Securely Using Secrets": the documentation's Secret as written.
cat >"$PODS/.secret.tmp" <<'EOM'
apiVersion: v1
kind: Secret
metadata:
  name: test-secret
data:
  username: bXktYXBw
  password: Mzk1MjgkdmRnN0pi
EOM
mv "$PODS/.secret.tmp" "$PODS/secret.yaml"
for f in k8s-configmap-env.yaml k8s-configmap-volume.yaml k8s-downward-api-volume.yaml \
    k8s-env-command.yaml k8s-dapi-envars-resourcefieldref.yaml k8s-dapi-volume-resources.yaml \
    k8s-dapi-envars-pod.yaml; do
    run_fixture $f
done
# Its pod runs nginx, which needs no command: a stand-in image whose own command sleeps.
"$TANK" unpack --config "$CFG" "$IMAGE" "$TMP/standin" >/dev/null 2>&1 || fail "unpack the image"
tar -C "$TMP/standin" -cf "$TMP/standin.tar" . || fail "tar"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/standin-oci" latest --cmd '["sleep", "100616"]' \
    "$TMP/standin.tar" >/dev/null || fail "mklayout"
run_fixture k8s-secret-pod.yaml "oci:$TMP/standin-oci:latest"

# envar-demo: /bin/echo "$(MESSAGE)" prints "hello world".
logs_have envar-demo "hello world" || fail "envar-demo: $("$TANK" logs --config "$CFG" envar-demo 2>&1 | head -3)"
# dapi-test-pod: ls /etc/config/ shows the one item's path.
logs_have dapi-test-pod "keys|" || fail "dapi-test-pod: $("$TANK" logs --config "$CFG" dapi-test-pod 2>&1)"
# The downward API's labels and annotations, sorted key="value" lines.
logs_have kubernetes-downwardapi-volume-example \
    'cluster="test-cluster1"|rack="rack-22"|zone="us-est-coast"||build="two"|builder="john-doe"' ||
    fail "downwardAPI volume: $("$TANK" logs --config "$CFG" kubernetes-downwardapi-volume-example 2>&1 | head -12)"
# resourceFieldRef in env: cpu rounded up to whole cores, memory in bytes.
logs_have dapi-envars-resourcefieldref "1|1|33554432|67108864" ||
    fail "resourceFieldRef env: $("$TANK" logs --config "$CFG" dapi-envars-resourcefieldref 2>&1 | head -6)"
# ... and in a volume, with divisors 1m and 1Mi.
logs_have kubernetes-downwardapi-volume-example-2 "250|125|64|32" ||
    fail "resourceFieldRef volume: $("$TANK" logs --config "$CFG" kubernetes-downwardapi-volume-example-2 2>&1 | head -10)"

# dapi-envars-fieldref: printenv shows the node's name, the pod's name and namespace, its IP
# (none: the pod has no interface but loopback) and its service account.
logs_have dapi-envars-fieldref "|$(hostname)|dapi-envars-fieldref|default||default|" ||
    fail "dapi-envars-fieldref: $("$TANK" logs --config "$CFG" dapi-envars-fieldref 2>&1 | head -8)"
# secret-test-pod: the Secret's keys as files, "ls /etc/secret-volume" and "cat" as shown.
wait_jq 60 '.pods[] | select(.name == "secret-test-pod") | .containers[0].state == "running"' ||
    fail "secret-test-pod: $(pod_jq secret-test-pod .message)"
spid=$(ctr_jq secret-test-pod test-container .pid)
[ "$(ls "/proc/$spid/root/etc/secret-volume" | tr '\n' ' ')" = "password username " ] ||
    fail "secret volume: $(ls -a "/proc/$spid/root/etc/secret-volume")"
[ "$(cat "/proc/$spid/root/etc/secret-volume/username")" = my-app ] || fail "username"
[ "$(cat "/proc/$spid/root/etc/secret-volume/password")" = '39528$vdg7Jb' ] || fail "password"

# configmap-demo-pod: its environment as the documentation lists it.
wait_jq 60 '.pods[] | select(.name == "configmap-demo-pod") | .containers[0].state == "running"' ||
    fail "configmap-demo-pod: $(pod_jq configmap-demo-pod .message)"
pid=$(ctr_jq configmap-demo-pod demo .pid)
tr '\0' '\n' <"/proc/$pid/environ" >"$TMP/env"
for want in PLAYER_INITIAL_LIVES=3 UI_PROPERTIES_FILE_NAME=user-interface.properties \
    SECRET_USERNAME=my-app MY_POD_NAMESPACE=default "MY_NODE_NAME=$(hostname)" \
    "MESSAGE=Warm greetings to default" GAME_player_initial_lives=3 \
    GAME_ui_properties_file_name=user-interface.properties username=my-app 'password=39528$vdg7Jb'; do
    grep -qxF -- "$want" "$TMP/env" || fail "configmap-demo-pod lacks $want: $(cat "$TMP/env")"
done
pass

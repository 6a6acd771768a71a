#!/bin/bash
# ConfigMaps and Secrets in the pods directory, read by a real container's environment:
# valueFrom (configMapKeyRef, secretKeyRef, fieldRef), envFrom with a prefix and $(VAR)
# expansion in env and args as Kubernetes does it. A pod whose Secret is missing waits with
# CreateContainerConfigError naming it and starts by itself once the Secret is added; an
# edit of the ConfigMap replaces the pod (its environment cannot change in place). The
# Secret's value never shows in tank status, its JSON, the events or the agent's log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

secret=s3cr3t-$$-value
cat >"$PODS/.app.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata:
  name: app
  namespace: shop
  labels: {tier: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $IMAGE
      command: ["sh", "-c", "env > /dev/shm/env; echo args: \$0 \$1; exec sleep 100311", "\$(MODE)", "\$\$(MODE)"]
      envFrom:
        - configMapRef: {name: settings}
          prefix: CFG_
      env:
        - name: MODE
          valueFrom:
            configMapKeyRef: {name: settings, key: mode}
        - name: PASSWORD
          valueFrom:
            secretKeyRef: {name: creds, key: password}
        - name: POD_NS
          valueFrom:
            fieldRef: {fieldPath: metadata.namespace}
        - name: TIER
          valueFrom:
            fieldRef: {fieldPath: "metadata.labels['tier']"}
        - name: GREETING
          value: "mode \$(MODE) in \$(POD_NS), \$\$(MODE) and \$(UNKNOWN) as written"
EOM
cat >"$PODS/.cm.tmp" <<'EOM'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data:
  mode: fast
  level: "3"
EOM
mv "$PODS/.cm.tmp" "$PODS/settings.yaml"
mv "$PODS/.app.tmp" "$PODS/app.yaml"

# The Secret is missing: the container waits, the message names it.
wait_jq 30 '.pods[] | select(.name == "app") | .containers[0].reason == "CreateContainerConfigError"'
"$TANK" status --config "$CFG" app | grep -q 'secret "creds" not found' ||
    fail "no message naming the Secret: $("$TANK" status --config "$CFG" app)"
[ "$(pods_json | jq '.errors | length')" = 0 ] || fail "a missing Secret is not an invalid file: $(pods_json)"

# Added: the pod starts by itself.
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: shop}\nstringData:\n  password: %s\n' \
    "$secret" >"$PODS/.s.tmp"
mv "$PODS/.s.tmp" "$PODS/creds.yaml"
wait_jq 60 '.pods[] | select(.name == "app") | .containers[0].state == "running"'
pid=$(ctr_jq app main .pid)
root=/proc/$pid/root
wait_for 10 test -s "$root/dev/shm/env"
for want in "MODE=fast" "CFG_mode=fast" "CFG_level=3" "PASSWORD=$secret" "POD_NS=shop" "TIER=web" \
    'GREETING=mode fast in shop, $(MODE) and $(UNKNOWN) as written'; do
    grep -qxF "$want" "$root/dev/shm/env" || fail "no '$want' in the environment: $(cat "$root/dev/shm/env")"
done
wait_for 10 sh -c "'$TANK' logs --config '$CFG' app | grep -qxF 'args: fast \$(MODE)'" ||
    fail "args: $("$TANK" logs --config "$CFG" app)"

# The Secret's value is nowhere the agent shows or writes.
for what in "$(pods_json)" "$("$TANK" status --config "$CFG")" "$("$TANK" status --config "$CFG" app)" \
    "$(curl -fsS --unix-socket "$SOCK" http://tank/v1/events)" "$(cat "$TMP/agent.log")"; do
    grep -qF "$secret" <<<"$what" && fail "the secret's value leaked: $what"
done
grep -rlF "$secret" "$TMP/state" "$TMP/log" 2>/dev/null | grep -v '/upper/dev/shm/' >"$TMP/leaks"
[ -s "$TMP/leaks" ] && fail "the secret's value is on disk in: $(cat "$TMP/leaks")"
# run_dir is a tmpfs (/run/tank): what keeps the environment there (for tank exec) is root's.
for f in $(grep -rlF "$secret" "$TMP/run" 2>/dev/null); do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f holds the secret with mode $(stat -c %a "$f")"
done

# An edit of the ConfigMap replaces the env consumer.
sed -i 's/mode: fast/mode: safe/' "$PODS/settings.yaml"
wait_jq 60 '.pods[] | select(.name == "app") | .containers[0].state == "running" and .containers[0].pid != '"$pid"
new=$(ctr_jq app main .pid)
wait_for 10 test -s "/proc/$new/root/dev/shm/env"
grep -qx "MODE=safe" "/proc/$new/root/dev/shm/env" || fail "MODE after the edit: $(cat "/proc/$new/root/dev/shm/env")"

# A typo in the ConfigMap's file: an error, and the pod keeps running on what it read.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {mode: [x]}\n' \
    >"$PODS/.cm.tmp"
mv "$PODS/.cm.tmp" "$PODS/settings.yaml"
wait_jq 30 '.errors | length == 1'
sleep 1
[ "$(ctr_jq app main .pid)" = "$new" ] || fail "a broken ConfigMap file stopped its consumer: $(pods_json)"
pass

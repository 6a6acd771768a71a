#!/bin/bash
# [agent] secrets_dir: Secrets kept on the host, out of the git repository, serve the pods of
# pods_dir. It is watched like pods_dir (a pod waiting for a Secret starts when the Secret is
# written there), refused unless root's and closed to others, may hold only Secrets and
# ConfigMaps, and a name defined in both places is an error naming both files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
SEC=$TMP/secrets
mkdir -m 0700 "$SEC"
agent_start
skip_unless_containers_run

cat >"$PODS/.db.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata: {name: db}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $IMAGE
      command: ["sh", "-c", "echo \"pw=\$DB_PASSWORD\" > /dev/shm/pw; exec sleep 100341"]
      env:
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: {name: db-pass, key: password}
EOM
mv "$PODS/.db.tmp" "$PODS/db.yaml"
wait_jq 30 '.pods[] | select(.name == "db") | .containers[0].reason == "CreateContainerConfigError"'

# Written into secrets_dir (not the repository): the pod starts by itself.
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db-pass}\nstringData: {password: host-%s}\n' $$ \
    >"$SEC/.db.tmp"
mv "$SEC/.db.tmp" "$SEC/db-pass.yaml"
wait_jq 30 '.pods[] | select(.name == "db") | .containers[0].state == "running"' ||
    fail "not started: $(pods_json)"
pid=$(ctr_jq db main .pid)
wait_for 10 test -s "/proc/$pid/root/dev/shm/pw"
[ "$(cat "/proc/$pid/root/dev/shm/pw")" = "pw=host-$$" ] || fail "env: $(cat "/proc/$pid/root/dev/shm/pw")"

# The same name in the repository too: an error naming both files.
cp "$SEC/db-pass.yaml" "$PODS/.dup.tmp" && mv "$PODS/.dup.tmp" "$PODS/dup.yaml"
wait_jq 30 '.errors | length == 1'
pods_json | jq -r '.errors[0] | .file + ": " + .message' |
    grep -qF "$SEC/db-pass.yaml: metadata.name: Secret 'db-pass' is defined both here and in $PODS/dup.yaml:3" ||
    fail "dup error: $(pods_json | jq -c .errors)"
rm "$PODS/dup.yaml"
wait_jq 30 '.errors | length == 0'

# Only Secrets and ConfigMaps.
cp "$PODS/db.yaml" "$SEC/.pod.tmp" && mv "$SEC/.pod.tmp" "$SEC/pod.yaml"
wait_jq 30 '.errors | length == 1'
pods_json | jq -r '.errors[0].message' | grep -q "secrets_dir may hold only Secrets and ConfigMaps" ||
    fail "pod in secrets_dir: $(pods_json | jq -c .errors)"
rm "$SEC/pod.yaml"
wait_jq 30 '.errors | length == 0'

# Readable by others: refused as a whole.
chmod 0755 "$SEC"
kill -HUP "$AGENT_PID"
wait_jq 30 '.errors | length == 1'
pods_json | jq -r '.errors[0].message' | grep -q "owned by root and not readable by others" ||
    fail "open secrets_dir: $(pods_json | jq -c .errors)"
pass

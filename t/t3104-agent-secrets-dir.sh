#!/bin/bash
# [agent] secrets_dir: Secrets kept on the host, out of the git repository, serve the pods of
# pods_dir. It is watched like pods_dir (a pod waiting for a Secret starts when the Secret is
# written there), refused unless root's and closed to others, may hold only Secrets and
# ConfigMaps, and a name defined in both places is an error naming both files. Like pods_dir,
# it is a tree (subdirectories read and watched) and may appear after the agent started.
# (resync_seconds is 30: the waits of 8 s below see the watches, not the periodic read.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
SEC=$TMP/secrets
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

# Written into secrets_dir (not the repository), which appears only now: the pod starts by
# itself.
mkdir -m 0700 "$SEC"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db-pass}\nstringData: {password: host-%s}\n' $$ \
    >"$SEC/.db.tmp"
mv "$SEC/.db.tmp" "$SEC/db-pass.yaml"
wait_jq 8 '.pods[] | select(.name == "db") | .containers[0].state == "running"' ||
    fail "not started: $(pods_json)"
pid=$(ctr_jq db main .pid)
wait_for 10 test -s "/proc/$pid/root/dev/shm/pw"
[ "$(cat "/proc/$pid/root/dev/shm/pw")" = "pw=host-$$" ] || fail "env: $(cat "/proc/$pid/root/dev/shm/pw")"

# A subdirectory made now, and a Secret written into it: read, and watched.
sed 's/{name: db}/{name: db2}/; s/db-pass/app-pass/' "$PODS/db.yaml" >"$PODS/.db2.tmp"
mv "$PODS/.db2.tmp" "$PODS/db2.yaml"
wait_jq 8 '.pods[] | select(.name == "db2") | .containers[0].reason == "CreateContainerConfigError"' ||
    fail "db2 not waiting: $(pod_jq db2 .)"
mkdir -p "$SEC/team/app"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app-pass}\nstringData: {password: app-%s}\n' $$ \
    >"$SEC/team/app/.tmp"
mv "$SEC/team/app/.tmp" "$SEC/team/app/app-pass.yaml"
wait_jq 8 '.pods[] | select(.name == "db2") | .containers[0].state == "running"' ||
    fail "a Secret in a subdirectory of secrets_dir: $(pod_jq db2 .message)"
# An edit there replaces the pod reading it (its environment changed).
pid2=$(ctr_jq db2 main .pid)
sed -i "s/app-$$/app2-$$/" "$SEC/team/app/app-pass.yaml"
wait_for 8 sh -c "p=\$('$TANK' status --config '$CFG' -o json | jq -r '.pods[] | select(.name == \"db2\") | .containers[0].pid'); [ \"\$p\" != '$pid2' ] && [ \"\$p\" != null ] && grep -qx 'pw=app2-$$' /proc/\$p/root/dev/shm/pw" ||
    fail "the edit in a subdirectory did not reach the pod"
rm "$PODS/db2.yaml"
wait_gone 30 db2

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

#!/bin/bash
# spec.securityContext.fsGroup on emptyDir volumes, from inside real containers run by the
# agent, as the kubelet does it: the volume's directory is the group's and set-group-id
# (02777), so what a non-root user (runAsUser 1000) makes there is the fsGroup's; in a
# hostUsers: false pod the same group is seen inside, and on the host it is the fsGroup
# inside the pod's id range (range start + fsGroup), not the host's group of that number,
# for the emptyDir and for a 0400 secret volume alike (user 1000 reads it through the group).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds stat
agent_setup
BASE=3100000000
cat >>"$CFG" <<EOC
[security]
userns_ranges = $BASE:131072
EOC
agent_start
skip_unless_containers_run

cat >"$PODS/.s.tmp" <<EOM
apiVersion: v1
kind: Secret
metadata: {name: key}
stringData: {key: "s3cret"}
EOM
mv "$PODS/.s.tmp" "$PODS/s.yaml"
fsgroup_pod() { # NAME HOSTUSERS-LINE
    cat >"$PODS/.$1.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 1
  $2
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 2345}
  containers:
    - name: main
      image: $IMAGE
      command: ["sh", "-c", "cat /etc/key/key > /data/key; mkdir /data/d && touch /data/f /data/d/g && stat -c '%a %g' /data /data/f /data/d /data/d/g > /data/out; exec sleep 100322"]
      volumeMounts: [{name: data, mountPath: /data}, {name: key, mountPath: /etc/key}]
  volumes:
    - {name: data, emptyDir: {}}
    - name: key
      secret: {secretName: key, defaultMode: 0400}
EOM
    mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}
fsgroup_pod plain ""
fsgroup_pod mapped "hostUsers: false"
for p in plain mapped; do
    wait_jq 60 ".pods[] | select(.name == \"$p\") | .containers[0].state == \"running\"" ||
        fail "$p not running: $(pods_json)"
done
for p in plain mapped; do
    pid=$(ctr_jq $p main .pid)
    wait_for 10 test -s "/proc/$pid/root/data/out" || fail "$p: user 1000 cannot write the emptyDir"
    # Inside: the directory 2777 of group 2345, new files and directories the group's.
    want="2777 2345
644 2345
2755 2345
644 2345"
    [ "$(cat "/proc/$pid/root/data/out")" = "$want" ] || fail "$p inside: $(cat "/proc/$pid/root/data/out")"
    [ "$(cat "/proc/$pid/root/data/key")" = s3cret ] ||
        fail "$p: user 1000 cannot read the 0400 secret: $(stat -L -c '%a %g' "/proc/$pid/root/etc/key/key")"
done
# On the host: the plain pod's files are group 2345; the mapped pod's are its range's 2345.
dir=$TMP/state/pods/plain/volumes/data
[ "$(stat -c '%a %g' "$dir" "$dir/f")" = "2777 2345
644 2345" ] || fail "plain on the host: $(stat -c '%a %g' "$dir" "$dir/f")"
dir=$TMP/state/pods/mapped/volumes/data
g=$(stat -c %g "$dir/f")
[ "$g" -ge "$BASE" ] && [ "$g" -lt $((BASE + 131072)) ] && [ $(((g - BASE) % 65536)) = 2345 ] ||
    fail "mapped on the host: group $g, not the range's 2345"
k=$(stat -L -c %g "$TMP/run/cfgvol/mapped/key/key")
[ "$k" = "$g" ] || fail "mapped secret's group on the host: $k, not $g"

#!/bin/bash
# User namespaces (spec.hostUsers: false), from inside real containers run by the agent:
# root inside is uid 0 but an unprivileged id of the pod's range on the host (its workload's
# /proc/PID/status); the image's root files stay root's inside (idmapped layers); what it
# writes into an emptyDir (and a subPath of it) belongs to the range's first id on the host;
# a root-only (0600) host file exposed through a hostPath cannot be read (the attack); two
# pods get disjoint ranges; default_host_users = false applies to pods without the field; the ranges survive
# an agent kill -9 and are never given twice, and a removed pod's range is given again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds stat
agent_setup
# Three pods' worth of ids; pods without hostUsers get a user namespace too.
BASE=3000000000
cat >>"$CFG" <<EOC
[security]
userns_ranges = $BASE:196608
default_host_users = false
EOC
STATE=$TMP/state

# The field is new: before, a manifest with it was refused ("not supported").
mkdir -p "$TMP/secret" "$TMP/m"
echo "host-root-only" >"$TMP/secret/key"
chmod 0600 "$TMP/secret/key"
userns_pod() { # NAME HOSTUSERS-LINE
    cat >"$TMP/m/$1.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  $2
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "id -u >/data/id; id -g >/data/gid; touch /data/made; stat -c %u:%g /bin/busybox /etc >/data/img; cat /host/key >/data/leak 2>/data/err; echo \$? >/data/rc; touch /rootfile; echo x >>/etc/passwd; stat -c %u /host/key >/data/hostowner; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status >/data/confined; touch /sub/x; exec sleep 1000"]
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: host, mountPath: /host}
    - {name: data, mountPath: /sub, subPath: deep/er}
  volumes:
  - {name: data, emptyDir: {}}
  - name: host
    hostPath: {path: $TMP/secret, type: Directory}
EOC
}
userns_pod a "hostUsers: false"
"$TANK" validate "$TMP/m/a.yaml" >"$TMP/validate.out" 2>&1 ||
    fail "hostUsers: false refused: $(cat "$TMP/validate.out")"
expect_invalid "hostUsers: false with hostNetwork" \
    "spec.hostUsers: false cannot be used together with hostNetwork" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  hostNetwork: true
  hostUsers: false
  containers: [{name: main, image: busybox}]
EOC

agent_start
skip_unless_containers_run

# host_ids PID: "UID GID" of a process as the host sees it (real ids).
host_ids() { awk '/^Uid:/ {u = $2} /^Gid:/ {g = $2} END {print u, g}' "/proc/$1/status"; }
range_of() { sed -n 's/^start=//p' "$STATE/pods/$1/userns"; }
vol() { cat "$STATE/pods/$1/volumes/data/$2" 2>/dev/null; }
running() { wait_jq 60 ".pods[] | select(.name == \"$1\") | .containers[0].state == \"running\""; }
check_pod() { # NAME: runs in its own range; returns the range's start in $START
    local name=$1 pid ids
    running "$name"
    # the command's last step: every file before it is written
    wait_for 10 test -e "$STATE/pods/$name/volumes/data/deep/er/x"
    START=$(range_of "$name")
    [ -n "$START" ] || fail "$name: no range recorded"
    # The attack: root of the container reads a root-only host file through a hostPath.
    [ "$(vol "$name" rc)" != 0 ] && ! grep -q host-root-only "$STATE/pods/$name/volumes/data/leak" ||
        fail "$name: container root read a 0600 host file: $(vol "$name" leak)"
    grep -q "Permission denied" "$STATE/pods/$name/volumes/data/err" ||
        fail "$name: hostPath read failed oddly: $(vol "$name" err)"
    pid=$(ctr_jq "$name" main .pid)
    ids=$(host_ids "$pid")
    [ "$ids" = "$START $START" ] || fail "$name: workload runs as '$ids' on the host, not $START"
    [ "$(vol "$name" id)" = 0 ] && [ "$(vol "$name" gid)" = 0 ] ||
        fail "$name: id inside is $(vol "$name" id):$(vol "$name" gid), not 0:0"
    [ "$(stat -c %u:%g "$STATE/pods/$name/volumes/data/made")" = "$START:$START" ] ||
        fail "$name: emptyDir file owned by $(stat -c %u:%g "$STATE/pods/$name/volumes/data/made")"
    [ "$(vol "$name" img | tr '\n' ' ')" = "0:0 0:0 " ] ||
        fail "$name: image files inside owned by $(vol "$name" img | tr '\n' ' ')"
    # Host root's files show as nobody; a file copied up from the image is the range's on the
    # host, and the shared layer keeps its root-owned original.
    [ "$(vol "$name" hostowner)" = 65534 ] || fail "$name: host root's file shows as $(vol "$name" hostowner)"
    [ "$(stat -c %u:%g "$STATE/pods/$name/containers/main/upper/etc/passwd")" = "$START:$START" ] ||
        fail "$name: copied-up file owned by $(stat -c %u:%g "$STATE/pods/$name/containers/main/upper/etc/passwd")"
    [ -d "$STATE/images/layers" ] && [ -z "$(find "$STATE/images/layers" -user "$START" -print -quit)" ] ||
        fail "$name: a shared layer holds files of its range"
    # The directories a subPath made in the emptyDir are its root's too.
    [ "$(stat -c %u "$STATE/pods/$name/volumes/data/deep/er/x" 2>&1)" = "$START" ] ||
        fail "$name: subPath file: $(stat -c %u "$STATE/pods/$name/volumes/data/deep/er/x" 2>&1)"
    # What it wrote into its root file system is its range's, not the host root's.
    [ "$(stat -c %u "$STATE/pods/$name/containers/main/upper/rootfile")" = "$START" ] ||
        fail "$name: rootfs file owned by $(stat -c %u "$STATE/pods/$name/containers/main/upper/rootfile")"
}
cp "$TMP/m/a.yaml" "$PODS/"
check_pod a
A=$START
userns_pod b "hostUsers: false"
cp "$TMP/m/b.yaml" "$PODS/"
check_pod b
B=$START
[ $((A < B ? B - A : A - B)) -ge 65536 ] || fail "ranges of a ($A) and b ($B) overlap"
for s in "$A" "$B"; do
    [ "$s" -ge "$BASE" ] && [ "$s" -lt $((BASE + 196608)) ] && [ $(((s - BASE) % 65536)) = 0 ] ||
        fail "range $s is not one of the configured ones"
done

# default_host_users = false: a pod that does not say gets its own range; one that says
# hostUsers: true runs as the host's root.
userns_pod c ""
cp "$TMP/m/c.yaml" "$PODS/"
check_pod c
C=$START
[ "$C" != "$A" ] && [ "$C" != "$B" ] || fail "c got a range in use ($C)"
userns_pod d "hostUsers: true"
cp "$TMP/m/d.yaml" "$PODS/"
running d
[ "$(host_ids "$(ctr_jq d main .pid)")" = "0 0" ] || fail "hostUsers: true pod is not the host's root"
[ ! -e "$STATE/pods/d/userns" ] || fail "hostUsers: true pod got a range"
# Capabilities, no_new_privs and seccomp are the same inside a user namespace.
wait_for 10 test -s "$STATE/pods/d/volumes/data/confined"
[ "$(vol a confined)" = "$(vol d confined)" ] ||
    fail "confinement differs: userns '$(vol a confined)' host '$(vol d confined)'"
grep -q "NoNewPrivs:.1" "$STATE/pods/a/volumes/data/confined" &&
    grep -q "Seccomp:.2" "$STATE/pods/a/volumes/data/confined" ||
    fail "userns pod not confined: $(vol a confined)"

# The agent dies: the pods are adopted with their ranges, which stay taken.
PID_A=$(ctr_jq a main .pid)
agent_kill9
agent_start
running a
[ "$(ctr_jq a main .pid)" = "$PID_A" ] || fail "a was not adopted"
[ "$(range_of a)" = "$A" ] && [ "$(range_of b)" = "$B" ] && [ "$(range_of c)" = "$C" ] ||
    fail "ranges changed across the restart"
# All three ranges are in use: a fourth pod cannot get one.
userns_pod e "hostUsers: false"
cp "$TMP/m/e.yaml" "$PODS/"
wait_jq 60 '.pods[] | select(.name == "e") | .message // "" | test("no free user namespace range")' ||
    fail "e: $(pod_jq e .message)"
# A container restart after the adoption runs in the same range.
kill -9 "$PID_A"
wait_jq 60 ".pods[] | select(.name == \"a\") | .containers[0].state == \"running\" and .containers[0].pid != $PID_A"
[ "$(host_ids "$(ctr_jq a main .pid)")" = "$A $A" ] || fail "a restarted outside its range"

# Removing a frees its range (once its emptyDir is gone); e then gets it.
rm "$PODS/a.yaml"
wait_gone 60 a
[ ! -e "$STATE/pods/a" ] || fail "a's state remains: $(ls -a "$STATE/pods/a")"
check_pod e
[ "$START" = "$A" ] || fail "e got $START, not a's freed range $A"

# Non-root users map too; an id beyond the 65,536 of the namespace is a clear error.
rm "$PODS/b.yaml"
wait_gone 60 b
cat >"$PODS/f.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata: {name: f}
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    command: ["sleep", "1000"]
    securityContext: {runAsUser: 1000, runAsGroup: 2000}
  - name: far
    image: $IMAGE
    command: ["sleep", "1000"]
    securityContext: {runAsUser: 70000}
EOC
running f
F=$(range_of f)
[ "$(host_ids "$(ctr_jq f main .pid)")" = "$((F + 1000)) $((F + 2000))" ] ||
    fail "f: runAsUser 1000 runs as $(host_ids "$(ctr_jq f main .pid)") on the host (range $F)"
wait_jq 60 '.pods[] | select(.name == "f") | .containers[1].reason == "CreateContainerError"'
grep -q "outside the pod's user namespace (ids 0 to 65535" <<<"$(pod_jq f .message)" ||
    fail "f: $(pod_jq f .message)"
pass

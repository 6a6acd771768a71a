#!/bin/bash
# Hostile images at container start, through the agent: a User that names no user of the
# image, an Entrypoint that does not exist, an image whose /etc/resolv.conf is a symlink to
# a host file, and one whose volume mountPath is a symlink to a host directory. The first
# two fail with a clear reason in the status; the symlinks do not redirect anything onto
# the host (the host file and directory are unchanged and nothing is mounted on them);
# the agent keeps running and serves the other pods throughout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds python3
agent_setup
agent_start
skip_unless_containers_run
rm -f "$PODS/probe.yaml"
T=$TANK_SRC/t
blob=$(python3 -c 'import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]
print(json.load(open(d+"/blobs/sha256/"+i))["layers"][0]["digest"][7:])' "$IMAGE_DIR")
gzip -dc "$IMAGE_DIR/blobs/sha256/$blob" >"$TMP/base.tar" || fail "base layer"

H=$TMP/host
mkdir -p "$H/dir"
echo "nameserver 192.0.2.1 # host" >"$H/resolv.conf"
echo keep >"$H/dir/keep"
host_state() { (cd "$H" && find . -printf '%p %y %m %s\n' | sort && cat resolv.conf dir/keep) | sha256sum; }
before=$(host_state)

# a layer with /etc/resolv.conf -> the host file and /data -> the host directory
python3 - "$TMP/links.tar" "$H" <<'EOP' || fail "links layer"
import sys, tarfile
with tarfile.open(sys.argv[1], "w") as tf:
    for name, target in [("etc/resolv.conf", sys.argv[2] + "/resolv.conf"),
                         ("data", sys.argv[2] + "/dir"), ("rel", "../../../../.." + sys.argv[2] + "/dir")]:
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname = tarfile.SYMTYPE, target
        tf.addfile(ti)
EOP
"$T/mklayout.py" "$TMP/img" links --cmd '["sh"]' "$TMP/base.tar" "$TMP/links.tar" >/dev/null || fail mklayout
"$T/mklayout.py" "$TMP/img" ghost --user ghost --cmd '["sh"]' "$TMP/base.tar" >/dev/null || fail mklayout
"$T/mklayout.py" "$TMP/img" noentry --entrypoint '["/no/such/binary"]' "$TMP/base.tar" >/dev/null ||
    fail mklayout

put ok Always "exec sleep 3600"
pod_yaml ghost Never "exit 0" | sed "s|image: .*|image: oci:$TMP/img:ghost|; /command:/d" >"$PODS/ghost.yaml"
pod_yaml noentry Never "exit 0" | sed "s|image: .*|image: oci:$TMP/img:noentry|; /command:/d" >"$PODS/noentry.yaml"
cat >"$PODS/links.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: links
spec:
  restartPolicy: Never
  dnsConfig: {nameservers: [198.51.100.7]}
  containers:
  - name: main
    image: oci:$TMP/img:links
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo pwned > /data/keep; echo pwned > /rel/new; cat /etc/resolv.conf; echo x > /etc/resolv.conf; exit 0"]
    volumeMounts:
    - {name: scratch, mountPath: /data}
    - {name: scratch, mountPath: /rel}
  volumes:
  - {name: scratch, emptyDir: {}}
EOC
wait_phase 60 ok Running
# the reason is on the pod ("message") and its container ("reason")
why='(.message // "") + " " + (.containers[0].message // "")'
wait_jq 60 ".pods[] | select(.name == \"ghost\") | ($why) | test(\"[a-z]\")"
wait_jq 60 ".pods[] | select(.name == \"noentry\") | ($why) | test(\"[a-z]\")"
ghost=$(pod_jq ghost "$why")
noentry=$(pod_jq noentry "$why")
echo "ghost: $ghost"
echo "noentry: $noentry"
case $ghost in *ghost*) ;; *) fail "the missing user is not named: $ghost" ;; esac
case $noentry in */no/such/binary*) ;; *) fail "the missing entrypoint is not named: $noentry" ;; esac
[ "$(pod_jq ghost .phase)" != Running ] || fail "ghost runs"
# the symlink pod ran (or was refused) without touching the host
wait_jq 60 '.pods[] | select(.name == "links") | .phase == "Succeeded" or .phase == "Failed"'
echo "links: $(pod_jq links ".phase + \" \" + $why")"
[ "$(host_state)" = "$before" ] || fail "the host directory changed: $(ls -la "$H" "$H/dir"; cat "$H/resolv.conf")"
grep -q " $H" /proc/self/mountinfo && fail "something is mounted on the host path: $(grep " $H" /proc/self/mountinfo)"
if [ "$(pod_jq links .phase)" = Succeeded ]; then
    log=$("$TANK" logs --config "$CFG" links main)
    case $log in *198.51.100.7*) ;; *) fail "the pod's resolv.conf was not the pod's: $log" ;; esac
fi
kill -0 "$AGENT_PID" || fail "the agent died"
[ "$(pod_phase ok)" = Running ] || fail "the healthy pod is not running"
pass

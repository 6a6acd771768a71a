#!/bin/bash
# The agent's automatic image GC, on a 32 MiB tmpfs state_dir: four images of a shared base
# plus 4 MiB each fill it to about 57%; above image_gc_high_percent (50) the agent removes
# unused images, least recently used first, until usage is below image_gc_low_percent (35):
# the two least recently used go, the image a pod runs and the one used last stay. With
# image_gc_min_age = 1h nothing that young is removed, and the agent says it fell short.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds python3
T=$TANK_SRC/t
mkdir -p "$TMP/state"
mount -t tmpfs -o size=32m,mode=0755 tank-test-gc "$TMP/state" || skip "cannot mount a tmpfs"
# runs after agent_cleanup (cleanups run in reverse), which may have unmounted it already
at_exit "mountpoint -q '$TMP/state' && umount -l '$TMP/state'"
agent_setup
gc_config() { # MIN_AGE
    sed -i '/^\[images\]/,$d' "$CFG"
    printf '[images]\nimage_gc_high_percent = 50\nimage_gc_low_percent = 35\nimage_gc_min_age = %s\n' \
        "$1" >>"$CFG"
}
gc_config 0
tank() { "$TANK" --config "$CFG" "$@"; }
usage() { df --output=pcent "$TMP/state" | tail -n 1 | tr -dc 0-9; }
has() { tank images | grep -q "layout:$1 "; }

python3 - "$IMAGE_DIR" >"$TMP/base.path" <<'EOF' || fail "read the busybox layout"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
print(d + "/blobs/sha256/" + json.load(open(d + "/blobs/sha256/" + m))["layers"][0]["digest"][7:])
EOF
gzip -dc "$(cat "$TMP/base.path")" >"$TMP/base.tar"
for n in a b c d; do
    mkdir -p "$TMP/$n/data"
    head -c $((4 << 20)) /dev/urandom >"$TMP/$n/data/$n"
    tar -C "$TMP/$n" -cf "$TMP/$n.tar" data
    "$T/mklayout.py" "$TMP/layout" $n --cmd '["sh"]' "$TMP/base.tar" "$TMP/$n.tar" >/dev/null ||
        fail "mklayout $n"
done
# pulled in this order (a least recently), then b used again: c is now the least recent
for n in a b c d; do tank pull "oci:$TMP/layout:$n" >/dev/null || fail "pull $n"; done
tank unpack "oci:$TMP/layout:b" "$TMP/unpacked" || fail "unpack b"
last_used() { tank images -o json | jq -r --arg r "oci:$TMP/layout:$1" '.[] | select(.reference == $r) | .lastUsed'; }
[[ "$(last_used b)" > "$(last_used d)" ]] || fail "the use of b is not recorded: b $(last_used b), d $(last_used d)"
before=$(usage)
[ "$before" -ge 50 ] || fail "the fixture fills only $before% of the tmpfs"
cat >"$PODS/web.yaml" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: oci:$TMP/layout:a
    imagePullPolicy: Never
    command: ["sleep", "600"]
EOC
agent_start
wait_phase 60 web Running
wait_for 60 sh -c "! \"$TANK\" --config '$CFG' images | grep -q 'layout:d '"
wait_for 30 grep -q "image gc: Total reclaimed space" "$TMP/agent.log"
has c && fail "c (least recently used) was kept: $(tank images)"
has a || fail "a (the pod's image) was removed"
has b || fail "b (used last) was removed"
after=$(usage)
[ "$after" -lt 35 ] || fail "usage $after% after the collection (from $before%)"
grep -q "image gc: '$TMP/state' is [0-9]*% full (image_gc_high_percent 50%)" "$TMP/agent.log" ||
    fail "no log of the trigger: $(grep 'image gc' "$TMP/agent.log")"
grep -q "image gc: removed image oci:$TMP/layout:c " "$TMP/agent.log" ||
    fail "no log of the removal: $(grep 'image gc' "$TMP/agent.log")"
[ "$(grep -c 'image gc: removed image' "$TMP/agent.log")" = 2 ] ||
    fail "expected two images removed: $(grep 'image gc' "$TMP/agent.log")"
[ "$(pod_phase web)" = Running ] || fail "web stopped: $(pods_json)"
tank unpack "oci:$TMP/layout:a" "$TMP/a-root" || fail "a is incomplete after the collection"
[ -f "$TMP/a-root/data/a" ] || fail "a lost its layer"

# image_gc_min_age: images pulled or used in the last hour stay, even above the high mark
agent_stop
gc_config 1h
for n in c d; do tank pull "oci:$TMP/layout:$n" >/dev/null || fail "pull $n again"; done
[ "$(usage)" -ge 50 ] || fail "the fixture fills only $(usage)%"
: >"$TMP/agent.log"
agent_start
wait_for 60 grep -q "image gc: could not bring '$TMP/state' below 35%" "$TMP/agent.log"
for n in a b c d; do has $n || fail "$n was removed though younger than image_gc_min_age"; done
grep -q "image gc: removed" "$TMP/agent.log" && fail "removed something: $(grep 'image gc' "$TMP/agent.log")"
pass

#!/bin/bash
# tank images prune: two images pulled from a real registry share a base layer; a pod
# manifest names one. --dry-run lists the other and its unique layer and removes nothing;
# prune removes them, keeps the shared layer and the named image, which still starts (with
# imagePullPolicy Never, so from the store). A running container keeps the image it started
# from after a newer pull moved its tag, until the container is gone. --all removes what
# only manifests name. Pulls racing prunes always leave complete images.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds skopeo python3
T=$TANK_SRC/t
# on a failure, also show the pods and the end of the agent's log
fail() { echo "FAIL: $*"; pods_json 2>/dev/null | jq -c .pods; tail -n 20 "$TMP/agent.log"; exit 1; }
start_registry
agent_setup
printf '[registry]\ninsecure = %s\n' "$REGISTRY" >>"$CFG"
tank() { "$TANK" --config "$CFG" "$@"; }
push() { skopeo copy -q --dest-tls-verify=false "$@" >/dev/null || fail "skopeo copy $*"; }
L=$TMP/state/images/layers/sha256

# base.tar: the busybox layer; one random layer per image on top
python3 - "$IMAGE_DIR" >"$TMP/base.tar.gz.path" <<'EOF' || fail "read the busybox layout"
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
print(d + "/blobs/sha256/" + json.load(open(d + "/blobs/sha256/" + m))["layers"][0]["digest"][7:])
EOF
gzip -dc "$(cat "$TMP/base.tar.gz.path")" >"$TMP/base.tar"
base=$(sha256sum <"$TMP/base.tar" | cut -c1-64)
# mk NAME TAG: an image of base + a random layer NAME, pushed as app:TAG; prints the layer's
# chain ID (the name of its directory: sha256 of "BASE_DIFF_ID LAYER_DIFF_ID")
mk() {
    mkdir -p "$TMP/$1/data"
    head -c 300000 /dev/urandom >"$TMP/$1/data/$1"
    tar -C "$TMP/$1" -cf "$TMP/$1.tar" data
    "$T/mklayout.py" "$TMP/layout-$1" x --cmd '["sh"]' "$TMP/base.tar" "$TMP/$1.tar" >/dev/null ||
        fail "mklayout $1"
    push "oci:$TMP/layout-$1:x" "docker://$REGISTRY/app:$2"
    printf 'sha256:%s sha256:%s' "$base" "$(sha256sum <"$TMP/$1.tar" | cut -c1-64)" |
        sha256sum | cut -c1-64
}
agent_start
skip_unless_containers_run
# the probe's image (the busybox layout) is unused now
tank images prune >"$TMP/prune" || fail "prune failed: $(cat "$TMP/prune")"
grep -q "^removed image $IMAGE " "$TMP/prune" || fail "probe image kept: $(cat "$TMP/prune")"
[ -z "$(ls "$L")" ] || fail "layers left: $(ls "$L")"

a=$(mk a 1) b=$(mk b 2)
tank pull "$REGISTRY/app:1" >/dev/null || fail "pull app:1"
tank pull "$REGISTRY/app:2" >/dev/null || fail "pull app:2"
[ -d "$L/$a" ] && [ -d "$L/$b" ] && [ -d "$L/$base" ] || fail "layers not stored: $(ls "$L")"
pod() { put_pod "$1" image="$2" pull="$3" grace=1 argv='["sleep", "600"]'; } # NAME IMAGE POLICY
pod web "$REGISTRY/app:1" IfNotPresent
wait_phase 60 web Running
# the container start counts as a use of app:1, pulled before app:2
last_used() { tank images -o json | jq -r --arg r "$REGISTRY/app:$1" '.[] | select(.reference == $r) | .lastUsed'; }
[[ "$(last_used 1)" > "$(last_used 2)" ]] || fail "start not recorded: $(tank images -o json)"

# --dry-run: says what would go, removes nothing
tank images prune --dry-run >"$TMP/dry" || fail "prune --dry-run failed: $(cat "$TMP/dry")"
grep -q "^would remove image $REGISTRY/app:2 " "$TMP/dry" || fail "dry run: $(cat "$TMP/dry")"
grep -q "^would remove layer sha256:$b " "$TMP/dry" || fail "dry run: no layer b: $(cat "$TMP/dry")"
grep -q "app:1\|$a\|$base" "$TMP/dry" && fail "dry run would remove what is used: $(cat "$TMP/dry")"
grep -q "^Total reclaimable space: .* (1 image, 1 layer, 2 blobs)$" "$TMP/dry" ||
    fail "dry run total: $(cat "$TMP/dry")"
[ -d "$L/$b" ] && tank images | grep -q "app:2" || fail "the dry run removed something"

# prune: app:2 and its own layer go; the shared base layer and app:1 stay
tank images prune >"$TMP/prune" || fail "prune failed: $(cat "$TMP/prune")"
grep -q "^removed image $REGISTRY/app:2 " "$TMP/prune" || fail "prune: $(cat "$TMP/prune")"
grep -q "^Total reclaimed space: [0-9.]* KiB (1 image, 1 layer, 2 blobs)$" "$TMP/prune" ||
    fail "prune total: $(cat "$TMP/prune")"
[ -d "$L/$b" ] && fail "layer b is still stored"
[ -d "$L/$a" ] && [ -d "$L/$base" ] || fail "a used layer was removed: $(ls "$L")"
tank images >"$TMP/images"
grep -q "app:2" "$TMP/images" && fail "app:2 still listed: $(cat "$TMP/images")"
grep -q "$REGISTRY/app:1" "$TMP/images" || fail "app:1 gone: $(cat "$TMP/images")"
[ "$(tank images prune)" = "Total reclaimed space: 0 B (0 images, 0 layers, 0 blobs)" ] ||
    fail "a second prune removed something"
# the kept image starts, from the store only
pod again "$REGISTRY/app:1" Never
wait_phase 60 again Running
rm -f "$PODS/again.yaml"
wait_gone 30 again

# a newer pull of the tag a container runs: its old image stays while it exists
# (the agent runs in a network namespace of its own: images are pulled from here)
c=$(mk c latest)
tank pull "$REGISTRY/app:latest" >/dev/null || fail "pull app:latest"
pod mover "$REGISTRY/app:latest" IfNotPresent
wait_phase 60 mover Running
old=$(ctr_jq mover main .imageDigest)
d=$(mk d latest)
tank pull "$REGISTRY/app:latest" >/dev/null || fail "pull the moved tag"
[ "$(tank images -o json | jq -r --arg r "$REGISTRY/app:latest" '.[] | select(.reference == $r) | .digest')" != "$old" ] ||
    fail "the tag did not move"
tank images prune >"$TMP/prune" || fail "prune failed: $(cat "$TMP/prune")"
[ -d "$L/$c" ] || fail "the running container's layer was removed: $(cat "$TMP/prune")"
[ -d "$L/$d" ] || fail "the new image of the named tag was removed: $(cat "$TMP/prune")"
[ -f "$TMP/state/images/blobs/sha256/${old#sha256:}" ] || fail "the running container's manifest was removed"
[ "$(pod_phase mover)" = Running ] || fail "mover stopped: $(pods_json)"
rm -f "$PODS/mover.yaml"
wait_gone 30 mover
tank images prune >"$TMP/prune" || fail "prune failed: $(cat "$TMP/prune")"
grep -q "^removed layer sha256:$c " "$TMP/prune" || fail "old layer kept: $(cat "$TMP/prune")"
grep -q "^removed image $REGISTRY/app:latest " "$TMP/prune" || fail "unnamed image kept: $(cat "$TMP/prune")"
[ -d "$L/$c" ] || [ -d "$L/$d" ] && fail "layers left: $(ls "$L")"
[ -d "$L/$a" ] || fail "app:1's layer went with the others"

# --all: an image only a manifest names goes, one a container uses stays. (Another pods
# directory names app:2, so that the agent does not start it.)
mkdir -p "$TMP/pods2"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p2}\nspec:\n  containers:\n  - {name: main, image: "%s/app:2"}\n' \
    "$REGISTRY" >"$TMP/pods2/p2.yaml"
sed "s|^pods_dir = .*|pods_dir = $TMP/pods2|" "$CFG" >"$TMP/other.ini"
other() { "$TANK" --config "$TMP/other.ini" "$@"; }
other pull "$REGISTRY/app:2" >/dev/null || fail "pull app:2 again"
other images prune >"$TMP/prune" || fail "prune failed: $(cat "$TMP/prune")"
grep -q "removed image" "$TMP/prune" && fail "prune removed a named image: $(cat "$TMP/prune")"
other images prune --all >"$TMP/prune" || fail "prune --all failed: $(cat "$TMP/prune")"
grep -q "^removed image $REGISTRY/app:2 " "$TMP/prune" || fail "--all kept app:2: $(cat "$TMP/prune")"
grep -q "app:1" "$TMP/prune" && fail "--all removed the running container's image"
[ -d "$L/$a" ] && [ -d "$L/$base" ] && [ ! -d "$L/$b" ] || fail "--all: wrong layers: $(ls "$L")"
[ "$(pod_phase web)" = Running ] || fail "web stopped: $(pods_json)"

# a pods directory that cannot be read stops a prune (every image would look unused)
sed -i "s|^pods_dir = .*|pods_dir = $TMP/missing|" "$CFG"
tank images prune 2>"$TMP/err" >/dev/null && fail "prune ran without a pods directory"
grep -q "read the pods directory '$TMP/missing'" "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
sed -i "s|^pods_dir = .*|pods_dir = $PODS|" "$CFG"

# pulls racing prunes: each pull ends with a complete image (a prune sees the image named
# by the manifest once its record exists, and cannot remove what a pull underway stored)
for i in 1 2 3 4 5; do
    other images prune --all >/dev/null || fail "prune --all"
    other pull "$REGISTRY/app:2" >"$TMP/pull.$i" 2>&1 &
    pull=$!
    for _ in 1 2 3 4 5 6 7 8; do
        other images prune >>"$TMP/race-prune" 2>&1 || fail "prune failed: $(tail -n 3 "$TMP/race-prune")"
    done
    wait $pull || fail "pull $i failed: $(cat "$TMP/pull.$i")"
    other unpack "$REGISTRY/app:2" "$TMP/unpack.$i" >/dev/null 2>&1 ||
        fail "round $i: the pulled image is incomplete"
    [ -f "$TMP/unpack.$i/data/b" ] || fail "round $i: layer b missing from the image"
    rm -rf "$TMP/unpack.$i"
done
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "temp dirs left: $(ls "$TMP/state/images/tmp")"
pass

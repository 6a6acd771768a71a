#!/bin/bash
# Files of an oci: layout or of the store that are not regular files: a FIFO as a layer blob,
# as index.json and as the manifest blob, a blob that is a symbolic link to /dev/zero, and a
# FIFO in the store in place of an image's config blob. Each is refused at once with an
# error naming the file; nothing waits on a FIFO (`tank images prune` neither). Before, the
# pull hung for ever in open() of the FIFO.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds python3 mkfifo umoci
mkdir "$TMP/pods"
store_config "pods_dir = $TMP/pods"

if [ -f "$TANK_SRC/build/oci/busybox/index.json" ]; then
    src=$TANK_SRC/build/oci/busybox
else
    "$TANK_SRC/t/mkimage-busybox.sh" "$TMP/src" latest >"$TMP/mkimage.log" 2>&1 ||
        skip "cannot build the busybox image: $(tail -n 1 "$TMP/mkimage.log")"
    src=$TMP/src
fi
# fresh_layout NAME: a copy of the image's layout in $TMP/NAME; prints the blob paths of
# its manifest, config and layer.
fresh_layout() {
    cp -r "$src" "$TMP/$1"
    python3 - "$TMP/$1" <<'EOP'
import json, sys
d = sys.argv[1]
blob = lambda dg: "%s/blobs/sha256/%s" % (d, dg.split(":")[1])
m = json.load(open(d + "/index.json"))["manifests"][0]["digest"]
man = json.load(open(blob(m)))
print(blob(m), blob(man["config"]["digest"]), blob(man["layers"][0]["digest"]))
EOP
}
# refused ERRFILE WANT... : `tank pull` of $layout failed within 10 s, with each WANT in its error.
pull_refused() {
    local t0=$SECONDS out rc w
    out=$(timeout 20 "$TANK" --config "$TMP/tank.ini" pull "oci:$layout:latest" 2>&1); rc=$?
    [ "$rc" != 124 ] || fail "$1: tank pull still waits after 20 s"
    [ "$rc" = 1 ] || fail "$1: tank pull exited $rc: $out"
    [ $((SECONDS - t0)) -le 10 ] || fail "$1: tank pull took $((SECONDS - t0)) s"
    for w in "${@:2}"; do
        grep -qF -- "$w" <<<"$out" || fail "$1: '$w' not in: $out"
    done
    echo "# $1: $out"
}

read -r man cfg layer < <(fresh_layout fifo-layer)
layout=$TMP/fifo-layer
rm "$layer" && mkfifo "$layer"
pull_refused "a FIFO layer blob" "'$layer' is not a regular file"
t0=$SECONDS
timeout 60 "$TANK" --config "$TMP/tank.ini" images prune >/dev/null 2>&1 ||
    fail "tank images prune failed or waited"
echo "# tank images prune took $((SECONDS - t0)) s"

read -r man cfg layer < <(fresh_layout fifo-index)
layout=$TMP/fifo-index
rm "$layout/index.json" && mkfifo "$layout/index.json"
pull_refused "a FIFO index.json" "'$layout/index.json' is not a regular file"

read -r man cfg layer < <(fresh_layout fifo-manifest)
layout=$TMP/fifo-manifest
rm "$man" && mkfifo "$man"
pull_refused "a FIFO manifest blob" "'$man' is not a regular file"

read -r man cfg layer < <(fresh_layout zero-config)
layout=$TMP/zero-config
rm "$cfg" && ln -s /dev/zero "$cfg"
pull_refused "a config blob linked to /dev/zero" "'$cfg' is a symbolic link"

# The store: a good pull, then its config blob becomes a FIFO; reading the images list or
# running prune never waits on it.
read -r man cfg layer < <(fresh_layout good)
"$TANK" --config "$TMP/tank.ini" pull "oci:$TMP/good:latest" >/dev/null 2>&1 || fail "good pull"
stored=$TMP/state/images/blobs/sha256/$(basename "$cfg")
[ -f "$stored" ] || fail "no config blob in the store at $stored"
rm "$stored" && mkfifo "$stored"
for cmd in "images" "images -o json" "images prune"; do
    t0=$SECONDS
    timeout 60 "$TANK" --config "$TMP/tank.ini" $cmd >"$TMP/out" 2>&1
    [ $? != 124 ] || fail "tank $cmd waits on a FIFO in the store"
    [ $((SECONDS - t0)) -le 10 ] || fail "tank $cmd took $((SECONDS - t0)) s"
done
pass

#!/bin/bash
# Pulls from a real registry (Debian's docker-registry): OCI and Docker schema2 manifests
# pushed by skopeo, a multi-platform index, a 20-layer image, concurrent pulls of the same
# image (each layer extracted once), layers shared between images, a missing image.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds skopeo umoci python3
T=$TANK_SRC/t
start_registry
store_config "[registry]" "insecure = $REGISTRY"
push() { skopeo copy -q --dest-tls-verify=false "$@" >/dev/null || fail "skopeo copy $*"; }
S=$TMP/state/images/layers/sha256

"$T/mkimage-busybox.sh" "$TMP/oci" latest >/dev/null || fail "mkimage-busybox failed"
push "oci:$TMP/oci:latest" "docker://$REGISTRY/busybox:oci"
push --format v2s2 "oci:$TMP/oci:latest" "docker://$REGISTRY/busybox:v2s2"
mt=$(curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/busybox/manifests/v2s2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mediaType"])')
[ "$mt" = application/vnd.docker.distribution.manifest.v2+json ] || fail "fixture is not schema2: $mt"

out=$(tank pull "$REGISTRY/busybox:oci") || fail "pull (OCI) failed"
case $out in *"1 extracted"*) ;; *) fail "unexpected: $out" ;; esac
out=$(tank pull "$REGISTRY/busybox:v2s2") || fail "pull (schema2) failed"
case $out in *"0 extracted, 1 present"*) ;; *) fail "schema2 image did not share the layer: $out" ;; esac
tank unpack "$REGISTRY/busybox:v2s2" "$TMP/v2s2" || fail "unpack v2s2"
umoci unpack --image "$TMP/oci:latest" "$TMP/ref" >/dev/null || fail "umoci unpack"
diff -u <("$T/treelist.py" "$TMP/ref/rootfs") <("$T/treelist.py" "$TMP/v2s2") || fail "tree differs"

# a multi-platform index: this machine's image is picked
gzip -dc "$TMP/oci/blobs/sha256/$(python3 -c 'import json,sys
i=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:]
print(json.load(open(sys.argv[1]+"/blobs/sha256/"+i))["layers"][0]["digest"][7:])' "$TMP/oci")" >"$TMP/base.tar"
"$T/mklayout.py" "$TMP/multi" x --other-arch s390x --cmd '["sh"]' "$TMP/base.tar" || fail mklayout
push --all "oci:$TMP/multi:x" "docker://$REGISTRY/multi:1"
tank pull "$REGISTRY/multi:1" >/dev/null || fail "pull of the index failed"
tank unpack "$REGISTRY/multi:1" "$TMP/multi-root" || fail "unpack multi"
[ -e "$TMP/multi-root/bin/busybox" ] || fail "wrong platform picked"
[ -e "$TMP/multi-root/WRONG-PLATFORM" ] && fail "the s390x image was picked"
"$T/mklayout.py" "$TMP/other" y --arch s390x "$TMP/base.tar" || fail mklayout
"$T/mklayout.py" "$TMP/other" y --arch s390x --other-arch arm "$TMP/base.tar" || fail mklayout
push --all "oci:$TMP/other:y" "docker://$REGISTRY/other:1"
tank pull "$REGISTRY/other:1" 2>"$TMP/err" && fail "pull with no matching platform succeeded"
grep -q "no image for linux/" "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"

# 20 layers, pulled by two processes at once: both succeed, each layer extracted once
tars=("$TMP/base.tar")
for i in $(seq 1 19); do
    mkdir -p "$TMP/l$i/data"
    head -c $((i * 10000)) /dev/urandom >"$TMP/l$i/data/f$i"
    tar -C "$TMP/l$i" -cf "$TMP/l$i.tar" data
    tars+=("$TMP/l$i.tar")
done
"$T/mklayout.py" "$TMP/many" m --cmd '["sh"]' "${tars[@]}" || fail mklayout
push "oci:$TMP/many:m" "docker://$REGISTRY/many:20"
tank pull "$REGISTRY/many:20" >"$TMP/p1" 2>&1 &
p1=$!
tank pull "$REGISTRY/many:20" >"$TMP/p2" 2>&1 &
p2=$!
wait $p1 || fail "first concurrent pull failed: $(cat "$TMP/p1")"
wait $p2 || fail "second concurrent pull failed: $(cat "$TMP/p2")"
n=0
for c in $(cat "$TMP/p1" "$TMP/p2" | sed -n 's/.*(20 layers: \([0-9]*\) extracted.*/\1/p'); do
    n=$((n + c))
done
[ "$n" = 19 ] || fail "layers extracted $n times in all, expected 19: $(cat "$TMP/p1" "$TMP/p2")"
# the base layer is busybox's, stored once
[ "$(ls "$S" | wc -l)" = 20 ] || fail "expected 20 layer dirs, got $(ls "$S" | wc -l)"
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "temp dirs left"
tank unpack "$REGISTRY/many:20" "$TMP/many-root" || fail "unpack many"
for i in $(seq 1 19); do
    [ "$(stat -c %s "$TMP/many-root/data/f$i")" = $((i * 10000)) ] || fail "layer $i missing"
done

# a missing image: a clear one-line error, no record
tank pull "$REGISTRY/nothing:here" 2>"$TMP/err" && fail "pull of a missing image succeeded"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "error not one line: $(cat "$TMP/err")"
grep -qi "not found" "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
tank images | grep -q nothing && fail "missing image listed"
[ "$(tank images -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 4 ] ||
    fail "expected 4 images: $(tank images)"
pass

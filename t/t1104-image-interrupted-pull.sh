#!/bin/bash
# A pull killed in the middle of a layer leaves no layer, no record and no process behind;
# the next pull cleans its temp directory and succeeds.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds python3
T=$TANK_SRC/t
mkdir -p "$TMP/rootfs/data"
head -c $((8 << 20)) /dev/urandom >"$TMP/rootfs/data/blob"
tar -C "$TMP/rootfs" -czf "$TMP/layer.tgz" data
# a registry whose first answer for the layer sends 512 bytes, then stalls
start_fakereg --layer-tgz "$TMP/layer.tgz" --faults stall --count 1
store_config "[registry]" "insecure = $FAKEREG"
"$TANK" --config "$TMP/tank.ini" pull "$FAKEREG/test/app:v1" >/dev/null 2>&1 &
puller=$!
at_exit "kill -9 $puller 2>/dev/null"
tmpdir_used() { [ -n "$(ls -A "$TMP/state/images/tmp" 2>/dev/null)" ]; }
wait_for 20 tmpdir_used
# the extractor is confined: its root is the temp dir
in_store() {
    local p
    for p in /proc/[0-9]*; do
        case $(readlink "$p/root" 2>/dev/null) in "$TMP/state"*) return 0 ;; esac
    done
    return 1
}
wait_for 20 in_store
kill -9 $puller
wait $puller 2>/dev/null
not_in_store() { ! in_store; }
wait_for 20 not_in_store
[ -z "$(ls -A "$TMP/state/images/layers/sha256" 2>/dev/null)" ] || fail "a layer appeared from a killed pull"
[ -z "$(ls -A "$TMP/state/images/refs")" ] || fail "a record appeared from a killed pull"
tmpdir_used || fail "expected the killed pull's temp dir (to test its cleanup)"
# any later pull, even of another image, removes what a dead pull left
mkdir -p "$TMP/small" && echo small >"$TMP/small/file"
tar -C "$TMP/small" -cf "$TMP/small.tar" file
"$T/mklayout.py" "$TMP/oci2" y "$TMP/small.tar" || fail "mklayout small"
tank pull "oci:$TMP/oci2:y" >/dev/null || fail "pull of another image failed"
tmpdir_used && fail "stale temp dir survived another pull: $(ls "$TMP/state/images/tmp")"
out=$(tank pull "$FAKEREG/test/app:v1") || fail "pull after the interrupted one failed"
case $out in *"1 extracted"*) ;; *) fail "unexpected: $out" ;; esac
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "stale temp dir not cleaned: $(ls "$TMP/state/images/tmp")"
tank unpack "$FAKEREG/test/app:v1" "$TMP/out" || fail "unpack"
cmp "$TMP/rootfs/data/blob" "$TMP/out/data/blob" || fail "content differs"
pass

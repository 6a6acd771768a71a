#!/bin/bash
# A pull killed in the middle of a layer leaves no layer, no record and no process behind;
# the next pull cleans its temp directory and succeeds.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds python3
T=$TANK_SRC/t
store_config
mkdir -p "$TMP/rootfs/data"
head -c $((8 << 20)) /dev/urandom >"$TMP/rootfs/data/blob"
tar -C "$TMP/rootfs" -cf "$TMP/layer.tar" data
"$T/mklayout.py" "$TMP/oci" x --cmd '["sh"]' "$TMP/layer.tar" || fail "mklayout"
blob=$(ls -S "$TMP/oci/blobs/sha256" | head -1)
B=$TMP/oci/blobs/sha256/$blob
mv "$B" "$TMP/blob"
# the layer blob becomes a pipe that delivers half of it, then stalls
mkfifo "$B"
head -c $(($(stat -c %s "$TMP/blob") / 2)) "$TMP/blob" >"$TMP/half"
python3 -c 'import sys, time
with open(sys.argv[1], "wb") as f:
    f.write(open(sys.argv[2], "rb").read())
    f.flush()
    time.sleep(120)' "$B" "$TMP/half" 2>/dev/null &
writer=$!
at_exit "kill $writer 2>/dev/null"
"$TANK" --config "$TMP/tank.ini" pull "oci:$TMP/oci:x" >/dev/null 2>&1 &
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
kill $writer 2>/dev/null
[ -z "$(ls -A "$TMP/state/images/layers/sha256" 2>/dev/null)" ] || fail "a layer appeared from a killed pull"
[ -z "$(ls -A "$TMP/state/images/refs")" ] || fail "a record appeared from a killed pull"
tmpdir_used || fail "expected the killed pull's temp dir (to test its cleanup)"
# any later pull, even of another image, removes what a dead pull left
mkdir -p "$TMP/small" && echo small >"$TMP/small/file"
tar -C "$TMP/small" -cf "$TMP/small.tar" file
"$T/mklayout.py" "$TMP/oci2" y "$TMP/small.tar" || fail "mklayout small"
tank pull "oci:$TMP/oci2:y" >/dev/null || fail "pull of another image failed"
tmpdir_used && fail "stale temp dir survived another pull: $(ls "$TMP/state/images/tmp")"
rm "$B"
mv "$TMP/blob" "$B"
out=$(tank pull "oci:$TMP/oci:x") || fail "pull after the interrupted one failed"
case $out in *"1 extracted"*) ;; *) fail "unexpected: $out" ;; esac
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "stale temp dir not cleaned: $(ls "$TMP/state/images/tmp")"
tank unpack "oci:$TMP/oci:x" "$TMP/out" || fail "unpack"
cmp "$TMP/rootfs/data/blob" "$TMP/out/data/blob" || fail "content differs"
pass

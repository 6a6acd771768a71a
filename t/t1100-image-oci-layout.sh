#!/bin/bash
# tank pull / images / unpack from a local OCI layout built by umoci from busybox-static;
# the unpacked tree equals umoci's; a second pull does no layer work.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds umoci python3
T=$TANK_SRC/t
store_config

"$T/mkimage-busybox.sh" "$TMP/oci" latest >/dev/null || fail "mkimage-busybox failed"
out=$(tank pull "oci:$TMP/oci" 2>"$TMP/err") || fail "pull failed: $(cat "$TMP/err")"
# not on a terminal: one line per layer when it completes (SHORTDIGEST done|exists SIZE ...),
# nothing redrawn (no carriage returns or escapes)
grep -q $'[\r\e]' "$TMP/err" && fail "pull not on a terminal redraws: $(cat -A "$TMP/err")"
[ "$(grep -c ' done ' "$TMP/err")" = 1 ] || fail "pull not on a terminal: expected one line for the layer: $(cat "$TMP/err")"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$TMP/oci/index.json")
case $out in *"$digest"*"1 extracted"*) ;; *) fail "unexpected pull output: $out" ;; esac

# listed, in both formats
tank images | grep -q "^oci:$TMP/oci:latest  *sha256:${digest:7:12} " || fail "images: $(tank images)"
tank images -o json | python3 -c '
import json, sys
v = json.load(sys.stdin)
assert len(v) == 1 and v[0]["digest"] == sys.argv[1] and v[0]["layers"] == 1, v
' "$digest" || fail "images -o json: $(tank images -o json)"

# the same tree as umoci unpack
tank unpack "oci:$TMP/oci" "$TMP/mine" || fail "unpack failed"
umoci unpack --image "$TMP/oci:latest" "$TMP/bundle" >/dev/null || fail "umoci unpack failed"
"$T/treelist.py" "$TMP/mine" >"$TMP/mine.list"
"$T/treelist.py" "$TMP/bundle/rootfs" >"$TMP/umoci.list"
[ "$(wc -l <"$TMP/mine.list")" -gt 50 ] || fail "unpacked tree too small"
diff -u "$TMP/umoci.list" "$TMP/mine.list" || fail "tank unpack differs from umoci unpack"
[ "$(chroot "$TMP/mine" /bin/sh -c 'echo hi')" = hi ] || fail "busybox sh does not run"

# a second pull does no layer work: the layer directory is untouched
layer=$(ls -d "$TMP"/state/images/layers/sha256/*)
[ "$(echo "$layer" | wc -l)" = 1 ] || fail "expected one layer dir, got: $layer"
before=$(stat -c '%i %Y %Z' "$layer")
out=$(tank pull "oci:$TMP/oci:latest") || fail "second pull failed"
case $out in *"0 extracted, 1 present"*) ;; *) fail "second pull did layer work: $out" ;; esac
[ "$(stat -c '%i %Y %Z' "$layer")" = "$before" ] || fail "layer dir changed on the second pull"
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "temp dirs left: $(ls "$TMP/state/images/tmp")"

# unpack pulls an image that is not in the store yet
"$T/mkimage-busybox.sh" "$TMP/oci" second >/dev/null || fail "mkimage-busybox second"
tank unpack "oci:$TMP/oci:second" "$TMP/second" || fail "unpack of an absent image failed"
tank images | grep -q ":second " || fail "unpack did not pull: $(tank images)"
[ -x "$TMP/second/bin/busybox" ] || fail "second image not unpacked"

# errors: one line, exit 1
tank pull "oci:$TMP/oci:nope" 2>"$TMP/err" && fail "pull of a missing tag succeeded"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "error is not one line: $(cat "$TMP/err")"
grep -q "^tank pull: .*nope" "$TMP/err" || fail "unexpected error: $(cat "$TMP/err")"
expect_exit 1 tank pull "oci:$TMP/nothing-here"
expect_exit 2 tank pull
pass

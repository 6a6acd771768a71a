#!/bin/bash
# Hostile layers (../ paths, absolute paths, a symlink out and a write through it, hardlinks
# to a host file) are refused and write or link nothing outside the layer directory.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds python3
T=$TANK_SRC/t
store_config
O=$TMP/outside
mkdir -p "$O"
echo original >"$O/hostfile"

# mk NAME ENTRY...: a one-layer image NAME; ENTRY = f:PATH:DATA | l:PATH:TARGET | h:PATH:TARGET
mk() {
    local name=$1; shift
    python3 - "$TMP/$name.tar" "$@" <<'EOP' || fail "make $name"
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as tf:
    for spec in sys.argv[2:]:
        kind, path, arg = spec.split(":", 2)
        ti = tarfile.TarInfo(path)
        ti.mode = 0o644
        if kind == "f":
            ti.size = len(arg)
            tf.addfile(ti, io.BytesIO(arg.encode()))
            continue
        ti.type = tarfile.SYMTYPE if kind == "l" else tarfile.LNKTYPE
        ti.linkname = arg
        tf.addfile(ti)
EOP
    "$T/mklayout.py" "$TMP/oci" "$name" --cmd '["sh"]' "$TMP/$name.tar" || fail "mklayout $name"
}
up=../../../../../../../../../../..
mk dotdot "f:../../../../escape-dotdot:x" "f:$up$O/escape-dotdot2:x"
mk absolute "f:$O/escape-abs:x"
mk symlink-abs "l:link:$O" "f:link/escape-link:x"
mk symlink-rel "l:up:$up$O" "f:up/escape-up:x"
mk symlink-dir "l:d:$up$O" "f:d/hostfile:pwned"
mk hardlink-abs "h:hl:$O/hostfile" "f:hl:pwned"
mk hardlink-rel "h:hl:$up$O/hostfile" "f:hl:pwned"
mk hardlink-only "h:hl:$O/hostfile"

for name in dotdot absolute symlink-abs symlink-rel symlink-dir hardlink-abs hardlink-rel \
    hardlink-only; do
    if tank pull "oci:$TMP/oci:$name" >/dev/null 2>"$TMP/err"; then
        # accepted: then whatever it wrote stays inside its own layer
        echo "note: $name accepted"
    else
        [ "$(wc -l <"$TMP/err")" = 1 ] || fail "$name: error not one line: $(cat "$TMP/err")"
        grep -q "^tank pull: " "$TMP/err" || fail "$name: unexpected error: $(cat "$TMP/err")"
        echo "$name: $(cat "$TMP/err")"
    fi
    [ "$(cat "$O/hostfile")" = original ] || fail "$name: host file was written"
    [ "$(stat -c %h "$O/hostfile")" = 1 ] || fail "$name: host file got a hard link"
    [ "$(ls "$O")" = hostfile ] || fail "$name: wrote outside: $(ls "$O")"
    found=$( (find / -maxdepth 2 -xdev; find /tmp -maxdepth 3; find "$TMP") 2>/dev/null |
        grep '/escape-' | grep -v "^$TMP/state/images/layers/")
    [ -z "$found" ] || fail "$name: wrote outside the layer: $found"
    [ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "$name: temp dir left behind"
done
# a decompression bomb stops at max_layer_size; a wrong diff_id is caught
head -c $((64 << 20)) /dev/zero >"$TMP/zeros"
tar -C "$TMP" -cf "$TMP/bomb.tar" zeros
"$T/mklayout.py" "$TMP/oci" bomb "$TMP/bomb.tar" || fail "mklayout bomb"
[ "$(stat -c %s "$TMP/oci/blobs/sha256/$(ls -S "$TMP/oci/blobs/sha256" | head -1)")" -lt $((1 << 20)) ] ||
    fail "bomb blob is not small"
printf '[agent]\nstate_dir = %s\n[registry]\nmax_layer_size = 16Mi\n' "$TMP/state" >"$TMP/small.ini"
"$TANK" --config "$TMP/small.ini" pull "oci:$TMP/oci:bomb" 2>"$TMP/err" && fail "bomb accepted"
grep -q "larger than max_layer_size" "$TMP/err" || fail "unexpected bomb error: $(cat "$TMP/err")"
tank pull "oci:$TMP/oci:bomb" >/dev/null || fail "the same layer under the default limit failed"
"$T/mklayout.py" "$TMP/oci" wrongid --wrong-diff-id "$TMP/bomb.tar" || fail mklayout
tank pull "oci:$TMP/oci:wrongid" 2>"$TMP/err" && fail "a wrong diff_id was accepted"
grep -q "diff_id mismatch" "$TMP/err" || fail "unexpected diff_id error: $(cat "$TMP/err")"
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "temp dir left behind"

# tank __extract runs the same confined extraction on a blob from stdin
mkdir "$TMP/x1" "$TMP/x2"
"$TANK" __extract "$TMP/x1" <"$TMP/symlink-dir.tar" 2>"$TMP/err" && fail "__extract took a hostile tar"
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "__extract error not one line: $(cat "$TMP/err")"
[ "$(cat "$O/hostfile")" = original ] || fail "__extract wrote the host file"
gzip -c "$TMP/absolute.tar" >"$TMP/absolute.tar.gz"
got=$("$TANK" __extract "$TMP/x2" <"$TMP/absolute.tar.gz") || fail "__extract failed"
[ "$got" = "sha256:$(sha256sum <"$TMP/absolute.tar" | cut -d' ' -f1)" ] || fail "__extract diff_id: $got"
[ -f "$TMP/x2/$O/escape-abs" ] || fail "absolute path not kept inside the directory"

# a refused layer leaves no layer directory and no image record
tank pull "oci:$TMP/oci:dotdot" >/dev/null 2>&1 && fail "a ../ layer was accepted"
tank images | grep -q ':dotdot' && fail "refused image is listed"
pass

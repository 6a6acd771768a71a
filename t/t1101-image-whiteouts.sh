#!/bin/bash
# A multi-layer image built by umoci: deleted files (whiteouts), an opaque directory, a
# hardlink, a device node, a fifo, a file capability, a non-root USER. Layers are stored
# with overlayfs whiteouts; tank unpack equals umoci unpack; zstd and plain layers too.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds umoci python3
T=$TANK_SRC/t
store_config
L=$TMP/oci

"$T/mkimage-busybox.sh" "$L" multi >/dev/null || fail "mkimage-busybox failed"
# layer 2 (umoci repack): delete, replace, add special files
umoci unpack --image "$L:multi" "$TMP/b" >/dev/null || fail "umoci unpack"
R=$TMP/b/rootfs
rm "$R/bin/ls" "$R/var/www/index.html"
mkdir -p "$R/opt/app/conf"
echo "one" >"$R/opt/app/conf/a.conf"
echo "hello" >"$R/opt/app/data"
ln "$R/opt/app/data" "$R/opt/app/data-link"
mknod "$R/opt/app/null" c 1 3
mkfifo "$R/opt/app/fifo"
cp "$R/bin/busybox" "$R/opt/app/capbin"
python3 -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 10, 0, 0, 0))' \
    "$R/opt/app/capbin" || fail "setxattr"
chown 1000:1000 "$R/opt/app/data"
chmod 4750 "$R/opt/app/capbin"
touch -d 2001-02-03T04:05:06Z "$R/opt/app/conf/a.conf"
umoci repack --refresh-bundle --image "$L:multi" "$TMP/b" >/dev/null || fail "umoci repack"
# layer 3 (a hand-written tar added by umoci): /opt/app made opaque, a new /etc/passwd
python3 - "$TMP/l3.tar" <<'EOP' || fail "make layer 3"
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    def add(name, data=None, mode=0o644, kind=tarfile.REGTYPE, uid=0, gid=0):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = kind, mode, uid, gid, 1700000000
        if data is not None:
            ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    add("etc/", kind=tarfile.DIRTYPE, mode=0o755)
    add("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
    add("etc/group", b"root:x:0:\napp:x:1000:\nwheel:x:10:app\n")
    add("opt/", kind=tarfile.DIRTYPE, mode=0o755)
    add("opt/app/", kind=tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000)
    add("opt/app/.wh..wh..opq", b"")
    add("opt/app/fresh", b"fresh\n", uid=1000, gid=1000)
    add("home/", kind=tarfile.DIRTYPE, mode=0o755)
    add("home/app/", kind=tarfile.DIRTYPE, mode=0o700, uid=1000, gid=1000)
    add("bin/.wh.wget", b"")
EOP
umoci raw add-layer --image "$L:multi" "$TMP/l3.tar" || fail "umoci raw add-layer"
umoci config --image "$L:multi" --config.user app --config.workingdir /home/app || fail "config"

out=$(tank pull "oci:$L:multi") || fail "pull failed"
case $out in *"(3 layers: 3 extracted, 0 present)"*) ;; *) fail "unexpected: $out" ;; esac

# the stored layers carry overlayfs whiteouts
S=$TMP/state/images/layers/sha256
wh=$(find "$S" -path '*/bin/ls' -type c)
[ -n "$wh" ] && [ "$(stat -c '%t:%T %u:%g' "$wh")" = "0:0 0:0" ] || fail "no 0:0 whiteout for bin/ls"
find "$S" -path '*/bin/wget' -type c | grep -q . || fail "no whiteout for bin/wget"
find "$S" -name '.wh.*' | grep -q . && fail "raw .wh. entries left in the store"
opq=$(find "$S" -path '*/opt/app' -type d -exec sh -c \
    'python3 -c "import os,sys; sys.exit(os.getxattr(sys.argv[1], \"trusted.overlay.opaque\") != b\"y\")" "$1" && echo "$1"' _ {} \;)
[ -n "$opq" ] || fail "opt/app is not marked opaque in the top layer"

# flattened: same tree as umoci's
tank unpack "oci:$L:multi" "$TMP/mine" || fail "unpack failed"
umoci unpack --image "$L:multi" "$TMP/ref" >/dev/null || fail "umoci unpack"
"$T/treelist.py" "$TMP/mine" >"$TMP/mine.list"
"$T/treelist.py" "$TMP/ref/rootfs" >"$TMP/ref.list"
diff -u "$TMP/ref.list" "$TMP/mine.list" || fail "tank unpack differs from umoci unpack"
[ -e "$TMP/mine/bin/ls" ] && fail "bin/ls survived its whiteout"
[ -e "$TMP/mine/opt/app/data" ] && fail "opaque dir kept lower content"
[ "$(cat "$TMP/mine/opt/app/fresh")" = fresh ] || fail "opt/app/fresh missing"

# lower layer content checked in the layer itself (the opaque top hides it in the union)
mid=$(find "$S" -path '*/opt/app/capbin' -type f)
[ -n "$mid" ] || fail "capbin not in a layer"
[ "$(stat -c '%a %h' "${mid%capbin}data")" = "644 2" ] || fail "hardlink not kept: $(stat -c '%a %h' "${mid%capbin}data")"
[ "$(stat -c '%u:%g' "${mid%capbin}data")" = "1000:1000" ] || fail "owner not kept"
[ "$(stat -c '%a' "$mid")" = "4750" ] || fail "setuid mode not kept: $(stat -c '%a' "$mid")"
python3 -c 'import os,sys; v=os.getxattr(sys.argv[1], "security.capability"); sys.exit(len(v) < 12)' "$mid" ||
    fail "security.capability not kept"
[ "$(stat -c '%t:%T' "${mid%capbin}null")" = "1:3" ] || fail "device node not kept"
[ -p "${mid%capbin}fifo" ] || fail "fifo not kept"
[ "$(stat -c '%Y' "${mid%capbin}conf/a.conf")" = "$(date -d 2001-02-03T04:05:06Z +%s)" ] ||
    fail "mtime not kept"

# the same layers with zstd and uncompressed blobs: same diff_ids, stored once
for c in zstd none; do
    command -v zstd >/dev/null || [ $c = none ] || continue
    tars=()
    i=0
    for d in $(python3 -c 'import json,sys
m=json.load(open(sys.argv[1]+"/blobs/sha256/"+[x for x in json.load(open(sys.argv[1]+"/index.json"))["manifests"] if x["annotations"]["org.opencontainers.image.ref.name"]=="multi"][0]["digest"][7:]))
print(" ".join(l["digest"][7:] for l in m["layers"]))' "$L"); do
        gzip -dc "$L/blobs/sha256/$d" >"$TMP/layer$i.tar"
        tars+=("$TMP/layer$i.tar")
        i=$((i + 1))
    done
    "$T/mklayout.py" "$TMP/oci-$c" x --compress $c --user app "${tars[@]}" || fail "mklayout $c"
    out=$(tank pull "oci:$TMP/oci-$c:x") || fail "pull of $c layers failed"
    case $out in *"0 extracted, 3 present"*) ;; *) fail "$c layers not shared: $out" ;; esac
    # into a fresh store: the blobs are really decoded and give the same tree
    printf '[agent]\nstate_dir = %s\n' "$TMP/state-$c" >"$TMP/$c.ini"
    out=$("$TANK" --config "$TMP/$c.ini" pull "oci:$TMP/oci-$c:x") || fail "fresh $c pull failed"
    case $out in *"3 extracted, 0 present"*) ;; *) fail "fresh $c pull: $out" ;; esac
    "$TANK" --config "$TMP/$c.ini" unpack "oci:$TMP/oci-$c:x" "$TMP/mine-$c" || fail "unpack $c"
    "$T/treelist.py" "$TMP/mine-$c" | diff -u "$TMP/mine.list" - || fail "$c layers give another tree"
done
[ "$(ls "$S" | wc -l)" = 3 ] || fail "expected 3 layer dirs, got $(ls "$S" | wc -l)"
pass

#!/bin/bash
# Hostile layers pulled from a real registry: a whiteout of ../../x, a whiteout through a
# symlink pointing at a host directory, a hardlink to /etc/shadow with a write through it,
# very long names and link targets, device nodes, FIFOs and setuid files, and a
# decompression bomb bounded by [registry] max_layer_size. Each is refused with a one-line
# error or kept inside its own layer directory: the canary directory and /etc/shadow are
# unchanged, nothing named escape-* exists outside the store, no temp dir is left behind.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds skopeo python3
T=$TANK_SRC/t
start_registry
store_config "[registry]" "insecure = $REGISTRY" "max_layer_size = 64Mi"
C=$TMP/canary
mkdir -p "$C/sub"
echo keep >"$C/keep"
echo keep >"$C/sub/x"
snapshot() { (cd "$C" && find . -printf '%p %y %m %s %n\n' | sort && cat keep sub/x) | sha256sum; }
canary=$(snapshot)
shadow=$(stat -c '%h %s %Y' /etc/shadow; sha256sum </etc/shadow)

# mk NAME ENTRY...: push a one-layer image $REGISTRY/hostile:NAME. ENTRY is KIND:PATH:ARG
# with KIND f (file, ARG = data), l (symlink), h (hardlink), c/b (char/block device,
# ARG = MAJOR,MINOR), p (fifo), s (setuid root file), L (PATH, ARG repeated N times: "L:N:S")
mk() {
    local name=$1; shift
    python3 - "$TMP/$name.tar" "$@" <<'EOP' || fail "make $name"
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    for spec in sys.argv[2:]:
        kind, path, arg = spec.split(":", 2)
        if kind == "L":  # a long path: arg "N:SEGMENT:LEAF" = SEGMENT/ x N then LEAF
            n, seg, leaf = arg.split(":")
            path, kind, arg = "/".join([seg] * int(n) + [leaf]), "f", "x"
        ti = tarfile.TarInfo(path)
        ti.mode = 0o644
        if kind in ("f", "s"):
            data = (arg if kind == "f" else "#!/bin/sh\n").encode()
            ti.size = len(data)
            if kind == "s":
                ti.mode = 0o4755
            tf.addfile(ti, io.BytesIO(data))
            continue
        if kind == "l":
            ti.type, ti.linkname = tarfile.SYMTYPE, arg
        elif kind == "h":
            ti.type, ti.linkname = tarfile.LNKTYPE, arg
        elif kind in ("c", "b"):
            ti.type = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
            ti.devmajor, ti.devminor = map(int, arg.split(","))
        elif kind == "p":
            ti.type = tarfile.FIFOTYPE
        tf.addfile(ti)
EOP
    rm -rf "$TMP/oci"
    "$T/mklayout.py" "$TMP/oci" "$name" --cmd '["sh"]' "$TMP/$name.tar" || fail "mklayout $name"
    skopeo copy -q --dest-tls-verify=false "oci:$TMP/oci:$name" \
        "docker://$REGISTRY/hostile:$name" >/dev/null || fail "push $name"
}

# check NAME accepted|refused|either: pull it, then check nothing leaked out.
check() {
    local name=$1 want=$2 got=accepted
    tank pull "$REGISTRY/hostile:$name" >"$TMP/out" 2>"$TMP/err" || got=refused
    if [ "$got" = refused ]; then
        [ "$(wc -l <"$TMP/err")" = 1 ] || fail "$name: error not one line: $(cat "$TMP/err")"
        grep -q "^tank pull: " "$TMP/err" || fail "$name: unexpected error: $(cat "$TMP/err")"
        echo "$name: refused: $(cat "$TMP/err")"
    else
        echo "$name: accepted, contained"
    fi
    [ "$want" = either ] || [ "$want" = "$got" ] || fail "$name: $got, expected $want"
    [ "$(snapshot)" = "$canary" ] || fail "$name: the canary directory changed"
    [ "$(stat -c '%h %s %Y' /etc/shadow; sha256sum </etc/shadow)" = "$shadow" ] ||
        fail "$name: /etc/shadow changed"
    found=$( (find / -maxdepth 2 -xdev; find /tmp "$C" -maxdepth 3; find "$TMP") 2>/dev/null |
        grep '/escape-' | grep -v "^$TMP/state/images/layers/\|^$TMP/registry/\|^$TMP/oci/\|^$TMP/[a-z-]*\.tar$")
    [ -z "$found" ] || fail "$name: wrote outside the layer: $found"
    [ -z "$(ls -A "$TMP/state/images/tmp" 2>/dev/null)" ] || fail "$name: temp dir left behind"
}

up=../../../../../../../../../../../../..
# whiteouts that try to delete outside the layer
mk wh-dotdot "f:ok:x" "f:../../.wh.keep:"
check wh-dotdot refused
mk wh-dotdot-mid "f:ok:x" "f:a/../../../$C/.wh.keep:"
check wh-dotdot-mid refused
mk wh-symlink "l:c:$C" "f:c/.wh.keep:" "f:c/sub/.wh..wh..opq:"
check wh-symlink either
mk wh-symlink-rel "l:c:$up$C" "f:c/.wh.keep:" "f:c/.wh.sub:"
check wh-symlink-rel either
# a hardlink to /etc/shadow, then a write through it
mk shadow-link "h:escape-shadow:/etc/shadow"
check shadow-link either
mk shadow-write "h:escape-shadow:/etc/shadow" "f:escape-shadow:root::0:0:99999:7:::"
check shadow-write either
mk shadow-rel "h:escape-shadow:$up/etc/shadow" "f:escape-shadow:pwned"
check shadow-rel either
mk symlink-write "l:escape-etc:/etc" "f:escape-etc/shadow:pwned" "f:escape-etc/escape-new:x"
check symlink-write either
mk symlink-canary "l:escape-c:$up$C" "f:escape-c/keep:pwned" "f:escape-c/escape-new:x"
check symlink-canary either
# very long names: a 300-byte component, a 6000-byte path, a 5000-byte symlink target
long=$(printf 'n%.0s' $(seq 300))
mk long-component "f:ok:x" "f:$long:x"
check long-component either
mk long-path "L:x:30:$(printf 'd%.0s' $(seq 200)):escape-long"
check long-path either
mk long-target "l:escape-lt:$(printf 'a/%.0s' $(seq 2500))" "f:ok:x"
check long-target either
# devices, a fifo and a setuid file are layer content: kept, inside the layer only
mk devices "c:escape-null:1,3" "b:escape-disk:8,0" "p:escape-fifo:" "s:escape-suid:"
check devices accepted
layer=$(find "$TMP/state/images/layers" -name escape-disk -print -quit)
[ -n "$layer" ] && [ -b "$layer" ] || fail "the block device is not in the layer"
[ -u "$(dirname "$layer")/escape-suid" ] || fail "the setuid bit was not kept"

# a decompression bomb: 1 GiB of zeros (about 1 MiB compressed) against max_layer_size 64Mi
python3 - "$TMP/bomb.tar.gz" <<'EOP' || fail "make bomb"
import gzip, sys, tarfile
with gzip.open(sys.argv[1], "wb", compresslevel=1) as gz:
    with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        ti = tarfile.TarInfo("escape-zeros")
        ti.size = 1 << 30
        class Zeros:
            left = ti.size
            def read(self, n=-1):
                n = min(n if n >= 0 else 1 << 20, self.left, 1 << 20)
                self.left -= n
                return bytes(n)
        tf.addfile(ti, Zeros())
EOP
[ "$(stat -c %s "$TMP/bomb.tar.gz")" -lt $((8 << 20)) ] || fail "the bomb is not small"
gzip -dc "$TMP/bomb.tar.gz" >/dev/null 2>&1 || true
rm -rf "$TMP/oci"
python3 - "$TMP" <<'EOP' || fail "bomb layout"
import hashlib, json, os, sys, zlib
tmp = sys.argv[1]
blob = open(tmp + "/bomb.tar.gz", "rb").read()
d = zlib.decompressobj(31)
h = hashlib.sha256()
for i in range(0, len(blob), 1 << 16):
    h.update(d.decompress(blob[i:i + (1 << 16)]))
h.update(d.flush())
lay = tmp + "/oci"
os.makedirs(lay + "/blobs/sha256")
def put(b):
    dg = hashlib.sha256(b).hexdigest()
    open(lay + "/blobs/sha256/" + dg, "wb").write(b)
    return "sha256:" + dg
cfg = json.dumps({"architecture": os.uname().machine.replace("x86_64", "amd64").replace("aarch64", "arm64"),
                  "os": "linux", "config": {"Cmd": ["sh"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + h.hexdigest()]}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(blob), "size": len(blob)}]}).encode()
json.dump({"imageLayoutVersion": "1.0.0"}, open(lay + "/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": put(man), "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "bomb"}}]},
    open(lay + "/index.json", "w"))
EOP
skopeo copy -q --dest-tls-verify=false "oci:$TMP/oci:bomb" "docker://$REGISTRY/hostile:bomb" \
    >/dev/null || fail "push bomb"
check bomb refused
grep -q "larger than max_layer_size" "$TMP/err" || fail "bomb: unexpected error: $(cat "$TMP/err")"
du_state=$(du -sm "$TMP/state" | cut -f1)
[ "$du_state" -lt 64 ] || fail "the bomb left ${du_state} MiB in the store"
tank images | grep -q 'hostile:bomb' && fail "a refused image is listed"
pass

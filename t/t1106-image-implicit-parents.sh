#!/bin/bash
# Layers whose tars do not list the parent directories of their entries (as Bazel rules_oci,
# ko, apko and `crane append` write them). Layer 1 owns home/user (1000:1000 0750, an
# xattr, a fixed mtime) and etc/deep (0:0 0700); layer 3 holds only home/user/owned.txt and
# etc/deep/new/file. The implicit directories take the lower layers' owner, mode, xattrs
# and times (as containerd, podman and umoci give them), or 0:0 0755 where no lower
# directory shows through (a whiteout or an opaque directory in layer 2 hides it):
#   - tank unpack equals umoci unpack of the same image, and a running container sees the
#     same owners and modes (stat inside it); USER 1000 can write its own home;
#   - layers are keyed by chain ID: a second pull does no layer work; an image over the same
#     lower layers shares their directories; the same top layer over other lower layers is
#     extracted again, with other metadata;
#   - tank images prune removes what no image needs and keeps what the kept image needs;
#   - a store written by an earlier version (layers keyed by diff_id, the top layer
#     extracted on its own) still unpacks, a pull re-extracts it by chain ID, and the old
#     directories go with the next prune.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds umoci python3
T=$TANK_SRC/t
# on a failure, also show the end of the agent's log
fail() { echo "FAIL: $*"; tail -n 20 "$TMP/agent.log" 2>/dev/null; exit 1; }
agent_setup
tank() { "$TANK" --config "$CFG" "$@"; }
S=$TMP/state/images/layers/sha256
blob=$(python3 -c 'import json,sys
d=sys.argv[1]; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]
print(json.load(open(d+"/blobs/sha256/"+i))["layers"][0]["digest"][7:])' "$IMAGE_DIR")
gzip -dc "$IMAGE_DIR/blobs/sha256/$blob" >"$TMP/base.tar" || fail "base layer"

# user.* xattrs where this file system keeps them (tmpfs, ext4)
touch "$TMP/x"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.probe", b"1")' "$TMP/x" 2>/dev/null &&
    XATTR=1 || XATTR=0
xattr() { python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' "$2" "$1"; }
python3 - "$TMP" "$XATTR" <<'EOP' || fail "make the layers"
import io, sys, tarfile
tmp, xattr = sys.argv[1], sys.argv[2] == "1"
def layer(name, entries):
    with tarfile.open(f"{tmp}/{name}.tar", "w", format=tarfile.PAX_FORMAT) as tf:
        for path, kind, mode, uid, extra in entries:
            ti = tarfile.TarInfo(path)
            ti.mode, ti.uid, ti.gid, ti.mtime = mode, uid, uid, 1600000000 + len(path)
            data = None
            if kind == "d":
                ti.type = tarfile.DIRTYPE
            elif kind.startswith("f:"):
                data = kind[2:].encode()
                ti.size = len(data)
            if extra and xattr:
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in extra.items()}
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
# layer 1: the owners and modes the upper layers must keep
layer("l1", [
    ("home/", "d", 0o755, 0, None),
    ("home/user/", "d", 0o750, 1000, {"user.tank": "home"}),
    ("home/user/.profile", "f:# profile\n", 0o644, 1000, None),
    ("home/gone/", "d", 0o700, 1000, None),
    ("etc/", "d", 0o755, 0, None),
    ("etc/deep/", "d", 0o700, 0, {"user.tank": "deep"}),
    ("var/", "d", 0o755, 0, None),
    ("var/lib/", "d", 0o755, 0, None),
    ("var/lib/app/", "d", 0o700, 1000, None),
])
# layer 2: home/gone whited out, var/lib made opaque (its app directory hidden)
layer("l2", [
    ("home/.wh.gone", "f:", 0o644, 0, None),
    ("var/lib/.wh..wh..opq", "f:", 0o644, 0, None),
    ("opt/", "d", 0o755, 0, None),
])
# layer 3: no directory entries at all
layer("l3", [
    ("home/user/owned.txt", "f:mine\n", 0o644, 1000, None),
    ("etc/deep/new/file", "f:deep\n", 0o600, 0, None),
    ("home/gone/again", "f:x\n", 0o644, 0, None),
    ("var/lib/app/state", "f:s\n", 0o644, 0, None),
    ("srv/fresh/data", "f:d\n", 0o644, 0, None),
])
# layer 4: another top layer over layers 1-2 (shares their directories)
layer("l4", [("opt/other", "f:o\n", 0o644, 0, None)])
EOP
mk() { "$T/mklayout.py" "$TMP/img" "$@" >/dev/null || fail "mklayout $*"; }
mk a --cmd '["sh"]' "$TMP/base.tar" "$TMP/l1.tar" "$TMP/l2.tar" "$TMP/l3.tar"
mk b --cmd '["sh"]' "$TMP/base.tar" "$TMP/l1.tar" "$TMP/l2.tar" "$TMP/l4.tar"
mk c --cmd '["sh"]' "$TMP/base.tar" "$TMP/l3.tar"
A=oci:$TMP/img:a B=oci:$TMP/img:b C=oci:$TMP/img:c

out=$(tank pull "$A") || fail "pull a"
case $out in *"(4 layers: 4 extracted, 0 present)"*) ;; *) fail "pull a: $out" ;; esac
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "temp dirs left: $(ls "$TMP/state/images/tmp")"

# tank unpack equals umoci unpack, metadata of the implicit directories included
umoci unpack --image "$TMP/img:a" "$TMP/ref" >/dev/null || fail "umoci unpack"
tank unpack "$A" "$TMP/mine" || fail "unpack a"
"$T/treelist.py" "$TMP/ref/rootfs" >"$TMP/ref.list"
"$T/treelist.py" "$TMP/mine" >"$TMP/mine.list"
diff -u "$TMP/ref.list" "$TMP/mine.list" || fail "tank unpack differs from umoci unpack"
dirs="home/user etc/deep etc/deep/new home/gone var/lib/app srv/fresh"
st() { (cd "$1" && for d in $dirs; do stat -c '%n %u:%g %a' "$d"; done); }
want=$(st "$TMP/ref/rootfs")
[ "$(st "$TMP/mine")" = "$want" ] || fail "owners and modes: $(st "$TMP/mine") want $want"
echo "$want" | grep -qx "home/user 1000:1000 750" || fail "umoci's home/user: $want"
echo "$want" | grep -qx "etc/deep 0:0 700" || fail "umoci's etc/deep: $want"
echo "$want" | grep -qx "home/gone 0:0 755" || fail "umoci's home/gone: $want"
echo "$want" | grep -qx "var/lib/app 0:0 755" || fail "umoci's var/lib/app: $want"
[ "$(stat -c %Y "$TMP/mine/home/user")" = "$(stat -c %Y "$TMP/ref/rootfs/home/user")" ] ||
    fail "home/user mtime: $(stat -c %Y "$TMP/mine/home/user"), umoci's $(stat -c %Y "$TMP/ref/rootfs/home/user")"
if [ "$XATTR" = 1 ]; then
    [ "$(xattr user.tank "$TMP/mine/home/user")" = home ] || fail "home/user xattr"
    [ "$(xattr user.tank "$TMP/mine/etc/deep")" = deep ] || fail "etc/deep xattr"
fi

# a running container sees the same; USER 1000 writes its own home
agent_start
skip_unless_containers_run
cat >"$PODS/.deep.tmp" <<EOC
apiVersion: v1
kind: Pod
metadata:
  name: deep
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: stat
    image: $A
    imagePullPolicy: Never
    command: ["sh", "-c", "cd / && for d in $dirs; do stat -c '%n %u:%g %a' \$d; done"]
  - name: user
    image: $A
    imagePullPolicy: Never
    securityContext: {runAsUser: 1000, runAsGroup: 1000}
    command: ["sh", "-c", "echo hi > /home/user/new && cat /home/user/owned.txt"]
EOC
mv "$PODS/.deep.tmp" "$PODS/deep.yaml"
wait_jq 60 '.pods[] | select(.name == "deep") | .phase == "Succeeded" or .phase == "Failed"'
[ "$(pod_phase deep)" = Succeeded ] || fail "pod deep: $(pods_json | jq -c .pods)"
got=$(tank logs deep stat) || fail "logs"
[ "$got" = "$want" ] || fail "in the container: $got, want $want"
[ "$(tank logs deep user)" = mine ] || fail "USER 1000 in its home: $(tank logs deep user)"
rm -f "$PODS/deep.yaml"
wait_gone 30 deep

# a second pull does no layer work; b shares a's lower layers; c extracts l3 again over
# other lower layers, where home/user has no owner to take
ls "$S" | sort >"$TMP/dirs.a"
out=$(tank pull "$A") || fail "pull a again"
case $out in *"(4 layers: 0 extracted, 4 present)"*) ;; *) fail "second pull of a: $out" ;; esac
out=$(tank pull "$B") || fail "pull b"
case $out in *"(4 layers: 1 extracted, 3 present)"*) ;; *) fail "pull b: $out" ;; esac
out=$(tank pull "$C") || fail "pull c"
case $out in *"(2 layers: 1 extracted, 1 present)"*) ;; *) fail "pull c: $out" ;; esac
[ "$(ls "$S" | wc -l)" = 6 ] || fail "expected 6 layer directories: $(ls "$S")"
tank unpack "$C" "$TMP/c" || fail "unpack c"
[ "$(stat -c '%u:%g %a' "$TMP/c/home/user")" = "0:0 755" ] || fail "c's home/user"
umoci unpack --image "$TMP/img:c" "$TMP/ref-c" >/dev/null || fail "umoci unpack c"
"$T/treelist.py" "$TMP/ref-c/rootfs" | diff -u - <("$T/treelist.py" "$TMP/c") || fail "c differs from umoci"

# prune: a pod names a; b's and c's own layers go, a's stay (b's lower ones with them)
put keep Never "exit 0"
sed -i "s|image: .*|image: $A|" "$PODS/keep.yaml"
tank images prune >"$TMP/prune" || fail "prune: $(cat "$TMP/prune")"
grep -q "^removed image $B " "$TMP/prune" && grep -q "^removed image $C " "$TMP/prune" &&
    grep -q "^Total reclaimed space: .* images, 2 layers, " "$TMP/prune" || fail "prune: $(cat "$TMP/prune")"
ls "$S" | sort | diff -u "$TMP/dirs.a" - || fail "prune did not keep exactly a's layers"
tank unpack "$A" "$TMP/after" || fail "unpack a after the prune"
"$T/treelist.py" "$TMP/after" | diff -u "$TMP/ref.list" - || fail "a changed"

# a store of an earlier version: layers by diff_id, layer 3 extracted on its own
diff_id() { sha256sum <"$TMP/$1.tar" | cut -c1-64; }
old=$TMP/old/images/layers/sha256
mkdir -p "$TMP/old"
cp -a "$TMP/state/images" "$TMP/old/"
rm -rf "${old:?}"/*
for l in base l1 l2 l3; do
    d=$old/$(diff_id $l)
    mkdir -p "$d" && tank __extract "$d" <"$TMP/$l.tar" >/dev/null || fail "old layer $l"
done
printf '[agent]\nstate_dir = %s\npods_dir = %s\nrun_dir = %s\n' "$TMP/old" "$PODS" "$TMP/old-run" \
    >"$TMP/old.ini"
old() { "$TANK" --config "$TMP/old.ini" "$@"; }
old unpack "$A" "$TMP/legacy" || fail "unpack from the old store"
[ "$(stat -c '%u:%g %a' "$TMP/legacy/home/user")" = "0:0 755" ] || fail "old store not read as is"
old images | grep -q "^$A " || fail "old store: images: $(old images)"
out=$(old pull "$A") || fail "pull into the old store"
case $out in *"(4 layers: 3 extracted, 1 present)"*) ;; *) fail "pull into the old store: $out" ;; esac
old unpack "$A" "$TMP/migrated" || fail "unpack after the pull"
"$T/treelist.py" "$TMP/migrated" | diff -u "$TMP/ref.list" - || fail "the old store after a pull"
old images prune >"$TMP/prune-old" || fail "prune the old store: $(cat "$TMP/prune-old")"
grep -q "^Total reclaimed space: .* 3 layers, " "$TMP/prune-old" && ! grep -q "^removed image $A " \
    "$TMP/prune-old" || fail "old prune: $(cat "$TMP/prune-old")"
ls "$old" | sort | diff -u "$TMP/dirs.a" - || fail "old store after the prune: $(ls "$old")"
pass

#!/bin/bash
# Hostile manifests and configs in OCI layouts (written here by a script, so that every
# field can be wrong): invalid digests, unknown media types, a tampered blob, a missing
# blob, a layer count that disagrees with the config, a manifest with 10,000 layers, an
# oversized config and an oversized manifest. Each is refused with a one-line error that
# says what is wrong, quickly and without leaving anything in the store.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds python3
store_config

# mk NAME PYTHON: a layout $TMP/NAME holding tag "t" whose manifest is built by mkimage()
# and then changed by the PYTHON snippet (which sees m = manifest, c = config, put(bytes)).
mk() {
    python3 - "$TMP/$1" "$2" <<'EOP' || fail "make layout $1"
import gzip, hashlib, io, json, os, platform, sys, tarfile
lay, code = sys.argv[1], sys.argv[2]
os.makedirs(lay + "/blobs/sha256")
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(lay + "/blobs/sha256/" + d, "wb").write(b)
    return "sha256:" + d
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as tf:
    ti = tarfile.TarInfo("hello")
    ti.size = 3
    tf.addfile(ti, io.BytesIO(b"hi\n"))
raw = buf.getvalue()
layer = gzip.compress(raw, mtime=0)
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
c = {"architecture": arch, "os": "linux", "config": {"Cmd": ["/hello"]},
     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": {"mediaType": "application/vnd.oci.image.config.v1+json"},
     "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                 "digest": put(layer), "size": len(layer)}]}
idx_extra = {}
exec(code)
if isinstance(m, dict) and "digest" not in m["config"]:
    cb = json.dumps(c).encode()
    m["config"]["digest"], m["config"]["size"] = put(cb), len(cb)
mb = m if isinstance(m, bytes) else json.dumps(m).encode()
desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(mb),
        "size": len(mb), "annotations": {"org.opencontainers.image.ref.name": "t"}}
desc.update(idx_extra)
json.dump({"imageLayoutVersion": "1.0.0"}, open(lay + "/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [desc]}, open(lay + "/index.json", "w"))
EOP
}

# refused NAME PATTERN: the pull fails within 60 s with one line matching PATTERN.
refused() {
    local rc=0
    timeout 60 "$TANK" --config "$TMP/tank.ini" pull "oci:$TMP/$1:t" >/dev/null 2>"$TMP/err" || rc=$?
    [ $rc = 124 ] && fail "$1: the pull did not end within 60 s"
    [ $rc != 0 ] || fail "$1: accepted"
    [ "$(wc -l <"$TMP/err")" = 1 ] || fail "$1: error not one line: $(head -c 600 "$TMP/err")"
    grep -q "^tank pull: .*$2" "$TMP/err" || fail "$1: unexpected error: $(head -c 600 "$TMP/err")"
    echo "$1: $(head -c 300 "$TMP/err")"
    [ -z "$(ls -A "$TMP/state/images/tmp" 2>/dev/null)" ] || fail "$1: temp dir left behind"
    [ -z "$(ls -A "$TMP/state/images/layers/sha256" 2>/dev/null)" ] || fail "$1: a layer was stored"
    [ -z "$(ls -A "$TMP/state/images/refs" 2>/dev/null)" ] || fail "$1: an image record was written"
}

mk good ''
tank pull "oci:$TMP/good:t" >/dev/null || fail "the unmodified image does not pull"
rm -rf "$TMP/state"

H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mk bad-layer-digest 'm["layers"][0]["digest"] = "sha256:xyz"'
refused bad-layer-digest "digest"
mk sha512-layer "m['layers'][0]['digest'] = 'sha512:' + '$H$H'"
refused sha512-layer "digest"
mk upper-config-digest "m['config']['digest'] = 'sha256:' + '$H'.upper(); m['config']['size'] = 2"
refused upper-config-digest "digest"
mk negative-size 'm["layers"][0]["size"] = -1'
refused negative-size "size"
mk tampered-layer 'open(lay + "/blobs/sha256/" + m["layers"][0]["digest"][7:], "ab").write(b"x")'
refused tampered-layer "digest\|size"
mk missing-layer "m['layers'][0]['digest'] = 'sha256:$H'"
refused missing-layer "sha256:$H\|no such file\|not found"
mk missing-config "m['config']['digest'], m['config']['size'] = 'sha256:$H', 10"
refused missing-config "sha256:$H\|no such file\|not found"
mk unknown-manifest-type 'm["mediaType"] = "application/vnd.example.manifest+json"'
refused unknown-manifest-type "media type"
mk schema1 'm = json.dumps({"schemaVersion": 1, "name": "x", "tag": "t", "fsLayers": []}).encode()'
refused schema1 "schema 1"
mk nondistributable 'm["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"'
refused nondistributable "media type"
mk not-json 'm = b"<html>502 Bad Gateway</html>"'
refused not-json "manifest"
mk config-not-json 'cb = b"\x00\x01binary"; m["config"]["digest"], m["config"]["size"] = put(cb), len(cb)'
refused config-not-json "config"
mk count-mismatch 'c["rootfs"]["diff_ids"].append(c["rootfs"]["diff_ids"][0])'
refused count-mismatch "layer"
# 10,000 layers (all the same blob): refused before any layer work
mk many-layers 'm["layers"] *= 10000; c["rootfs"]["diff_ids"] *= 10000'
start=$SECONDS
refused many-layers "layers"
echo "many-layers refused in $((SECONDS - start)) s"
# a config declared (and written) larger than the 16 MiB limit
mk big-config 'c["config"]["Env"] = ["X=" + "x" * 1000] * 20000'
refused big-config "config"
mk big-config-size 'm["config"]["digest"], m["config"]["size"] = put(json.dumps(c).encode()), 1 << 40'
refused big-config-size "config\|size"
# a manifest over the 4 MiB limit
mk big-manifest 'm["annotations"] = {"pad": "x" * (5 << 20)}'
refused big-manifest "manifest"
pass

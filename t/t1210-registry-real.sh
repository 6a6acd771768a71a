#!/bin/bash
# Against Debian's docker-registry: images pushed by skopeo (OCI, Docker schema2, and an
# OCI index) are fetched by the client; manifest digests equal the registry's, every blob
# lands whole and verified.
. "$(dirname "$0")/lib.sh"
need_root
REGFETCH=$TANK_SRC/t/regfetch
[ -x "$REGFETCH" ] || fail "t/regfetch is not built (make t/regfetch)"
need_cmds skopeo umoci
start_registry
"$TANK_SRC/t/mkimage-busybox.sh" "$TMP/oci" v1 >/dev/null 2>&1 || fail "mkimage-busybox failed"

push() { # TAG [SKOPEO_ARGS...]
    local tag=$1; shift
    timeout 120 skopeo copy -q --dest-tls-verify=false "$@" "oci:$TMP/oci:v1" \
        "docker://$REGISTRY/tank/busybox:$tag" >/dev/null 2>"$TMP/skopeo.err" ||
        fail "skopeo push failed: $(cat "$TMP/skopeo.err")"
}
raw_digest() { # TAG
    echo "sha256:$(curl -fsS -H "Accept: $2" "http://$REGISTRY/v2/tank/busybox/manifests/$1" |
        sha256sum | cut -d' ' -f1)"
}
check() { # TAG MEDIA_TYPE
    local out=$TMP/out.$1 dir=$TMP/blobs.$1
    mkdir -p "$dir"
    timeout 60 "$REGFETCH" --insecure "$REGISTRY" --out "$dir" "$REGISTRY/tank/busybox:$1" \
        >"$out" 2>"$TMP/err" || fail "fetch of $1 failed: $(cat "$TMP/err")"
    grep -q "^manifest $(raw_digest "$1" "$2") $2 " "$out" ||
        fail "$1: manifest digest or type differs from the registry's: $(cat "$out")"
    grep -q '^config sha256:' "$out" || fail "$1: no config: $(cat "$out")"
    local n=0 d
    for d in $(sed -n 's/^blob \(sha256:[0-9a-f]*\) .*/\1/p' "$out"); do
        [ "sha256:$(sha256sum <"$dir/${d#sha256:}" | cut -d' ' -f1)" = "$d" ] ||
            fail "$1: blob $d does not hash to its digest"
        n=$((n + 1))
    done
    [ $n -ge 1 ] || fail "$1: no layer fetched: $(cat "$out")"
    # the layer is the busybox tree
    tar -tzf "$dir/${d#sha256:}" | grep -q 'bin/busybox$' || fail "$1: layer lacks bin/busybox"
}

push oci
check oci application/vnd.oci.image.manifest.v1+json
push v2s2 --format v2s2
check v2s2 application/vnd.docker.distribution.manifest.v2+json

# an OCI index of one linux/amd64 image, pushed with --all: the client fetches the index
# and the manifest it names (by digest)
python3 - "$TMP/oci" <<'PY' || fail "making the index failed"
import hashlib, json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = [x for x in idx["manifests"]
     if x.get("annotations", {}).get("org.opencontainers.image.ref.name") == "v1"][0]
entry = {"mediaType": m["mediaType"], "digest": m["digest"], "size": m["size"],
         "platform": {"os": "linux", "architecture": "amd64"}}
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [entry]}).encode()
h = hashlib.sha256(body).hexdigest()
open(os.path.join(d, "blobs", "sha256", h), "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + h, "size": len(body),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
PY
timeout 120 skopeo copy -q --all --dest-tls-verify=false "oci:$TMP/oci:multi" \
    "docker://$REGISTRY/tank/busybox:multi" >/dev/null 2>"$TMP/skopeo.err" ||
    fail "skopeo push of the index failed: $(cat "$TMP/skopeo.err")"
check multi application/vnd.oci.image.index.v1+json
[ "$(grep -c '^manifest ' "$TMP/out.multi")" = 2 ] || fail "index: $(cat "$TMP/out.multi")"
sed -n 2p "$TMP/out.multi" | grep -q "^manifest sha256:[0-9a-f]* application/vnd.oci.image.manifest.v1+json " ||
    fail "index: the image manifest was not fetched: $(cat "$TMP/out.multi")"
pass

#!/usr/bin/env python3
"""mklayout.py LAYOUT TAG [options] TAR...

Write (or add to) an OCI image layout holding TAG, one layer per TAR (an uncompressed tar
file), compressed as asked. For fixtures a real tool cannot produce (hostile or hand-made
layers, zstd, multi-platform indexes); the images themselves are still built from real files.

options (before the TARs):
  --compress gzip|zstd|none   how to store every layer (default gzip)
  --user U  --cmd JSON  --entrypoint JSON  --env K=V  --workdir D  --stop-signal S
  --label K=V  --expose PORT/PROTO
  --arch A                    the config's architecture (default: this machine's)
  --other-arch A              tag an index: A (a 1-file dummy image) plus this machine's image
  --docker                    Docker schema2 media types instead of OCI
  --wrong-diff-id             the config names a wrong diff_id for the last layer
"""
import gzip
import hashlib
import io
import json
import os
import platform
import subprocess
import sys
import tarfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
    platform.machine(), platform.machine())


def put_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, 6, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                              check=True).stdout
    return data


def build_image(layout, opts, tars, arch):
    docker = opts["docker"]
    layers, diff_ids = [], []
    for t in tars:
        raw = open(t, "rb").read()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        blob = compress(raw, opts["compress"])
        if docker:
            mt = "application/vnd.docker.image.rootfs.diff.tar.gzip"
        else:
            mt = "application/vnd.oci.image.layer.v1.tar" + {
                "gzip": "+gzip", "zstd": "+zstd", "none": ""}[opts["compress"]]
        layers.append({"mediaType": mt, "digest": put_blob(layout, blob), "size": len(blob)})
    if opts.get("wrong_diff_id"):
        diff_ids[-1] = "sha256:" + hashlib.sha256(b"not this layer").hexdigest()
    cfg = {k: v for k, v in opts["config"].items() if v}
    config = {"created": "2026-01-02T03:04:05Z", "architecture": arch, "os": "linux",
              "config": cfg, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cb = json.dumps(config).encode()
    cmt = ("application/vnd.docker.container.image.v1+json" if docker
           else "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2,
                "mediaType": ("application/vnd.docker.distribution.manifest.v2+json" if docker
                              else "application/vnd.oci.image.manifest.v1+json"),
                "config": {"mediaType": cmt, "digest": put_blob(layout, cb), "size": len(cb)},
                "layers": layers}
    mb = json.dumps(manifest).encode()
    return {"mediaType": manifest["mediaType"], "digest": put_blob(layout, mb), "size": len(mb),
            "platform": {"architecture": arch, "os": "linux"}}


def dummy_tar():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        data = b"wrong platform\n"
        ti = tarfile.TarInfo("WRONG-PLATFORM")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def main(argv):
    layout, tag = argv[0], argv[1]
    args = argv[2:]
    opts = {"compress": "gzip", "docker": False, "arch": ARCH, "other": None,
            "config": {"User": "", "Cmd": None, "Entrypoint": None, "Env": [],
                       "WorkingDir": "", "StopSignal": "", "Labels": {}, "ExposedPorts": {}}}
    c = opts["config"]
    while args and args[0].startswith("--"):
        o = args.pop(0)
        if o == "--docker":
            opts["docker"] = True
            continue
        if o == "--wrong-diff-id":
            opts["wrong_diff_id"] = True
            continue
        v = args.pop(0)
        if o == "--compress":
            opts["compress"] = v
        elif o == "--user":
            c["User"] = v
        elif o == "--cmd":
            c["Cmd"] = json.loads(v)
        elif o == "--entrypoint":
            c["Entrypoint"] = json.loads(v)
        elif o == "--env":
            c["Env"].append(v)
        elif o == "--workdir":
            c["WorkingDir"] = v
        elif o == "--stop-signal":
            c["StopSignal"] = v
        elif o == "--label":
            k, _, val = v.partition("=")
            c["Labels"][k] = val
        elif o == "--expose":
            c["ExposedPorts"][v] = {}
        elif o == "--arch":
            opts["arch"] = v
        elif o == "--other-arch":
            opts["other"] = v
        else:
            sys.exit("mklayout: unknown option " + o)
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    desc = build_image(layout, opts, args, opts["arch"])
    if opts["other"]:
        tmp = os.path.join(layout, ".dummy.tar")
        with open(tmp, "wb") as f:
            f.write(dummy_tar())
        other = build_image(layout, dict(opts, compress="gzip"), [tmp], opts["other"])
        os.unlink(tmp)
        index = {"schemaVersion": 2, "mediaType": (
            "application/vnd.docker.distribution.manifest.list.v2+json" if opts["docker"]
            else "application/vnd.oci.image.index.v1+json"), "manifests": [other, desc]}
        ib = json.dumps(index).encode()
        desc = {"mediaType": index["mediaType"], "digest": put_blob(layout, ib), "size": len(ib)}
    else:
        desc = {k: desc[k] for k in ("mediaType", "digest", "size")}
    desc["annotations"] = {"org.opencontainers.image.ref.name": tag}
    ipath = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(ipath):
        index = json.load(open(ipath))
    index["manifests"] = [m for m in index["manifests"] if m.get("annotations", {}).get(
        "org.opencontainers.image.ref.name") != tag] + [desc]
    with open(ipath, "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main(sys.argv[1:])

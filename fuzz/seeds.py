#!/usr/bin/env python3
"""seeds.py TARGET OUTDIR [DICT] — write the seed corpus of one fuzz target into OUTDIR and,
when DICT is given, a libFuzzer dictionary of the string literals of the sources it parses
with (field names, keys, media types) into DICT.

Seeds are built at fuzz time from the repository's fixtures and from small images made
by t/mklayout.py (the same builder the image tests use), never committed as blobs.
"""
import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def put(out, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def seed_spec(out):
    files = glob.glob(os.path.join(SRC, "t/fixtures/spec/**/*.y*ml"), recursive=True)
    files += glob.glob(os.path.join(SRC, "t/fixtures/spec/**/*.json"), recursive=True)
    files += glob.glob(os.path.join(SRC, "examples/pods/*"))
    for i, f in enumerate(sorted(files)):
        shutil.copyfile(f, os.path.join(out, "%03d-%s" % (i, os.path.basename(f))))
    # all example documents in one multi-document file
    docs = [open(f).read() for f in sorted(glob.glob(os.path.join(SRC, "examples/pods/*")))]
    put(out, "multi.yaml", "\n---\n".join(docs))


def seed_config(out):
    ini = open(os.path.join(SRC, "conf/tank.ini")).read()
    put(out, "default.ini", ini)
    put(out, "small.ini", "[host]\nuplink = eth1\ndns = 192.0.2.53, 2001:db8::53\n"
        "dns_search = example.com lan\n[agent]\nstate_dir = /tmp/s\nresync_seconds = 5m\n"
        "[registry]\ninsecure = 127.0.0.1:5000\nmirror = https://mirror.example\n"
        "max_layer_size = 512Mi\nauth_file = /tmp/auth.json\n"
        "[restart]\nbackoff_initial = 250ms\nbackoff_max = 1h\n")
    put(out, "bad.ini", "[nope]\nx = 1\n[agent]\nresync_seconds = -3\n")


REFS = ["busybox", "busybox:1.36", "library/busybox", "docker.io/library/busybox:latest",
        "user/app:1.2", "127.0.0.1:5000/app:1", "localhost/app", "index.docker.io/x/y",
        "Registry.Example.com:443/a/b/c:t_1.0-x", "[2001:db8::1]:5000/app:v1",
        "app@sha256:" + "a" * 64, "127.0.0.1:5000/app:tag@sha256:" + "0123456789abcdef" * 4,
        "app@sha512:" + "b" * 128, "oci:/var/lib/images/busybox:latest", "oci:layout",
        "oci:./rel/path:v2", "a" * 64, "UPPER/case", "a//b", "a/b/", ":tag", "x:",
        "ex ample", "a__b", "a..b/c-d.e_f"]


def seed_ref(out):
    for i, r in enumerate(REFS):
        put(out, "ref-%02d" % i, r)


CRONS = ["* * * * *", "*/15 9-17 * JAN-DEC MON-FRI", "0 0 29 2 *", "@hourly", "@yearly",
         "5-10/2,30 0,12 1-31/7 */3 ?", "0 0 13 * FRI", "59 23 31 12 6", "1, * * * *",
         "61 * * * *", "@every 1h"]


def seed_cron(out):
    for i, c in enumerate(CRONS):
        put(out, "cron-%02d" % i, c)


def small_tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, kind, arg in files:
            ti = tarfile.TarInfo(name)
            ti.mtime = 1767225600
            if kind == "file":
                ti.size = len(arg)
                ti.mode = 0o644
                tf.addfile(ti, io.BytesIO(arg))
                continue
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
            elif kind == "hardlink":
                ti.type, ti.linkname = tarfile.LNKTYPE, arg
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, arg[0], arg[1]
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            elif kind == "xattr":
                ti.size = 1
                ti.pax_headers = {"SCHILY.xattr.user.k": "v",
                                  "SCHILY.xattr.trusted.overlay.opaque": "y"}
                tf.addfile(ti, io.BytesIO(b"x"))
                continue
            elif kind == "setuid":
                ti.size, ti.mode = 2, 0o4755
                tf.addfile(ti, io.BytesIO(b"#!"))
                continue
            tf.addfile(ti)
    return buf.getvalue()


TARS = {
    "basic": [("bin", "dir", None), ("bin/sh", "file", b"#!/bin/sh\necho hi\n"),
              ("bin/ash", "symlink", "sh"), ("bin/link", "hardlink", "bin/sh"),
              ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n")],
    "whiteouts": [("etc", "dir", None), ("etc/.wh.passwd", "file", b""),
                  ("var/.wh..wh..opq", "file", b""), ("var/new", "file", b"n"),
                  ("a/b/c/.wh.d", "file", b""), (".wh..wh.plnk", "dir", None)],
    "special": [("dev", "dir", None), ("dev/null", "chr", (1, 3)), ("fifo", "fifo", None),
                ("usr/bin/su", "setuid", None), ("cap", "xattr", None)],
    "hostile": [("../escape", "file", b"x"), ("/abs", "file", b"x"),
                ("up", "symlink", "../../../"), ("up/x", "file", b"x"),
                ("shadow", "hardlink", "/etc/shadow"), ("x/../../y", "file", b"y"),
                ("../../.wh.x", "file", b"")],
}


def seed_layer(out):
    groups = dict(TARS)
    for i, entry in enumerate(TARS["hostile"]):  # one hostile entry per tar, after a file
        groups["hostile-%d" % i] = [("ok", "file", b"ok")] + [entry]
    groups["hostile-symlink-write"] = [("up", "symlink", "../../../"), ("up/x", "file", b"x")]
    for name, files in groups.items():
        raw = small_tar(files)
        put(out, name + ".tar", raw)
        put(out, name + ".tar.gz", gzip.compress(raw, 6, mtime=0))
        if shutil.which("zstd"):
            z = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE,
                               check=True).stdout
            put(out, name + ".tar.zst", z)
    put(out, "bomb.gz", gzip.compress(b"\0" * (1 << 20), 9, mtime=0))
    put(out, "two-members.gz", gzip.compress(b"a", mtime=0) + gzip.compress(b"b", mtime=0))


def layouts(tmp):
    """Small images by t/mklayout.py: OCI and Docker, single and multi-platform."""
    tar = os.path.join(tmp, "l.tar")
    with open(tar, "wb") as f:
        f.write(small_tar(TARS["basic"]))
    mk = os.path.join(SRC, "t/mklayout.py")
    made = []
    for name, opts in [("oci", []), ("docker", ["--docker"]),
                       ("index", ["--other-arch", "s390x"]),
                       ("list", ["--docker", "--other-arch", "s390x"]),
                       ("full", ["--user", "app:staff", "--cmd", '["sh","-c","x"]',
                                 "--entrypoint", '["/bin/tini","--"]', "--env", "A=1",
                                 "--workdir", "/srv", "--stop-signal", "SIGRTMIN+3",
                                 "--label", "k=v", "--expose", "80/tcp"])]:
        d = os.path.join(tmp, name)
        subprocess.run([sys.executable, mk, d, "latest"] + opts + [tar], check=True)
        made.append(d)
    return made


def json_blobs(layout):
    for p in sorted(glob.glob(os.path.join(layout, "blobs/sha256/*"))):
        data = open(p, "rb").read()
        if data[:1] == b"{":
            yield os.path.basename(p)[:12], data


def seed_manifest(out):
    with tempfile.TemporaryDirectory() as tmp:
        for d in layouts(tmp):
            put(out, os.path.basename(d) + "-index.json",
                open(os.path.join(d, "index.json"), "rb").read())
            for h, data in json_blobs(d):
                if b'"config"' in data or b'"manifests"' in data:
                    put(out, "%s-%s.json" % (os.path.basename(d), h), data)


PASSWD = ("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
GROUP = "root:x:0:\nstaff:x:50:app,nobody\napp:x:1000:\nwheel:x:10:app\n"


def seed_imgconfig(out):
    with tempfile.TemporaryDirectory() as tmp:
        for d in layouts(tmp):
            for h, data in json_blobs(d):
                if b'"rootfs"' in data:
                    put(out, "%s-%s" % (os.path.basename(d), h),
                        data + b"\0" + PASSWD.encode() + b"\0" + GROUP.encode())
    for i, user in enumerate(["1000", "app", "1000:50", "app:wheel", "0:staff", "ghost"]):
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"User": user},
                          "rootfs": {"type": "layers", "diff_ids": []}})
        put(out, "user-%d" % i, cfg + "\0" + PASSWD + "\0" + GROUP)


def seed_auth(out):
    seeds = [
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:library/busybox:pull"',
        'Basic realm="registry"',
        'Basic realm="x", Bearer realm="http://127.0.0.1:1/t",service=s,error="invalid_token"',
        'Bearer realm="a\\"b",scope="repository:a:pull,push"',
        'Negotiate, Bearer realm=x',
        json.dumps({"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"},
                              "https://index.docker.io/v1/": {"username": "u",
                                                              "password": "p"}}}),
        json.dumps({"token": "abc", "expires_in": 300, "issued_at": "2026-01-01T00:00:00Z"}),
        json.dumps({"access_token": "xyz", "expires_in": 10,
                    "issued_at": "2026-01-01T00:00:00.123456789+02:00"}),
        json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required",
                                "detail": [{"Type": "repository", "Name": "x"}]}]}),
    ]
    for i, s in enumerate(seeds):
        put(out, "auth-%02d" % i, s)


def seed_crilog(out):
    for i, s in enumerate([b"hello\n", b"no newline", b"a\nb\r\nc\n\n",
                           b"x" * 20000 + b"\n", bytes(range(256)), b"@\r\r\n\x0e\r",
                           # a full line buffer (16 KiB) ending in the '\r' of "\r\n"
                           b"x" * 16383 + b"\r\n", b"x" * 16383 + b"\r\r\n" + b"\0a\r\n"]):
        put(out, "log-%d" % i, s)


def seed_seccomp(out):
    # the default profile's names (from its C table) as a Docker profile
    text = open(os.path.join(SRC, "sandbox/seccomp_default.c")).read()
    rules = []
    for m in re.finditer(r'\.names\s*=\s*((?:"[^"]*"\s*)+)', text):
        names = "".join(re.findall(r'"([^"]*)"', m.group(1))).split()
        rules.append({"names": names, "action": "SCMP_ACT_ALLOW"})
    put(out, "default.json", json.dumps({
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64",
                     "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
                    {"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": None}],
        "syscalls": rules}, indent=1))
    put(out, "full.json", json.dumps({
        "defaultAction": "SCMP_ACT_KILL_PROCESS", "architectures": ["SCMP_ARCH_X86_64"],
        "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
        "syscalls": [
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
            {"name": "clone", "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0,
                       "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390x"]}},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                      {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
            {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
             "includes": {"minKernel": "4.8", "caps": ["CAP_SYS_PTRACE"], "arches": ["amd64"]}},
            {"names": ["write", "read"], "action": "SCMP_ACT_LOG", "comment": "x"},
            {"names": ["getpid"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
            {"names": ["kill"], "action": "SCMP_ACT_TRAP"}]}))
    put(out, "deny.json", '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":'
        '[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}')
    put(out, "bad.json", '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":'
        '[{"names":["read"],"action":"SCMP_ACT_FOO"}]}')


DICT_SOURCES = {
    "seccomp": ["sandbox/seccomp_profile.c"],
    "spec": ["spec/*.c"], "config": ["agent/config.c", "conf/tank.ini"],
    "ref": ["image/ref.c"], "manifest": ["image/manifest.c", "image/registry.h"],
    "imgconfig": ["image/imgconfig.c", "image/user.c"], "auth": ["image/auth.c"],
    "layer": ["image/layer.c"], "crilog": [], "cron": ["base/cron.c"],
}


def write_dict(target, path):
    words = set()
    for pat in DICT_SOURCES.get(target, []):
        for f in glob.glob(os.path.join(SRC, pat)):
            text = open(f, errors="replace").read()
            for w in re.findall(r'"([A-Za-z0-9_.+/:=\[\]-]{2,48})"', text):
                words.add(w)
            if f.endswith(".ini"):
                words.update(re.findall(r"^([a-z_]+) =", text, re.M))
    with open(path, "w") as f:
        for i, w in enumerate(sorted(words)):
            f.write('w%d="%s"\n' % (i, w))


def main():
    target, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    fn = globals().get("seed_" + target)
    if not fn:
        sys.exit("seeds.py: no seeds for target '%s'" % target)
    fn(out)
    if len(sys.argv) > 3:
        write_dict(target, sys.argv[3])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A scripted registry (HTTP API v2 subset) on 127.0.0.1 for the client's fault tests.

It serves one repository "test/app" with tag "v1": an OCI manifest, a config blob and one
layer blob of --blob-size pseudo-random bytes (or the gzipped tar --layer-tgz). --faults (comma-separated) changes how it
answers; --port-file receives the port once it listens; --info receives a JSON object with
the digests and sizes; --log gets one line per request:

    METHOD PATH host=HOST auth=SCHEME|- peer=CLIENT_PORT status=CODE

Faults:
  token        /v2/ needs "Bearer" tokens from /token (--user/--password checked there),
               accepted for --token-lifetime seconds
  basic        /v2/ needs Basic --user:--password
  notfound     manifests and blobs answer 404
  flaky        the first --count GETs of each path answer 500
  ratelimit    the first --count GETs of each path answer 429 with Retry-After: 1
  truncate     the first --count GETs of the layer send half of it, then close
  short        the first --count GETs of the layer send half of it, announced as whole
  wrongdigest  the layer is served with one byte changed
  redirect     blobs answer 307 to http://localhost:PORT/storage/... (another host)
  stall        the first --count GETs of the layer send 512 bytes, then nothing
  hang         every connection is accepted and never answered
  forbidden    manifests and blobs answer 403
"""
import argparse
import base64
import gzip
import hashlib
import json
import os
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = "test/app"
TAG = "v1"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


class State:
    def __init__(self, args):
        self.args = args
        self.faults = set(f for f in args.faults.split(",") if f)
        rnd = random.Random(1234)
        chunk = rnd.randbytes(1 << 16)
        parts = [hashlib.sha256(b"%d" % i).digest() + chunk[i % 4096:]
                 for i in range(args.blob_size // len(chunk) + 1)]
        self.layer = b"".join(parts)[: args.blob_size]
        diff_id, layer_type = sha(self.layer), "application/vnd.oci.image.layer.v1.tar"
        if args.layer_tgz:
            with open(args.layer_tgz, "rb") as f:
                self.layer = f.read()
            diff_id = sha(gzip.decompress(self.layer))
            layer_type += "+gzip"
        self.config = json.dumps({"architecture": "amd64", "os": "linux",
                                  "config": {"Cmd": ["/bin/sh"]},
                                  "rootfs": {"type": "layers", "diff_ids": [diff_id]}},
                                 sort_keys=True).encode()
        self.manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": sha(self.config), "size": len(self.config)},
            "layers": [{"mediaType": layer_type,
                        "digest": sha(self.layer), "size": len(self.layer)}],
        }, indent=2).encode()
        self.blobs = {sha(self.config): self.config, sha(self.layer): self.layer}
        self.counts = {}
        self.tokens = {}
        self.lock = threading.Lock()
        self.port = 0

    def nth(self, path):
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            return self.counts[path]

    def log(self, line):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    st = None

    def log_message(self, *a):
        pass

    def record(self, code):
        auth = self.headers.get("Authorization")
        self.st.log("%s %s host=%s auth=%s peer=%d status=%d" % (
            self.command, self.path, self.headers.get("Host", "-"),
            auth.split(" ")[0] if auth else "-", self.client_address[1], code))

    def reply(self, code, body=b"", ctype="application/json", headers=()):
        self.record(code)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=()):
        body = json.dumps({"errors": [{"code": ecode, "message": msg}]}).encode()
        self.reply(code, body, headers=headers)

    def creds_ok(self):
        want = "%s:%s" % (self.st.args.user, self.st.args.password)
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            return base64.b64decode(auth[6:]).decode() == want
        except Exception:
            return False

    def authorized(self):
        f = self.st.faults
        auth = self.headers.get("Authorization", "")
        if "token" in f:
            issued = self.st.tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
            if issued is not None and time.time() - issued < self.st.args.token_lifetime:
                return True
            realm = "http://127.0.0.1:%d/token" % self.st.port
            self.error(401, "UNAUTHORIZED", "authentication required", headers=[(
                "WWW-Authenticate",
                'Bearer realm="%s",service="fakereg",scope="repository:%s:pull"' % (realm, REPO))])
            return False
        if "basic" in f:
            if self.creds_ok():
                return True
            self.error(401, "UNAUTHORIZED", "authentication required",
                       headers=[("WWW-Authenticate", 'Basic realm="fakereg"')])
            return False
        return True

    def do_token(self):
        if self.st.args.user and not self.creds_ok():
            self.error(401, "UNAUTHORIZED", "bad credentials")
            return
        tok = "tok-%d" % (len(self.st.tokens) + 1)
        self.st.tokens[tok] = time.time()
        self.reply(200, json.dumps({"token": tok, "expires_in": self.st.args.token_ttl,
                                    "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                               time.gmtime())}).encode())

    def send_blob(self, data, path):
        f = self.st.faults
        n = self.st.nth(path)
        is_layer = data is self.st.layer
        if is_layer and "wrongdigest" in f:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        cut = None
        if is_layer and "truncate" in f and n <= self.st.args.count:
            cut = len(data) // 2
        if is_layer and "stall" in f and n <= self.st.args.count:
            cut = 512
        if is_layer and "short" in f and n <= self.st.args.count:
            data = data[: len(data) // 2]
        self.record(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Docker-Content-Digest", sha(self.st.layer if is_layer else data))
        self.end_headers()
        if cut is None:
            self.wfile.write(data)
            return
        self.wfile.write(data[:cut])
        self.wfile.flush()
        if "stall" in f:
            time.sleep(600)
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self):
        st, f, path = self.st, self.st.faults, self.path.split("?")[0]
        if path == "/token":
            return self.do_token()
        if path.startswith("/storage/"):
            data = st.blobs.get("sha256:" + path[len("/storage/"):])
            if data is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown")
            return self.send_blob(data, path)
        if not path.startswith("/v2/"):
            return self.error(404, "NOT_FOUND", "not found")
        if not self.authorized():
            return
        if path == "/v2/":
            return self.reply(200, b"{}")
        if "flaky" in f and st.nth("flaky " + path) <= st.args.count:
            return self.error(500, "UNKNOWN", "internal error")
        if "ratelimit" in f and st.nth("rate " + path) <= st.args.count:
            return self.error(429, "TOOMANYREQUESTS", "slow down",
                              headers=[("Retry-After", "1")])
        if "forbidden" in f:
            return self.error(403, "DENIED", "requested access to the resource is denied")
        prefix = "/v2/%s/" % REPO
        if not path.startswith(prefix) or "notfound" in f:
            if "/manifests/" in path:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        rest = path[len(prefix):]
        if rest in ("manifests/" + TAG, "manifests/" + sha(st.manifest)):
            return self.reply(200, st.manifest, "application/vnd.oci.image.manifest.v1+json",
                              headers=[("Docker-Content-Digest", sha(st.manifest))])
        if rest.startswith("blobs/") and rest[6:] in st.blobs:
            if "redirect" in f:
                loc = "http://localhost:%d/storage/%s?sig=secret" % (st.port, rest[6 + 7:])
                return self.reply(307, b"", headers=[("Location", loc)])
            return self.send_blob(st.blobs[rest[6:]], path)
        if rest.startswith("blobs/"):
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")

    do_HEAD = do_GET


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--faults", default="")
    p.add_argument("--count", type=int, default=2)
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--token-ttl", type=int, default=300, help="expires_in told to clients")
    p.add_argument("--token-lifetime", type=float, default=0,
                   help="seconds a token is accepted (default: --token-ttl)")
    p.add_argument("--blob-size", type=int, default=3 << 20)
    p.add_argument("--layer-tgz", help="serve this gzipped tar as the layer")
    p.add_argument("--port-file", required=True)
    p.add_argument("--info")
    p.add_argument("--log")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS")
    args = p.parse_args()
    if not args.token_lifetime:
        args.token_lifetime = args.token_ttl
    st = State(args)
    if "hang" in st.faults:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(64)
        st.port = srv.getsockname()[1]
    else:
        Handler.st = st
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        st.port = httpd.server_address[1]
        if args.tls:
            import ssl
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls[0], args.tls[1])
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    if args.info:
        with open(args.info, "w") as f:
            json.dump({"manifest": sha(st.manifest), "config": sha(st.config),
                       "config_size": len(st.config), "layer": sha(st.layer),
                       "layer_size": len(st.layer), "repo": REPO, "tag": TAG}, f)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % st.port)
    os.rename(tmp, args.port_file)
    if "hang" in st.faults:
        while True:
            time.sleep(3600)
    httpd.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

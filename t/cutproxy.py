#!/usr/bin/env python3
"""cutproxy.py UPSTREAM PORTFILE LOG: an HTTP proxy on 127.0.0.1 in front of a registry
that cuts the first answer for each large blob in half (then closes the connection), so a
client must fetch it again. One log line per request: "GET PATH cut|full"."""
import http.client
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM, PORTFILE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
seen = set()
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self, method):
        c = http.client.HTTPConnection(UPSTREAM, timeout=30)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        c.request(method, self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        cut = False
        if method == "GET" and "/blobs/" in self.path and len(body) > 65536:
            with lock:
                cut = self.path not in seen
                seen.add(self.path)
        with lock, open(LOG, "a") as f:
            f.write("%s %s %s\n" % (method, self.path, "cut" if cut else "full"))
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body[: len(body) // 2] if cut else body)
        if cut:
            self.wfile.flush()
            self.close_connection = True

    def do_GET(self):
        self.forward("GET")

    def do_HEAD(self):
        self.forward("HEAD")


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()

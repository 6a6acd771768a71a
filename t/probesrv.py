#!/usr/bin/python3
"""Servers for probe tests, run inside a pod's network namespace (nsenter --net).

probesrv.py grpc PORT STATEFILE
    grpc.health.v1.Health/Check on PORT (cleartext HTTP/2) with python3-grpcio alone (the
    messages are encoded by hand): service "" or "app" answers STATEFILE's word (SERVING or
    NOT_SERVING); any other service is NOT_FOUND "unknown service".
probesrv.py http PORT
    HTTP/1.1 on PORT: 200 when the request has the header "X-Probe: tank", else 403.
"""
import http.server
import sys
from concurrent import futures

STATES = {"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2}


def grpc_server(port, statefile):
    import grpc

    def check(req, ctx):
        service = b""
        if req[:1] == b"\x0a":
            service = req[2 : 2 + req[1]]
        if service not in (b"", b"app"):
            ctx.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        with open(statefile) as f:
            state = STATES[f.read().strip()]
        return bytes([0x08, state])

    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)}
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("0.0.0.0:%d" % port)
    server.start()
    print("ready", flush=True)
    server.wait_for_termination()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        code = 200 if self.headers.get("X-Probe") == "tank" else 403
        body = b"ok\n" if code == 200 else b"no header\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    if sys.argv[1] == "grpc":
        grpc_server(int(sys.argv[2]), sys.argv[3])
    else:
        srv = http.server.HTTPServer(("0.0.0.0", int(sys.argv[2])), Handler)
        print("ready", flush=True)
        srv.serve_forever()


main()

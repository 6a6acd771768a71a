#!/bin/bash
# Faults during a pull. (1) The registry is killed in the middle of a layer: the pull fails
# with a clear one-line error and leaves nothing half-written visible (no image record, no
# layer directory, no temp dir); after the registry restarts, the same pull succeeds.
# (2) The disk fills up during extraction (state_dir on a small tmpfs mounted here): the
# pull fails with "No space left on device", the space is given back, and a small image
# still pulls into the same store.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds skopeo python3
T=$TANK_SRC/t
start_registry
REG_PORT=${REGISTRY#*:}

# a throttling proxy in front of the registry (streams blobs at ~4 MiB/s, logs the bytes
# sent), so that the registry can be killed while a layer is in flight
PROXY_LOG=$TMP/proxy.log
python3 - "$REGISTRY" "$TMP/proxy.port" "$PROXY_LOG" >"$TMP/proxy.out" 2>&1 <<'EOP' &
import http.client, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
UP, PORTFILE, LOG = sys.argv[1:4]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do(self, method):
        try:
            c = http.client.HTTPConnection(UP, timeout=30)
            c.request(method, self.path, headers={k: v for k, v in self.headers.items()
                                                  if k.lower() not in ("host", "connection")})
            r = c.getresponse()
        except OSError:
            self.send_error(502); return
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        while method == "GET":
            chunk = r.read(65536)
            if not chunk: break
            self.wfile.write(chunk)
            sent += len(chunk)
            if "/blobs/" in self.path:
                with open(LOG, "a") as f: f.write("%s %d\n" % (self.path[-12:], sent))
                time.sleep(len(chunk) / (4 << 20))
        self.close_connection = True
    def do_GET(self): self.do("GET")
    def do_HEAD(self): self.do("HEAD")
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(PORTFILE, "w").write(str(s.server_address[1]))
s.serve_forever()
EOP
PROXY_PID=$!
at_exit "kill $PROXY_PID 2>/dev/null; wait $PROXY_PID 2>/dev/null"
wait_for 20 test -s "$TMP/proxy.port"
PROXY=127.0.0.1:$(cat "$TMP/proxy.port")

store_config "[registry]" "insecure = $PROXY"

# a 48 MiB layer of random bytes (incompressible: the blob is as large)
head -c $((48 << 20)) /dev/urandom >"$TMP/big"
tar -C "$TMP" -cf "$TMP/big.tar" big
"$T/mklayout.py" "$TMP/oci" big --cmd '["sh"]' "$TMP/big.tar" >/dev/null || fail "mklayout big"
printf 'small\n' >"$TMP/small"
tar -C "$TMP" -cf "$TMP/small.tar" small
"$T/mklayout.py" "$TMP/oci" small --cmd '["sh"]' "$TMP/small.tar" >/dev/null || fail "mklayout small"
for tag in big small; do
    skopeo copy -q --dest-tls-verify=false "oci:$TMP/oci:$tag" "docker://$REGISTRY/fault:$tag" \
        >/dev/null || fail "push $tag"
done

registry_pid() { pgrep -f "docker-registry serve $TMP/registry/config.yml" | head -1; }
pull_pid=
tank pull "$PROXY/fault:big" >"$TMP/out" 2>"$TMP/err" &
pull_pid=$!
at_exit "kill $pull_pid 2>/dev/null"
# wait until 8 MiB of the layer are through, then kill the registry
wait_for 60 awk '$2 >= 8388608 { found = 1 } END { exit !found }' "$PROXY_LOG"
rpid=$(registry_pid)
[ -n "$rpid" ] || fail "registry pid not found"
kill -9 "$rpid"
wait_for 20 sh -c "! kill -0 $rpid 2>/dev/null"
start=$SECONDS
wait "$pull_pid" && fail "the pull succeeded although the registry died"
echo "pull failed after $((SECONDS - start)) s: $(tail -n 1 "$TMP/err")"
# retries are announced on the way ("…, retrying in 500ms"); the last line is the error
grep -v "retrying in" "$TMP/err" >"$TMP/err.final"
[ "$(wc -l <"$TMP/err.final")" = 1 ] || fail "error not one line: $(cat "$TMP/err")"
grep -q "^tank pull: .*fault:big" "$TMP/err.final" || fail "unexpected error: $(cat "$TMP/err")"
tank images | grep -q "fault:big" && fail "the failed image is listed"
[ -z "$(ls -A "$TMP/state/images/tmp" 2>/dev/null)" ] || fail "temp dir left: $(ls "$TMP/state/images/tmp")"
[ -z "$(ls -A "$TMP/state/images/layers/sha256" 2>/dev/null)" ] || fail "a layer dir is visible"
# the registry comes back on the same port with the same storage: the retry succeeds
docker-registry serve "$TMP/registry/config.yml" >>"$TMP/registry/log" 2>&1 &
rpid2=$!
at_exit "kill $rpid2 2>/dev/null; wait $rpid2 2>/dev/null"
wait_for 20 curl -fsS "http://$REGISTRY/v2/"
tank pull "$PROXY/fault:big" >/dev/null 2>"$TMP/err" || fail "retry after restart: $(cat "$TMP/err")"
tank unpack "$PROXY/fault:big" "$TMP/unpacked" || fail "unpack after retry"
cmp -s "$TMP/big" "$TMP/unpacked/big" || fail "the retried layer differs"
rm -rf "$TMP/unpacked"

# disk full: a 16 MiB tmpfs as state_dir, the 48 MiB layer straight from the registry
D=$TMP/small-disk
mkdir -p "$D"
mount -t tmpfs -o size=16m tank-test-full "$D" || skip "cannot mount a tmpfs"
at_exit "umount -l $D"
printf '[agent]\nstate_dir = %s\n[registry]\ninsecure = %s\n' "$D/state" "$REGISTRY" >"$TMP/full.ini"
"$TANK" --config "$TMP/full.ini" pull "$REGISTRY/fault:big" >/dev/null 2>"$TMP/err" &&
    fail "a 48 MiB layer fit in a 16 MiB store"
echo "disk full: $(tail -n 1 "$TMP/err")"
grep -v "retrying in" "$TMP/err" >"$TMP/err.final"
[ "$(wc -l <"$TMP/err.final")" = 1 ] || fail "disk full: error not one line: $(cat "$TMP/err")"
grep -qi "no space left on device" "$TMP/err" || fail "disk full: unexpected error: $(cat "$TMP/err")"
[ -z "$(ls -A "$D/state/images/tmp" 2>/dev/null)" ] || fail "disk full: temp dir left behind"
used=$(df -k --output=used "$D" | tail -1)
[ "$used" -lt 1024 ] || fail "disk full: ${used} KiB still used after the failed pull"
"$TANK" --config "$TMP/full.ini" pull "$REGISTRY/fault:small" >/dev/null 2>"$TMP/err" ||
    fail "a small image after the disk-full failure: $(cat "$TMP/err")"
"$TANK" --config "$TMP/full.ini" images | grep -q "fault:small" || fail "small image not listed"
pass

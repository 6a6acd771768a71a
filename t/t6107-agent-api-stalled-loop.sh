#!/bin/bash
# A large answer survives an agent that could not run for longer than the API's idle timeout
# (10 s): GET /v1/pods (~1 MB, more than the socket holds) is read in part, the agent is
# stopped for 12 s while the client drains what it was sent, and the rest must still come
# (the server used to close the connection as idle when it ran again, before writing to it:
# curl's "transfer closed with outstanding read data remaining"). A client that never reads
# its answer is still dropped by the timeout.
. "$(dirname "$0")/lib.sh"
need_cmds python3 curl

mkdir -p "$TMP/pods" "$TMP/state" "$TMP/run" "$TMP/log"
sock=$TMP/tank.sock
cat >"$TMP/tank.ini" <<EOC
[agent]
pods_dir = $TMP/pods
state_dir = $TMP/state
run_dir = $TMP/run
log_dir = $TMP/log
socket = $sock
EOC
# 1500 invalid manifests with long names: each is an entry in .errors, ~1 MB in all.
long=$(printf 'x%.0s' $(seq 150))
for i in $(seq 1500); do
    printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers: []\n' \
        >"$TMP/pods/bad-$long-$i.yaml"
done
"$TANK" agent --config "$TMP/tank.ini" 2>>"$TMP/agent.log" &
agent=$!
at_exit "kill -CONT $agent 2>/dev/null; kill $agent 2>/dev/null; wait $agent 2>/dev/null"
wait_for 20 curl -fsS --unix-socket "$sock" http://tank/healthz
wait_for 30 bash -c "curl -fsS --unix-socket '$sock' http://tank/v1/pods | python3 -c \
    'import json,sys; sys.exit(len(json.load(sys.stdin)[\"errors\"]) < 1500)'"
size=$(curl -fsS --unix-socket "$sock" http://tank/v1/pods | wc -c)
echo "# GET /v1/pods: $size bytes"
[ "$size" -gt 500000 ] || fail "the answer is too small to fill the socket: $size bytes"

cat >"$TMP/stall.py" <<'EOP'
import json, os, signal, socket, sys, time
path, pid = sys.argv[1], int(sys.argv[2])
def ask():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"GET /v1/pods HTTP/1.1\r\nHost: tank\r\nConnection: close\r\n\r\n")
    return s
def read_all(s, data=b""):
    s.settimeout(30)
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b
def body(data):
    head, _, b = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], b
reader, sleeper = ask(), ask()  # the second one never reads until the end
data = reader.recv(4096)
time.sleep(0.5)  # the agent has written what the sockets hold
os.kill(pid, signal.SIGSTOP)
reader.settimeout(0.5)
try:  # drain what was sent while the agent is stopped
    while True:
        b = reader.recv(65536)
        if not b:
            break
        data += b
except socket.timeout:
    pass
print("# read %d bytes, then the agent was stopped for 12 s" % len(data), flush=True)
time.sleep(12)
os.kill(pid, signal.SIGCONT)
status, b = body(read_all(reader, data))
try:
    json.loads(b)
    print("# the reader got all of it: %s, %d bytes" % (status.decode(), len(b)))
except ValueError:
    print("FAIL the answer was cut off after %d bytes" % len(b))
    sys.exit(1)
time.sleep(1)
status, b = body(read_all(sleeper))
try:
    json.loads(b)
    print("FAIL a client that did not read for 13 s was not dropped")
    sys.exit(1)
except ValueError:
    print("# the client that never read was dropped after %d bytes" % len(b))
EOP
python3 "$TMP/stall.py" "$sock" "$agent" || fail "see above"
curl -fsS -m 5 --unix-socket "$sock" http://tank/healthz >/dev/null || fail "healthz after the stall"
kill -0 "$agent" || fail "the agent died"
pass

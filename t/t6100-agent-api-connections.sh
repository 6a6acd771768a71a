#!/bin/bash
# The status API under a crowd of clients: 200 idle connections and a few slow senders (a
# byte a second of a request) are held while `tank status` is timed (it must answer within
# 1 s); then more connections than the server takes at once come and go, and it must still
# answer (the listener used to stay wedged for good once 64 connections had been open).
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
# start_agent NOFILE: the agent with that fd limit, which sets how many connections the
# server takes at once (half of it).
start_agent() {
    (ulimit -n "$1" && exec "$TANK" agent --config "$TMP/tank.ini") 2>>"$TMP/agent.log" &
    agent=$!
    at_exit "kill $agent 2>/dev/null; wait $agent 2>/dev/null"
    wait_for 20 curl -fsS --unix-socket "$sock" http://tank/healthz
}

# crowd.py SOCKET IDLE SLOW: open IDLE silent connections and SLOW ones that send a request
# a byte a second, print "held N" once connected (those the agent took within a few seconds),
# hold them until stdin closes.
cat >"$TMP/crowd.py" <<'EOP'
import socket, sys, threading, time
path, idle, slow = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + 5
def connect():
    while time.monotonic() < deadline:  # the backlog may be full for a moment: retry
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
    return None
held = [s for s in (connect() for _ in range(idle)) if s]
slow_socks = [s for s in (connect() for _ in range(slow)) if s]
stop = threading.Event()
def drip():
    req = b"GET /v1/pods HTTP/1.1\r\nHost: tank\r\nX-Slow: " + b"a" * 1000
    for b in req:
        for s in slow_socks:
            try:
                s.send(bytes([b]))
            except OSError:
                pass
        if stop.wait(1):
            return
threading.Thread(target=drip, daemon=True).start()
print("held", len(held) + len(slow_socks), flush=True)
sys.stdin.read()
stop.set()
for s in held + slow_socks:
    s.close()
print("closed", flush=True)
EOP

# timed_status LABEL: `tank status` answers (outer bound 20 s), within 1 s.
timed_status() {
    local t0 t1 ms
    t0=$(date +%s%N)
    timeout 20 "$TANK" status --config "$TMP/tank.ini" -o json >"$TMP/status.out" 2>&1 ||
        fail "$1: tank status did not answer: $(cat "$TMP/status.out")"
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    echo "# $1: tank status answered in ${ms} ms"
    [ "$ms" -lt 1000 ] || fail "$1: tank status took ${ms} ms (more than 1 s)"
}

# crowd IDLE SLOW: start the crowd on coprocess CROWD and wait until it holds them.
crowd() {
    coproc CROWD { python3 "$TMP/crowd.py" "$sock" "$1" "$2"; }
    crowd_pid=$CROWD_PID
    at_exit "kill $crowd_pid 2>/dev/null"
    local line
    read -r -t 60 line <&"${CROWD[0]}" || fail "the crowd did not connect"
    echo "# crowd of $(($1 + $2)): $line"
}
# crowd_release: close every connection of the crowd.
crowd_release() {
    local line
    exec {CROWD[1]}>&-
    read -r -t 60 line <&"${CROWD[0]}" || true
    wait "$crowd_pid" 2>/dev/null
}

start_agent 1024 # 512 connections at once
crowd 200 5
timed_status "200 idle + 5 slow connections held"
sleep 2
timed_status "the same, 2 s later"
crowd_release
timed_status "after they closed"

# More than the server serves at once: the extra ones wait in the backlog, then all go.
crowd 612 0
sleep 1
crowd_release
timed_status "after 612 connections came and went"

# The old wedge: with the server at its limit and clients waiting in the backlog, all close
# at once; the pass that reaps them (all in one pass: fewer than its 128 events) is the one
# that had taken the listener out of its set, and nothing ran the next pass.
kill "$agent"
wait "$agent" 2>/dev/null
start_agent 128 # 64 connections at once
for round in 1 2 3; do
    crowd 100 0
    sleep 0.5
    crowd_release
    timed_status "round $round: after 100 connections to a server of 64 came and went"
done
curl -fsS -m 5 --unix-socket "$sock" http://tank/healthz >/dev/null || fail "healthz after the crowd"
kill -0 "$agent" || fail "the agent died"
pass

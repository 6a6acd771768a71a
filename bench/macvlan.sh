#!/bin/bash
# Macvlan pods benchmark (prints figures; asserts nothing): N pods (default 50), each with a
# macvlan on the agent's uplink and an IPv4 address (so an ARP probe), written at once; the
# time until all run, and the status API's slowest answer while they converge (the API is
# asked every 50 ms). With TANK_OLD=PATH the same runs for another tank binary in the same
# run, and the ratios are printed.
# Usage: bench/macvlan.sh [N]   (root; a test network namespace with a veth uplink, addresses
# from 198.51.100.0/24; everything removed afterwards)
set -u
cd "$(dirname "$0")/.."
N=${1:-50}
[ "$(id -u)" = 0 ] || { echo "bench/macvlan.sh: needs root" >&2; exit 1; }
[ "$N" -le 200 ] || { echo "bench/macvlan.sh: at most 200 pods" >&2; exit 1; }
[ -x ./tank ] || { echo "bench/macvlan.sh: build ./tank first" >&2; exit 1; }
[ -f build/oci/busybox/index.json ] || make -s demo-image >/dev/null
IMAGE="oci:$PWD/build/oci/busybox:latest"
T=$(mktemp -d /tmp/tank-bench.XXXXXX)
NS=tnkb$$
AGENT=
cleanup() {
    if [ -n "$AGENT" ]; then
        kill -TERM "$AGENT" 2>/dev/null
        wait "$AGENT" 2>/dev/null
    fi
    ip netns del $NS 2>/dev/null
    grep " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
    rm -rf "$T"
}
trap cleanup EXIT
ip netns add $NS || exit 1
ip -n $NS link add up0 type veth peer name peer0
ip -n $NS link set lo up
ip -n $NS link set up0 up
ip -n $NS link set peer0 up

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run_one BINARY LABEL: converge N pods, then remove them; prints "LABEL converge_ms api_max_ms"
run_one() {
    local bin=$1 label=$2 d=$T/$2
    mkdir -p "$d/pods" "$d/state" "$d/run" "$d/log"
    cat >"$d/tank.ini" <<EOC
[host]
uplink = up0
[agent]
pods_dir = $d/pods
state_dir = $d/state
run_dir = $d/run
log_dir = $d/log
socket = $d/tank.sock
EOC
    ip netns exec $NS "$bin" agent --config "$d/tank.ini" 2>"$d/agent.log" &
    AGENT=$!
    for _ in $(seq 100); do
        curl -fsS --unix-socket "$d/tank.sock" http://tank/healthz >/dev/null 2>&1 && break
        sleep 0.1
    done
    local t0 i
    t0=$(now_ms)
    for i in $(seq "$N"); do
        cat >"$d/pods/m$i.yaml" <<EOC
apiVersion: tank/v1
kind: Pod
metadata:
  name: m$i
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
  network:
    interfaces:
    - name: eth0
      macvlan: {mode: bridge}
      addresses: ["198.51.100.$i/24"]
EOC
    done
    local worst=0 a b running=0
    while [ $(($(now_ms) - t0)) -lt 300000 ]; do
        a=$(now_ms)
        running=$(curl -fsS --unix-socket "$d/tank.sock" http://tank/v1/pods |
            jq '[.pods[] | select(.phase == "Running")] | length')
        b=$(now_ms)
        [ $((b - a)) -gt "$worst" ] && worst=$((b - a))
        [ "$running" = "$N" ] && break
        sleep 0.05
    done
    local took=$(($(now_ms) - t0))
    [ "$running" = "$N" ] || echo "$label: only $running of $N pods ran" >&2
    rm -f "$d"/pods/*.yaml
    for _ in $(seq 600); do
        [ "$(curl -fsS --unix-socket "$d/tank.sock" http://tank/v1/pods | jq '.pods | length')" = 0 ] &&
            break
        sleep 0.1
    done
    kill -TERM "$AGENT" 2>/dev/null
    wait "$AGENT" 2>/dev/null
    AGENT=
    echo "$label $took $worst"
}

echo "$N macvlan pods (one IPv4 address each), all written at once"
new=$(run_one "$PWD/tank" tank)
read -r _ nt nw <<<"$new"
echo "tank:     all Running after $nt ms; slowest status answer meanwhile $nw ms"
if [ -n "${TANK_OLD:-}" ]; then
    old=$(run_one "$TANK_OLD" old)
    read -r _ ot ow <<<"$old"
    echo "old tank ($TANK_OLD): all Running after $ot ms; slowest status answer $ow ms"
    awk -v a="$nt" -v b="$ot" -v c="$nw" -v e="$ow" \
        'BEGIN { printf "tank/old: converge %.2f, slowest answer %.2f\n", a / b, (e ? c / e : 0) }'
fi

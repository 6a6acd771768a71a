#!/bin/bash
# make demo-stop: stop the demo's pods and agent (build/demo), then remove build/demo.
# The pods are stopped as the agent stops any pod: their manifests removed while an agent
# runs (the demo's own, or one started here in the background when it was stopped with ^C).
set -u
cd "$(dirname "$0")/.."
demo=$PWD/build/demo
cfg=$demo/tank.ini
[ -f "$cfg" ] || { echo "demo-stop: no demo in $demo"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "demo-stop: run as root" >&2; exit 1; }
tank() { ./tank --config "$cfg" "$@"; }
started=
if ! tank status >/dev/null 2>&1; then
    ./tank agent --config "$cfg" 2>>"$demo/agent-stop.log" &
    started=$!
    for _ in $(seq 100); do tank status >/dev/null 2>&1 && break; sleep 0.1; done
    tank status >/dev/null 2>&1 || {
        echo "demo-stop: the agent did not start (see $demo/agent-stop.log); nothing removed" >&2
        exit 1
    }
fi
# The pods the agent still has: 0 some, 1 none, 2 the agent does not answer (an empty answer
# from an agent that has gone is not "none": its pods may still run).
pods_left() {
    local out
    out=$(tank status -o name 2>&1) || {
        echo "demo-stop: the agent stopped answering: $out; nothing removed" >&2
        return 2
    }
    LEFT=$(tr '\n' ' ' <<<"$out")
    [ -n "$out" ]
}
rm -f "$demo"/pods/*.yaml
for _ in $(seq 600); do
    pods_left
    case $? in 1) break ;; 2) exit 1 ;; esac
    sleep 0.1
done
pods_left
case $? in
0) echo "demo-stop: pods still running after 60s: $LEFT" >&2; exit 1 ;;
2) exit 1 ;;
esac
pid=$(cat "$demo/run/agent.lock" 2>/dev/null)
[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
[ -n "$started" ] && wait "$started" 2>/dev/null
for _ in $(seq 100); do [ -e "$demo/tank.sock" ] || break; sleep 0.1; done
if grep -q " $demo/" /proc/self/mountinfo; then
    echo "demo-stop: mounts remain under $demo" >&2
    exit 1
fi
rm -rf "$demo"
echo "demo-stop: the demo's pods and agent are stopped, $demo removed"

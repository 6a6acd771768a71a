#!/bin/bash
# Graceful stop: a container that handles SIGTERM gets it (not SIGKILL) when its pod is
# deleted, and exits on its own well within terminationGracePeriodSeconds; one that ignores
# SIGTERM is killed when the grace period ends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run

# pid 1 of its PID namespace: only signals it handles reach it, as in Kubernetes.
put polite Always "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done" 300
put stubborn Always "trap '' TERM; while :; do sleep 0.1; done" 2
wait_phase 60 polite Running
wait_phase 60 stubborn Running
wait_for 20 sh -c "'$TANK' logs --config '$CFG' polite | grep -qx ready"
rm "$PODS/polite.yaml" "$PODS/stubborn.yaml"
# (the polite pod's grace period is 300 s: gone within 60 s means SIGTERM did it)
wait_gone 60 polite
ev=$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=polite" | jq -r '.events[] | select(.reason == "Exited") | .message')
grep -q "exited with code 0" <<<"$ev" || fail "polite container did not exit on SIGTERM: $ev"
wait_gone 60 stubborn
ev=$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=stubborn" | jq -r '.events[] | .reason + ": " + .message')
grep -q "grace period over" <<<"$ev" || fail "no kill after the grace period: $ev"
grep -q "killed by signal 9" <<<"$ev" || fail "stubborn container not killed: $ev"
pass

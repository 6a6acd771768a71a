#!/bin/bash
# `tank status -w` on a terminal (a tmux pane): the view is redrawn in place (the screen holds
# one table, however many redraws), a new pod shows up by itself, the AGE column keeps moving
# while nothing happens (as a terminal's view must stay current), and a pod's readiness,
# which changes without an event, shows at once (the agent wakes its watchers for it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed"
agent_setup
agent_start
skip_unless_containers_run
T="tmux -L tank-t3067-$$"
$T -f /dev/null new-session -d -s w -x 150 -y 30 \
    "'$TANK' status --config '$CFG' -w; echo EXITED \$?; sleep 600" || fail "tmux new-session"
at_exit "$T kill-server 2>/dev/null"
pane() { $T capture-pane -p -t w; }
wait_for 20 sh -c "$T capture-pane -p -t w | grep -q 'no pods'" || fail "first view: $(pane)"

# A pod that turns ready when /tmp/ready exists (checked every second).
cat >"$PODS/.web.tmp" <<EOM
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: $IMAGE
      command: [sh, -c, "exec sleep 100671"]
      readinessProbe:
        exec: {command: [test, -e, /tmp/ready]}
        periodSeconds: 1
        failureThreshold: 1
EOM
mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_for 30 sh -c "$T capture-pane -p -t w | grep -Eq '^web +0/1 +Running'" || fail "new pod: $(pane)"
[ "$(pane | grep -c '^NAME')" = 1 ] || fail "not redrawn in place: $(pane)"

# Ready: no event says so, the view shows it within a probe period or two.
"$TANK" exec --config "$CFG" web -- touch /tmp/ready || fail "exec touch"
wait_for 4 sh -c "$T capture-pane -p -t w | grep -Eq '^web +1/1 +Running'" ||
    fail "readiness not shown: $(pane)"

# Nothing happens: the age still moves on a terminal, and the view stays one table.
age() { pane | awk '$1 == "web" { print $5 }'; }
a1=$(age)
wait_for 15 sh -c "[ \"\$($T capture-pane -p -t w | awk '\$1 == \"web\" { print \$5 }')\" != '$a1' ]" ||
    fail "the age did not move: $(pane)"
[ "$(pane | grep -c '^NAME')" = 1 ] || fail "not redrawn in place: $(pane)"
pane | grep -q EXITED && fail "-w ended: $(pane)"
pass

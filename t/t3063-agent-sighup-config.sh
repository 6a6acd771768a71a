#!/bin/bash
# SIGHUP re-reads tank.ini as well as the pods: the keys that can change live take effect
# (here [logs] max_size for the next container), the others are logged as needing a
# restart and keep their values; an invalid file is logged and the running one stays.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
agent_setup
agent_start
skip_unless_containers_run
cp "$CFG" "$TMP/tank.ini.orig"

# hup: send SIGHUP and wait until the agent logged its reload (N-th "received SIGHUP").
hups=0
hup() {
    hups=$((hups + 1))
    kill -HUP "$AGENT_PID"
    wait_for 20 sh -c "[ \$(grep -c 'received SIGHUP' '$TMP/agent.log') -ge $hups ]"
    wait_for 20 grep -q "configuration\|reload configuration" "$TMP/agent.log"
}

{ cat "$TMP/tank.ini.orig"; printf '[logs]\nmax_size = 1Ki\n'; } >"$CFG"
sed -i 's/^resync_seconds = 30$/resync_seconds = 5/' "$CFG"
hup
wait_for 20 grep -q "configuration '$CFG' reloaded: \[logs\] max_size changed" "$TMP/agent.log"
grep -q "configuration '$CFG': \[agent\] resync_seconds changed: takes effect after a restart of the agent" \
    "$TMP/agent.log" || fail "no restart notice: $(cat "$TMP/agent.log")"
grep -q "reloaded: .*resync_seconds" "$TMP/agent.log" && fail "resync_seconds applied live"

# the new max_size is used by the next container
put chatty Never 'i=1; while [ $i -le 100 ]; do echo line $i; i=$((i+1)); done'
wait_for 60 sh -c "[ \"\$('$TANK' logs --config '$CFG' --tail 1 chatty 2>/dev/null)\" = 'line 100' ]"
[ -f "$TMP/log/chatty/main.log.1" ] || fail "max_size was not applied: $(ls -l "$TMP/log/chatty")"
[ "$(stat -c %s "$TMP/log/chatty/main.log")" -le 1024 ] || fail "main.log larger than 1Ki"

# an invalid file: logged, the agent goes on with what it has
printf '[logs]\nmax_files = 1\n' >>"$CFG"
: >"$TMP/agent.log"
hups=0
hup
wait_for 20 grep -q "reload configuration: $CFG:.*max_files: '1' is not a number of files (2 to 100) (the previous one stays)" \
    "$TMP/agent.log"
kill -0 "$AGENT_PID" || fail "the agent died"
curl -fsS --unix-socket "$SOCK" http://tank/healthz >/dev/null || fail "the API is gone"
pass

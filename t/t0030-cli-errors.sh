#!/bin/bash
# Errors that say what to do: no agent on the socket (missing, or stale), a socket the user
# may not open, `tank agent` as non-root, `tank logs` of a log the user cannot read.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds setpriv python3
chmod 0755 "$TMP"
mkdir -m 0755 "$TMP/run" "$TMP/logs"
printf '[agent]\nsocket = %s\nlog_dir = %s\nstate_dir = %s/state\n' "$TMP/run/tank.sock" \
    "$TMP/logs" "$TMP" >"$TMP/tank.ini"
chmod 0644 "$TMP/tank.ini"
tank() { "$TANK" --config "$TMP/tank.ini" "$@"; }
nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$TANK" --config "$TMP/tank.ini" "$@"; }
# check_err WANT CMD...: CMD exits 1 with exactly WANT on stderr.
check_err() {
    local want=$1; shift
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ "$rc" = 1 ] || fail "'$*' exited $rc, expected 1: $(cat "$TMP/err")"
    [ "$(cat "$TMP/err")" = "$want" ] || fail "'$*': expected '$want', got: $(cat "$TMP/err")"
}

no_agent="tank: no agent is listening on $TMP/run/tank.sock (is tank.service running? systemctl status tank)"
check_err "$no_agent" tank status
# a stale socket nobody listens on says the same
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$TMP/run/tank.sock"
check_err "$no_agent" tank status
rm -f "$TMP/run/tank.sock"

# a listening socket that is root's
python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen()
open(sys.argv[1] + ".ready", "w").close(); time.sleep(60)' "$TMP/run/tank.sock" &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
wait_for 10 test -e "$TMP/run/tank.sock.ready"
check_err "tank: the API socket $TMP/run/tank.sock is root's (mode 0600): run as root" nobody status
# a socket directory the user cannot enter
chmod 0700 "$TMP/run"
check_err "tank: the API socket $TMP/run/tank.sock is root's (mode 0700): run as root" nobody status
chmod 0755 "$TMP/run"

check_err "tank agent: must run as root (it creates namespaces, mounts and cgroups): sudo tank agent, or systemctl start tank" \
    nobody agent

# logs the user cannot read
mkdir -m 0700 "$TMP/logs/web"
printf '2026-01-01T00:00:00.000000000Z stdout F hello\n' >"$TMP/logs/web/app.log"
chmod 0600 "$TMP/logs/web/app.log"
[ "$(tank logs web)" = hello ] || fail "root cannot read the log"
check_err "tank logs: cannot read '$TMP/logs/web': Permission denied: run as root" nobody logs web
chmod 0755 "$TMP/logs/web"
check_err "tank logs: cannot read '$TMP/logs/web/app.log': Permission denied: run as root" \
    nobody logs web app
check_err "tank logs: no log for container 'db' of pod 'web'" nobody logs web db
pass

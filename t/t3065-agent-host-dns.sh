#!/bin/bash
# [host] dns empty: a pod's resolv.conf has the host's resolvers, the loopback stub
# (systemd-resolved's 127.0.0.53) replaced by the upstream list resolved keeps, with its
# search and options; an explicit [host] dns wins. The host's files come from the
# test-only environment (TANK_HOST_RESOLV_CONF, TANK_HOST_RESOLVED_CONF), never this
# machine's own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
printf 'nameserver 127.0.0.53\noptions edns0\nsearch stub.test\n' >"$TMP/resolv.conf"
printf 'nameserver 192.0.2.53\nnameserver 198.51.100.53\nsearch example.test\noptions ndots:3\n' \
    >"$TMP/resolved.conf"
export TANK_HOST_RESOLV_CONF=$TMP/resolv.conf TANK_HOST_RESOLVED_CONF=$TMP/resolved.conf
agent_setup
agent_start
skip_unless_containers_run

put dns Never "cat /etc/resolv.conf"
wait_for 60 sh -c "'$TANK' logs --config '$CFG' dns 2>/dev/null | grep -q nameserver"
"$TANK" logs --config "$CFG" dns | grep -v '^#' >"$TMP/got"
printf 'nameserver 192.0.2.53\nnameserver 198.51.100.53\nsearch example.test\noptions ndots:3\n' >"$TMP/want"
cmp -s "$TMP/got" "$TMP/want" || fail "resolv.conf: $(cat "$TMP/got")"

# an explicit [host] dns wins (read at the pod's start: SIGHUP applies it)
sed -i '/^\[agent\]$/i [host]\ndns = 192.0.2.1' "$CFG"
kill -HUP "$AGENT_PID"
wait_for 20 grep -q "\[host\] dns changed" "$TMP/agent.log"
put dns2 Never "cat /etc/resolv.conf"
wait_for 60 sh -c "'$TANK' logs --config '$CFG' dns2 2>/dev/null | grep -q nameserver"
[ "$("$TANK" logs --config "$CFG" dns2 | grep -v '^#')" = "nameserver 192.0.2.1" ] ||
    fail "explicit dns: $("$TANK" logs --config "$CFG" dns2)"
pass

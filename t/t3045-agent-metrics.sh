#!/bin/bash
# GET /metrics on the API socket and on metrics_listen (127.0.0.1): the Prometheus text
# format (checked by `promtool check metrics`, and by a strict parser here) with the agent's metrics: build and
# revision info, pods by phase, containers' restarts, state and readiness, pull and reconcile
# histograms, manifest errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
agent_setup
# [agent] metrics_listen: the same on TCP, bound to the given address only (the agent's own
# network namespace here, its loopback up).
NS=tank-t3045-$$
ip netns add $NS || skip "cannot create a network namespace"
at_exit "ip netns del $NS"
ip -n $NS link set lo up
ip -n $NS addr add 192.0.2.45/24 dev lo
AGENT_NETNS=/run/netns/$NS
PORT=$(free_port)
sed -i "s|^\[agent\]|[agent]\nmetrics_listen = 127.0.0.1:$PORT|" "$CFG"
put web Always "exec sleep 104501"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: []}\n' >"$PODS/bad.yaml"
agent_start
skip_unless_containers_run
wait_phase 60 web Running
m=$(curl -fsS --unix-socket "$SOCK" http://tank/metrics) || fail "GET /metrics"
ct=$(curl -fsS -o /dev/null -w '%{content_type}' --unix-socket "$SOCK" http://tank/metrics)
case $ct in "text/plain; version=0.0.4"*) ;; *) fail "content type '$ct'" ;; esac
python3 - "$m" <<'PY' || fail "not the Prometheus text format: $m"
import re, sys
text = sys.argv[1]
types, seen = {}, set()
name_re = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
sample = re.compile(r'^(%s)(\{(%s="(\\.|[^"\\])*")(,%s="(\\.|[^"\\])*")*\})? (-?[0-9.e+]+|\+Inf|NaN)$' % ((name_re,) + (r'[a-zA-Z_][a-zA-Z0-9_]*',) * 2))
buckets = {}
for line in text.rstrip('\n').split('\n'):
    if line.startswith('# TYPE '):
        _, _, n, t = line.split(' ', 3)
        assert n not in types, 'TYPE twice: ' + n
        assert t in ('counter', 'gauge', 'histogram'), line
        assert (t == 'counter') == n.endswith('_total'), 'counter naming: ' + line
        types[n] = t
        continue
    if line.startswith('# HELP '):
        continue
    m = sample.match(line)
    assert m, 'bad line: ' + line
    n = m.group(1)
    fam = re.sub(r'_(bucket|sum|count)$', '', n) if re.sub(r'_(bucket|sum|count)$', '', n) in types and types[re.sub(r'_(bucket|sum|count)$', '', n)] == 'histogram' else n
    assert fam in types, 'no TYPE before ' + line
    assert line not in seen, 'duplicate ' + line
    seen.add(line)
    if n.endswith('_bucket'):
        buckets.setdefault(fam, []).append(float(line.rsplit(' ', 1)[1]))
    if n.endswith('_count') and fam in buckets:
        b = buckets[fam]
        assert b == sorted(b) and b[-1] == float(line.rsplit(' ', 1)[1]), 'histogram ' + fam
PY
# promtool (Debian's prometheus, t/install-deps.sh): the format and Prometheus' naming rules.
PROMTOOL=$(command -v promtool)
promcheck() {
    [ -n "$PROMTOOL" ] || return 0
    out=$(promtool check metrics <<<"$1" 2>&1) || fail "promtool check metrics ($2): $out"$'\n'"$1"
}
promcheck "$m" "the API socket"
has() { grep -qxF "$1" <<<"$m" || fail "no '$1' in: $m"; }
grep -q '^tank_build_info{version="[^"]*"} 1$' <<<"$m" || fail "no build info: $m"
has 'tank_pods{phase="Running"} 1'
has 'tank_pods{phase="Pending"} 0'
has 'tank_container_state{pod="web",container="main",state="running"} 1'
has 'tank_container_state{pod="web",container="main",state="waiting"} 0'
has 'tank_container_restarts_total{pod="web",container="main"} 0'
has 'tank_container_ready{pod="web",container="main"} 1'
has 'tank_manifest_errors 1'
grep -q '^tank_reconcile_duration_seconds_count [1-9]' <<<"$m" || fail "no reconcile observed: $m"
grep -q '^tank_image_pull_duration_seconds_count [1-9]' <<<"$m" || fail "no pull observed: $m"
grep -q '^tank_sync_' <<<"$m" && fail "sync metrics without [sync]: $m"
tcp=$(ip netns exec $NS curl -fsS "http://127.0.0.1:$PORT/metrics") || fail "GET /metrics on TCP"
grep -qxF 'tank_pods{phase="Running"} 1' <<<"$tcp" || fail "TCP metrics: $tcp"
promcheck "$tcp" "metrics_listen"
[ "$(ip netns exec $NS curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v1/pods")" = 404 ] ||
    fail "the TCP listener serves more than /metrics"
ip netns exec $NS curl -fsS -m 2 "http://192.0.2.45:$PORT/metrics" >/dev/null 2>&1 &&
    fail "metrics_listen is bound to more than 127.0.0.1"
ip netns exec $NS ss -ltnH | grep -q "127.0.0.1:$PORT " || fail "no listener: $(ip netns exec $NS ss -ltn)"
rm -f "$PODS/bad.yaml"
[ -n "$PROMTOOL" ] || skip "promtool is not installed (Debian's prometheus, t/install-deps.sh): the rest passed"
pass

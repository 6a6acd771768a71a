#!/bin/bash
# The Kubernetes documentation's probe examples (t/fixtures/spec/valid/k8s-exec-liveness.yaml,
# k8s-http-liveness.yaml, k8s-tcp-liveness-readiness.yaml, as written there) run under the
# agent and behave as the documentation describes, with local busybox images in place of
# theirs and shorter times (the documentation's take a minute or more; terminationGracePeriod-
# Seconds 1 instead of the default 30, which a shell as pid 1 waits out):
# - exec-liveness: healthy while /tmp/healthy exists (sleep 30 -> 3 s; delay and period
#   5 -> 1 s), then "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or
#   directory" and the container is killed and restarted;
# - http-liveness: agnhost's "liveness" server (a busybox nc one here) answers /healthz with
#   200, then 500 (after 10 s there, 3 s here; delay and period 3 -> 1 s): "Liveness probe
#   failed: HTTP probe failed with statuscode: 500", restarted; the server got Custom-Header;
# - tcp-liveness-readiness: goproxy (busybox httpd on 8080 here) is not ready before the
#   readiness probe's initial delay (15 -> 2 s; period 10 -> 1 s), then ready, never restarted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
FIX=$TANK_SRC/t/fixtures/spec/valid
for f in k8s-exec-liveness.yaml k8s-http-liveness.yaml k8s-tcp-liveness-readiness.yaml; do
    "$TANK" validate "$FIX/$f" >"$TMP/v.out" 2>&1 || fail "$f does not validate: $(cat "$TMP/v.out")"
done
agent_setup
agent_start
skip_unless_containers_run

# The images: static busybox, agnhost's liveness server as a script, goproxy as httpd.
root=$TMP/img-root
mkdir -p "$root/bin" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$(command -v busybox)" "$root/bin/busybox" || fail "copy busybox"
for a in sh nc date cat printf sleep httpd; do ln -s busybox "$root/bin/$a"; done
cat >"$root/agnhost" <<'EOS'
#!/bin/sh
# agnhost liveness: /healthz answers 200 for the first seconds, then 500.
[ "$1" = liveness ] || { echo "usage: agnhost liveness" >&2; exit 2; }
date +%s >/tmp/started
echo "Started HTTP server on port 8080"
exec nc -ll -p 8080 -e /healthz
EOS
cat >"$root/healthz" <<'EOS'
#!/bin/sh
cr=$(printf '\r')
while read -r line; do
    line=${line%"$cr"}
    [ -z "$line" ] && break
    case $line in Custom-Header:*) echo "got $line" >&2 ;; esac
done
if [ $(($(date +%s) - $(cat /tmp/started))) -lt 3 ]; then
    printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'
else
    printf 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\nerror'
fi
EOS
chmod 755 "$root/agnhost" "$root/healthz"
tar -C "$root" -cf "$TMP/img.tar" . || fail "tar"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/agnhost" latest --entrypoint '["/agnhost"]' "$TMP/img.tar" >/dev/null ||
    fail "mklayout agnhost"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/goproxy" latest \
    --entrypoint '["/bin/httpd", "-f", "-p", "8080", "-h", "/tmp"]' "$TMP/img.tar" >/dev/null ||
    fail "mklayout goproxy"

run_fixture() { # FILE IMAGE SED: the documentation's file, its image and times replaced (and a
    # grace period of 1 s: sh as pid 1 ignores SIGTERM, so a kill takes the default 30 s)
    sed -E "s|^( *-? *)image: .*|\1image: \"$2\"|; s|^spec:$|spec:\n  terminationGracePeriodSeconds: 1|; $3" \
        "$FIX/$1" >"$PODS/.$1.tmp" || fail "copy $1"
    mv "$PODS/.$1.tmp" "$PODS/$1"
}
run_fixture k8s-exec-liveness.yaml "$IMAGE" \
    's/sleep 30/sleep 3/; s/initialDelaySeconds: 5/initialDelaySeconds: 1/; s/periodSeconds: 5/periodSeconds: 1/'
run_fixture k8s-http-liveness.yaml "oci:$TMP/agnhost:latest" \
    's/initialDelaySeconds: 3/initialDelaySeconds: 1/; s/periodSeconds: 3/periodSeconds: 1/'
run_fixture k8s-tcp-liveness-readiness.yaml "oci:$TMP/goproxy:latest" \
    's/initialDelaySeconds: 15/initialDelaySeconds: 2/; s/periodSeconds: 10/periodSeconds: 1/'
events() { curl -fsS --unix-socket "$SOCK" http://tank/v1/events 2>/dev/null |
    jq -r --arg p "$1" '.events[] | select(.pod == $p) | "\(.reason): \(.message)"'; }

wait_jq 60 '[.pods[] | select(.name == "liveness-exec" or .name == "liveness-http" or .name == "goproxy") | .containers[0].state == "running"] | length == 3 and all' ||
    fail "not all running: $(pods_json | jq -c '[.pods[] | {name, message, c: .containers[0].state}]')"
t0=$SECONDS

# goproxy: not ready within its readiness probe's initial delay, ready after it.
[ "$(ctr_jq goproxy goproxy .ready)" = false ] || fail "goproxy ready before the initial delay"
wait_jq 10 '.pods[] | select(.name == "goproxy") | .containers[0].ready' ||
    fail "goproxy never ready: $(pod_jq goproxy .) $(events goproxy)"

# exec: healthy at first (no failure while /tmp/healthy exists), then killed and restarted.
[ "$(ctr_jq liveness-exec liveness .restarts)" = 0 ] || fail "liveness-exec restarted early"
events liveness-exec | grep -q Unhealthy && [ $((SECONDS - t0)) -lt 2 ] &&
    fail "liveness-exec unhealthy while /tmp/healthy exists: $(events liveness-exec)"
wait_jq 30 '.pods[] | select(.name == "liveness-exec") | .containers[0].restarts >= 1' ||
    fail "liveness-exec not restarted: $(pod_jq liveness-exec .containers) $(events liveness-exec)"
events liveness-exec | grep -q "^Unhealthy: Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory$" ||
    fail "liveness-exec events: $(events liveness-exec)"
events liveness-exec | grep -q "^Killing: Container liveness failed liveness probe, will be restarted$" ||
    fail "liveness-exec: no Killing event: $(events liveness-exec)"

# http: 200 first, then 500: restarted; the probe's header reached the server.
wait_jq 30 '.pods[] | select(.name == "liveness-http") | .containers[0].restarts >= 1' ||
    fail "liveness-http not restarted: $(pod_jq liveness-http .containers) $(events liveness-http)"
events liveness-http | grep -q "^Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500$" ||
    fail "liveness-http events: $(events liveness-http)"
"$TANK" logs --config "$CFG" -p liveness-http 2>&1 | grep -q "got Custom-Header: Awesome" ||
    fail "the header did not reach the server: $("$TANK" logs --config "$CFG" -p liveness-http 2>&1 | tail -3)"

# goproxy stayed healthy all along.
[ "$(ctr_jq goproxy goproxy .restarts)" = 0 ] || fail "goproxy restarted: $(events goproxy)"
events goproxy | grep -q "Liveness probe failed" && fail "goproxy liveness failed: $(events goproxy)"
pass

#!/bin/bash
# The Kubernetes documentation's init-containers (myapp.yaml) and lifecycle-events examples,
# as written (t/fixtures/spec/valid), run under the agent with local images, and behave as the
# documentation tells:
# - myapp-pod stays Init:0/2 while myservice cannot be looked up, init-myservice's log says
#   "waiting for myservice"; once "the Service exists" (a test DNS server in the pod's network
#   namespace answers for it, and the namespace file a cluster mounts is written) it is
#   Init:1/2, then Running with "The app is running!" in the app's log;
# - lifecycle-demo's postStart writes /usr/share/message ("Hello from the postStart
#   handler", read with tank exec as with kubectl exec), and its preStop makes nginx quit
#   gracefully (nginx -s quit) before any stop signal: the pod goes well within its grace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds cc python3
agent_setup
# The pods' DNS: a server of the test's own inside each pod's network namespace.
printf '[host]\ndns = 127.0.0.1\n' >>"$CFG"
agent_start
skip_unless_containers_run
FIX=$TANK_SRC/t/fixtures/spec/valid

run_fixture() { # FILE IMAGE: the documentation's file, its images replaced by a local one
    sed -E "s|^( *-? *)image: .*|\1image: \"$2\"|" "$FIX/$1" >"$PODS/.$1.tmp" || fail "copy $1"
    mv "$PODS/.$1.tmp" "$PODS/$1"
}

# A stand-in nginx: runs until SIGQUIT (a graceful quit: exit code 0; SIGTERM: 3), which
# "nginx -s quit" sends it; the image has /usr/share as nginx's has.
cat >"$TMP/nginx.c" <<'EOC'
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static volatile sig_atomic_t quit, term;
static void on_quit(int s) { quit = 1; }
static void on_term(int s) { term = 1; }
int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "-s") && !strcmp(argv[2], "quit")) {
        FILE *f = fopen("/run/nginx.pid", "r");
        int pid = 0;
        if (!f || fscanf(f, "%d", &pid) != 1)
            return 1;
        return kill(pid, SIGQUIT) ? 1 : 0;
    }
    FILE *f = fopen("/run/nginx.pid", "w");
    if (!f)
        return 1;
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    signal(SIGQUIT, on_quit);
    signal(SIGTERM, on_term);
    printf("nginx: ready\n");
    fflush(stdout);
    while (!quit && !term)
        pause();
    printf("nginx: %s\n", quit ? "graceful quit" : "terminated by SIGTERM");
    return quit ? 0 : 3;
}
EOC
cc -static -Os -s -o "$TMP/nginx" "$TMP/nginx.c" || skip "cannot build a static program"
"$TANK" unpack --config "$CFG" "$IMAGE" "$TMP/standin" >/dev/null 2>&1 || fail "unpack the image"
mkdir -p "$TMP/standin/usr/sbin" "$TMP/standin/usr/share" "$TMP/standin/run"
cp "$TMP/nginx" "$TMP/standin/usr/sbin/nginx"
tar -C "$TMP/standin" -cf "$TMP/standin.tar" . || fail "tar"
python3 "$TANK_SRC/t/mklayout.py" "$TMP/nginx-oci" latest --cmd '["nginx"]' \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "$TMP/standin.tar" >/dev/null || fail "mklayout"

# The DNS server: answers for the names listed in $TMP/services.
cat >"$TMP/dns.py" <<'EOP'
import socket, struct, sys
names_file = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    name = ".".join(labels)
    try:
        known = {l.strip() for l in open(names_file) if l.strip()}
    except OSError:
        known = set()
    found = any(name == k or name.startswith(k + ".") for k in known)
    ans = b""
    if found and qtype == 1:
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.10")
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180 if found else 0x8183, 1, 1 if ans else 0, 0, 0)
    s.sendto(hdr + q[12:i + 5] + ans, peer)
EOP
: >"$TMP/services"

run_fixture k8s-init-containers.yaml "$IMAGE"
run_fixture k8s-lifecycle-events.yaml "oci:$TMP/nginx-oci:latest"

# myapp-pod: Init:0/2 while myservice is unknown; its init container says so.
wait_for 60 sh -c "\"$TANK\" logs --config '$CFG' myapp-pod init-myservice 2>/dev/null | grep -q 'waiting for myservice'" ||
    fail "init-myservice: $("$TANK" logs --config "$CFG" myapp-pod init-myservice 2>&1 | tail -3)"
"$TANK" status --config "$CFG" | awk '$1 == "myapp-pod" {print $2, $3}' | grep -qx "0/1 Init:0/2" ||
    fail "myapp-pod status: $("$TANK" status --config "$CFG")"
[ "$(ctr_jq myapp-pod myapp-container .state)" = waiting ] || fail "the app started before its init containers"
ns=$TMP/run/pods/myapp-pod/ns/net
[ -e "$ns" ] || fail "no network namespace at $ns"
nsenter --net="$ns" python3 "$TMP/dns.py" "$TMP/services" &
DNS_PID=$!
at_exit "kill $DNS_PID 2>/dev/null"
# "kubectl create -f services.yaml": myservice, then mydb; what a cluster mounts (the
# namespace file) written into each init container as its turn comes.
nsfile=/var/run/secrets/kubernetes.io/serviceaccount
echo myservice.default.svc.cluster.local >>"$TMP/services"
"$TANK" exec --config "$CFG" myapp-pod -c init-myservice -- sh -c "mkdir -p $nsfile && echo default >$nsfile/namespace" ||
    fail "exec into init-myservice"
wait_jq 30 '.pods[] | select(.name == "myapp-pod") | .reason == "Init:1/2"' ||
    fail "myapp-pod after myservice: $(pod_jq myapp-pod '[.reason, .initContainers]')"
[ "$(ctr_jq myapp-pod myapp-container .state)" = waiting ] || fail "the app started before init-mydb"
echo mydb.default.svc.cluster.local >>"$TMP/services"
wait_for 30 "$TANK" exec --config "$CFG" myapp-pod -c init-mydb -- sh -c "mkdir -p $nsfile && echo default >$nsfile/namespace" ||
    fail "exec into init-mydb"
wait_phase 30 myapp-pod Running || fail "myapp-pod: $(pod_jq myapp-pod '[.phase, .reason]')"
wait_for 10 sh -c "\"$TANK\" logs --config '$CFG' myapp-pod myapp-container | grep -qx 'The app is running!'" ||
    fail "app log: $("$TANK" logs --config "$CFG" myapp-pod myapp-container 2>&1)"
[ "$(pod_jq myapp-pod '[.initContainers[] | .state + " " + .reason] | join(",")')" = "terminated Completed,terminated Completed" ] ||
    fail "init containers: $(pod_jq myapp-pod .initContainers)"

# lifecycle-demo: the postStart handler's message; the preStop quits nginx gracefully.
wait_jq 60 '.pods[] | select(.name == "lifecycle-demo") | .containers[0].state == "running"' ||
    fail "lifecycle-demo: $(pod_jq lifecycle-demo .)"
[ "$("$TANK" exec --config "$CFG" lifecycle-demo -- cat /usr/share/message)" = "Hello from the postStart handler" ] ||
    fail "postStart: $("$TANK" exec --config "$CFG" lifecycle-demo -- cat /usr/share/message 2>&1)"
t0=$SECONDS
rm -f "$PODS/k8s-lifecycle-events.yaml"
wait_gone 40 lifecycle-demo || fail "lifecycle-demo not gone"
[ $((SECONDS - t0)) -lt 15 ] || fail "lifecycle-demo took $((SECONDS - t0)) s to stop"
ev=$(curl -fsS --unix-socket "$SOCK" "http://tank/v1/events?pod=lifecycle-demo")
echo "$ev" | grep -q "container 'lifecycle-demo-container' exited with code 0" ||
    fail "nginx did not quit gracefully: $(echo "$ev" | grep -i exited)"
# (its sh, PID 1 of its container, ignores SIGTERM: the 30 s grace period is not waited for)
apid=$(ctr_jq myapp-pod myapp-container .pid)
rm -f "$PODS/k8s-init-containers.yaml"
wait_jq 10 '.pods[] | select(.name == "myapp-pod") | .phase == "Terminating"' || fail "myapp-pod not stopping"
kill -9 "$apid"
wait_gone 30 myapp-pod || fail "myapp-pod not gone"
pass

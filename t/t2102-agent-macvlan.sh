#!/bin/bash
# End to end through the agent: a tank/v1 pod with a macvlan on the configured uplink (in a
# test namespace, where the agent runs) serves HTTP from a busybox container to a client
# namespace; its IP and MAC survive a container restart; a restarted agent adopts it; deleting
# the manifest leaves no link, mount or pod directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
for c in ip nsenter busybox timeout; do command -v $c >/dev/null || skip "$c is not installed"; done

U=tkup$$ C=tkcl$$
ip netns add $U || fail "ip netns add $U"
at_exit "ip netns del $U"
ip netns add $C || fail "ip netns add $C"
at_exit "ip netns del $C"
ip -n $U link add up0 type veth peer name cl0 || fail "create the veth pair"
ip -n $U link set cl0 netns $C
ip -n $U link set up0 up
ip -n $C link set lo up
ip -n $C link set cl0 up
ip -n $C addr add 192.0.2.1/24 dev cl0

agent_setup
printf '[host]\nuplink = up0\ndns = 192.0.2.53\n' >>"$CFG"
# The agent runs in the uplink's namespace (only the network namespace: its mounts stay
# visible here).
nsenter --net=/run/netns/$U "$TANK" agent --config "$CFG" 2>>"$TMP/agent.log" &
AGENT_PID=$!
wait_for 20 curl -fsS --unix-socket "$SOCK" http://tank/healthz
skip_unless_containers_run

mkdir -p "$TMP/www" && echo "served by tank" >"$TMP/www/index.html"
cat >"$PODS/.web.tmp" <<EOC
apiVersion: tank/v1
kind: Pod
metadata:
  name: web
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 2
  containers:
  - name: httpd
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
    volumeMounts:
    - name: www
      mountPath: /www
      readOnly: true
  volumes:
  - name: www
    hostPath:
      path: $TMP/www
      type: Directory
  network:
    interfaces:
    - name: eth0
      macvlan:
        mode: bridge
      addresses: ["192.0.2.10/24"]
      gateway: 192.0.2.1
EOC
mv "$PODS/.web.tmp" "$PODS/web.yaml"
wait_jq 60 '.pods[] | select(.name == "web") | .phase == "Running" and .containers[0].state == "running"'

get() { ip netns exec $C timeout 5 busybox wget -q -O- http://192.0.2.10/ 2>/dev/null; }
wait_for 20 get
[ "$(get)" = "served by tank" ] || fail "wrong answer: $(get)"
NS=$TMP/run/pods/web/ns/net
mac=$(nsenter --net=$NS ip -o link show eth0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
[ "$mac" = "$("$TANK_SRC/t/podctl" mac web eth0)" ] || fail "eth0 mac $mac is not the derived one"
grep -q "^nameserver 192.0.2.53$" "$TMP/run/pods/web/etc/resolv.conf" || fail "resolv.conf: $(cat "$TMP/run/pods/web/etc/resolv.conf")"
[ "$(ip -n $U -o link show | wc -l)" = 2 ] || fail "links on the uplink side: $(ip -n $U -o link show)"

# The container dies and is restarted: same namespace, same address and MAC.
pid=$(ctr_jq web httpd .pid)
kill -9 "$pid"
wait_jq 60 '.pods[] | select(.name == "web") | .containers[0].state == "running" and .containers[0].restarts >= 1'
wait_for 20 get
mac2=$(nsenter --net=$NS ip -o link show eth0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
[ "$mac2" = "$mac" ] || fail "mac changed across a container restart: $mac2 vs $mac"

# The agent dies (kill -9) and comes back: it adopts the pod, whose network namespace and
# interface are the same ones, still answering.
ino=$(stat -L -c %i $NS)
agent_kill9
get >/dev/null || fail "the pod stopped answering when the agent died"
nsenter --net=/run/netns/$U "$TANK" agent --config "$CFG" 2>>"$TMP/agent.log" &
AGENT_PID=$!
wait_for 20 curl -fsS --unix-socket "$SOCK" http://tank/healthz
wait_jq 60 '.pods[] | select(.name == "web") | .phase == "Running" and .containers[0].state == "running"'
[ "$(stat -L -c %i $NS)" = "$ino" ] || fail "the pod's netns was re-created by the restarted agent"
[ "$(get)" = "served by tank" ] || fail "no answer after the agent restart"

# Deleting the manifest removes the pod and everything of its network.
rm "$PODS/web.yaml"
wait_gone 60 web
wait_for 10 test ! -e "$TMP/run/pods/web"
[ "$(ip -n $U -o link show | wc -l)" = 2 ] || fail "links left on the uplink side: $(ip -n $U -o link show)"
grep -q " $TMP/run/pods/web" /proc/self/mountinfo && fail "mounts left: $(grep " $TMP/run/pods/web" /proc/self/mountinfo)"
get && fail "192.0.2.10 still answers after the pod was deleted"
pass

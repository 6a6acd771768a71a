#!/bin/bash
# A tank/v1 pod with a macvlan interface, end to end through the agent: the agent runs in a
# test namespace whose uplink is one end of a veth pair; the other end sits in a client
# namespace. The pod's address shows in the status and its web server answers the client.
# Addresses from 192.0.2.0/24 only; nothing is created in the root namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
for c in ip nsenter; do command -v $c >/dev/null || skip "$c is not installed"; done
A=tnka$$
C=tnkc$$
ip netns add $A || skip "cannot create network namespaces"
at_exit "ip netns del $A"
ip netns add $C || fail "ip netns add $C"
at_exit "ip netns del $C"
ip -n $A link add up0 type veth peer name cl0 netns $C || fail "veth"
ip -n $A link set lo up
ip -n $A link set up0 up
ip -n $C link set lo up
ip -n $C addr add 192.0.2.1/24 dev cl0
ip -n $C link set cl0 up

agent_setup
sed -i "s|^\[agent\]|[host]\nuplink = up0\n[agent]|" "$CFG"
AGENT_NETNS=/run/netns/$A
agent_start
skip_unless_containers_run

mkdir -p "$TMP/www"
echo "hello from a macvlan pod" >"$TMP/www/index.html"
cat >"$PODS/web.yaml" <<EOC
apiVersion: tank/v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    volumeMounts:
    - {name: www, mountPath: /www, readOnly: true}
  volumes:
  - name: www
    hostPath: {path: $TMP/www, type: Directory}
  network:
    interfaces:
    - name: eth0
      macvlan: {mode: bridge}
      addresses: ["192.0.2.10/24"]
      gateway: 192.0.2.1
EOC
wait_phase 60 web Running
[ "$(pod_jq web '.ips | join(",")')" = 192.0.2.10 ] || fail "ips: $(pod_jq web .ips)"
"$TANK" status --config "$CFG" | grep -Eq '^web +1/1 +Running +0 +[0-9a-z]+ +192\.0\.2\.10$' ||
    fail "table: $("$TANK" status --config "$CFG")"
wait_for 30 ip netns exec $C curl -fsS -o /dev/null http://192.0.2.10:8080/
[ "$(ip netns exec $C curl -fsS http://192.0.2.10:8080/)" = "hello from a macvlan pod" ] ||
    fail "the pod's web server did not answer"

# Removing the pod removes its interface: the address no longer answers.
# A pod asking for an address another host already uses (the client's) is refused with a
# clear error, found by the ARP probe; the running pod is left alone.
cat >"$PODS/clash.yaml" <<EOC
apiVersion: tank/v1
kind: Pod
metadata:
  name: clash
spec:
  containers:
  - {name: c, image: $IMAGE, imagePullPolicy: IfNotPresent, command: ["sleep", "600"]}
  network:
    interfaces:
    - {name: eth0, macvlan: {mode: bridge}, addresses: ["192.0.2.1/24"]}
EOC
wait_jq 60 '.pods[] | select(.name == "clash") | .message // "" | test("192.0.2.1.* already in use")'
[ "$(pod_phase clash)" != Running ] || fail "the clashing pod runs"
[ "$(ip netns exec $C curl -fsS http://192.0.2.10:8080/)" = "hello from a macvlan pod" ] ||
    fail "the web pod stopped answering after the clash"
rm "$PODS/clash.yaml"
wait_gone 60 clash

rm "$PODS/web.yaml"
wait_gone 60 web
ip netns exec $C curl -fsS -m 2 -o /dev/null http://192.0.2.10:8080/ 2>/dev/null &&
    fail "the removed pod still answers"
[ "$(ip -n $A -o link show type macvlan | wc -l)" = 0 ] || fail "macvlan left: $(ip -n $A -o link show type macvlan)"
pass

#!/bin/bash
# Pod network: a macvlan on an uplink that lives in a test namespace answers HTTP from a
# client namespace; its MAC is stable across re-creation; gratuitous ARP and unsolicited NA
# update the client's neighbour cache; a missing uplink, an address in use (ARP probe) and an
# address given twice are clear errors that leave nothing behind; destroy leaves no link,
# mount, namespace or process.
. "$(dirname "$0")/lib.sh"
need_root
PODCTL=$TANK_SRC/t/podctl
[ -x "$PODCTL" ] || fail "t/podctl is not built (make t/podctl)"
for c in ip nsenter busybox timeout; do command -v $c >/dev/null || skip "$c is not installed"; done
unshare -n true 2>/dev/null || skip "cannot create network namespaces here"

U=tkup$$ C=tkcl$$
RUN=$TMP/run STATE=$TMP/state
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
ip -n $C addr add 2001:db8::1/64 dev cl0 nodad
destroy_all() { local p; for p in $($PODCTL list $RUN $STATE 2>/dev/null); do $PODCTL destroy $RUN $STATE $p; done; }
at_exit destroy_all

uplink_links() { ip -n $U -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
[ "$(uplink_links)" = "lo up0 " ] || fail "unexpected links before the test: $(uplink_links)"

# Stale entries the announcements must override.
ip -n $C neigh replace 192.0.2.10 lladdr 02:00:00:00:00:01 dev cl0 nud stale
ip -n $C neigh replace 2001:db8::10 lladdr 02:00:00:00:00:01 dev cl0 nud stale

create_web() {
    $PODCTL create $RUN $STATE web --uplink-netns /run/netns/$U \
        --iface eth0:up0:bridge --addr 192.0.2.10/24 --addr 2001:db8::10/64 \
        --gw 192.0.2.1 --gw 2001:db8::1
}
create_web || fail "create pod 'web'"
NS=$RUN/pods/web/ns/net
pod_mac() { nsenter --net=$NS ip -o link show eth0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p'; }
want_mac=$($PODCTL mac web eth0)
mac=$(pod_mac)
[ "$mac" = "$want_mac" ] || fail "eth0 has mac $mac, expected the derived $want_mac"
case $mac in ?[26ae]:*) ;; *) fail "mac $mac is not locally administered unicast" ;; esac
nsenter --net=$NS ip -o addr show dev eth0 | grep -q 'inet 192.0.2.10/24' || fail "no IPv4 address"
nsenter --net=$NS ip -o addr show dev eth0 | grep -q 'inet6 2001:db8::10/64' || fail "no IPv6 address"
nsenter --net=$NS ip route show default | grep -q 'via 192.0.2.1 dev eth0' || fail "no IPv4 default route"
nsenter --net=$NS ip -6 route show default | grep -q 'via 2001:db8::1 dev eth0' || fail "no IPv6 default route"
nsenter --net=$NS ip -o link show lo | grep -q 'UP' || fail "lo is not up in the pod"
grep -q "^192.0.2.10	web\$" $RUN/pods/web/etc/hosts || fail "hosts does not map web to 192.0.2.10: $(cat $RUN/pods/web/etc/hosts)"
[ "$(uplink_links)" = "lo up0 " ] || fail "links left in the uplink namespace: $(uplink_links)"

# The announcements replaced the stale neighbour entries.
wait_for 10 sh -c "ip -n $C neigh show 192.0.2.10 dev cl0 | grep -q '$mac'"
wait_for 10 sh -c "ip -n $C neigh show 2001:db8::10 dev cl0 | grep -q '$mac'"

# A web server in the pod's network namespace answers the client, over IPv4 and IPv6.
mkdir -p $TMP/www && echo "hello from pod web" >$TMP/www/index.html
nsenter --net=$NS busybox httpd -f -p 80 -h $TMP/www &
HTTPD=$!
at_exit "kill $HTTPD 2>/dev/null; wait $HTTPD 2>/dev/null"
get() { ip netns exec $C timeout 5 busybox wget -q -O- "$1" 2>/dev/null; }
wait_for 10 get http://192.0.2.10/
[ "$(get http://192.0.2.10/)" = "hello from pod web" ] || fail "wrong answer over IPv4"
[ "$(get 'http://[2001:db8::10]/')" = "hello from pod web" ] || fail "wrong answer over IPv6"
kill $HTTPD; wait $HTTPD 2>/dev/null

# Destroy leaves nothing: links, mounts, the namespace, the pod's directories. With no
# process left in it (checked while its inode number is surely the pod's: other tests may
# reuse a freed one), the pod's netns is freed once its mount is gone.
ino=$(stat -L -c %i $NS)
for p in /proc/[0-9]*; do
    [ "$(readlink $p/ns/net 2>/dev/null)" = "net:[$ino]" ] && fail "process ${p#/proc/} is still in the pod's netns"
done
$PODCTL destroy $RUN $STATE web || fail "destroy pod 'web'"
[ "$(uplink_links)" = "lo up0 " ] || fail "links left after destroy: $(uplink_links)"
grep -q "$RUN" /proc/self/mountinfo && fail "mounts left after destroy: $(grep "$RUN" /proc/self/mountinfo)"
[ -z "$(ls -A $RUN/pods)" ] || fail "run dir entries left: $(ls -A $RUN/pods)"
[ "$($PODCTL check $RUN web)" = absent ] || fail "pod still reported present"
[ -z "$($PODCTL list $RUN $STATE)" ] || fail "pods still listed: $($PODCTL list $RUN $STATE)"

# Re-created at once, the pod gets the same MAC (and the address is usable again).
create_web || fail "re-create pod 'web'"
mac2=$(pod_mac)
[ "$mac2" = "$mac" ] || fail "re-created pod has mac $mac2, first had $mac"
$PODCTL destroy $RUN $STATE web || fail "destroy pod 'web' again"

# A missing uplink: a clear error, nothing left behind.
out=$($PODCTL create $RUN $STATE web --uplink-netns /run/netns/$U --iface eth0:eth9 \
    --addr 192.0.2.10/24 2>&1) && fail "create with a missing uplink succeeded"
case $out in *"uplink 'eth9' not found"*) ;; *) fail "unexpected error: $out" ;; esac
[ -z "$(ls -A $RUN/pods)" ] || fail "run dir entries left after the failure: $(ls -A $RUN/pods)"
grep -q "$RUN" /proc/self/mountinfo && fail "mounts left after the failure"
[ "$(uplink_links)" = "lo up0 " ] || fail "links left after the failure: $(uplink_links)"

# Every macvlan mode; passthru needs an uplink of its own (up1).
ip -n $U link add up1 type veth peer name cl1 || fail "create the second veth pair"
ip -n $U link set cl1 netns $C
ip -n $U link set up1 up
for m in bridge private vepa passthru; do
    up=up0; [ $m = passthru ] && up=up1
    $PODCTL create $RUN $STATE m$m --uplink-netns /run/netns/$U --iface net1:$up:$m \
        --addr 198.51.100.10/24 || fail "create a pod with a $m macvlan"
    nsenter --net=$RUN/pods/m$m/ns/net ip -d -o link show net1 | grep -q "macvlan mode $m " ||
        fail "net1 is not in mode $m: $(nsenter --net=$RUN/pods/m$m/ns/net ip -d -o link show net1)"
    $PODCTL destroy $RUN $STATE m$m || fail "destroy pod m$m"
done
$PODCTL create $RUN $STATE web --uplink-netns /run/netns/$U --iface eth0:up0 || fail "create web"
out=$($PODCTL create $RUN $STATE mpassthru --uplink-netns /run/netns/$U --iface net1:up0:passthru 2>&1) &&
    fail "passthru on a shared uplink succeeded"
case $out in *"mode passthru needs an uplink no other macvlan uses"*) ;; *) fail "unexpected error: $out" ;; esac
$PODCTL destroy $RUN $STATE web || fail "destroy web"
[ "$(uplink_links)" = "lo up0 up1 " ] || fail "links left after the modes: $(uplink_links)"
ip -n $U link del up1

# A pod whose macvlan died with its uplink is reported damaged, and still destroyed cleanly.
ip -n $U link add up1 type veth peer name cl1 || fail "create the veth pair up1"
$PODCTL create $RUN $STATE flap --uplink-netns /run/netns/$U --iface net1:up1 \
    --addr 198.51.100.10/24 || fail "create pod 'flap'"
[ "$($PODCTL check $RUN flap)" = present ] || fail "pod 'flap' not reported present"
ip -n $U link del up1
out=$($PODCTL check $RUN flap) && fail "a pod without its interface is reported sound: $out"
[ "$out" = "pod 'flap': interface 'net1' is gone" ] || fail "unexpected check result: $out"
$PODCTL destroy $RUN $STATE flap || fail "destroy pod 'flap'"
[ "$($PODCTL check $RUN flap)" = absent ] || fail "pod 'flap' still present"

# Address conflicts, found by an ARP probe: with the client, and with another pod.
out=$($PODCTL create $RUN $STATE other --uplink-netns /run/netns/$U --iface eth0:up0 \
    --addr 192.0.2.1/24 --probe-ms 2000 2>&1) && fail "create with the client's address succeeded"
climac=$(ip -n $C -o link show cl0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
case $out in *"address '192.0.2.1' is already in use by $climac"*) ;; *) fail "unexpected error: $out" ;; esac
create_web || fail "create pod 'web' for the conflict"
out=$($PODCTL create $RUN $STATE other --uplink-netns /run/netns/$U --iface eth0:up0 \
    --addr 192.0.2.10/24 --probe-ms 2000 2>&1) && fail "create with pod web's address succeeded"
case $out in *"address '192.0.2.10' is already in use by $mac"*) ;; *) fail "unexpected error: $out" ;; esac
$PODCTL create $RUN $STATE other --uplink-netns /run/netns/$U --iface eth0:up0 \
    --addr 192.0.2.11/24 --probe-ms 100 || fail "create with a free address and a probe"
[ "$($PODCTL list $RUN $STATE | tr '\n' ' ')" = "other web " ] || fail "pods: $($PODCTL list $RUN $STATE)"
$PODCTL destroy $RUN $STATE other || fail "destroy pod 'other'"
$PODCTL destroy $RUN $STATE web || fail "destroy pod 'web'"

# The same address twice on an interface: the kernel's EEXIST as a clear error.
out=$($PODCTL create $RUN $STATE web --uplink-netns /run/netns/$U --iface eth0:up0 \
    --addr 192.0.2.10/24 --addr 192.0.2.10/24 2>&1) && fail "create with a duplicate address succeeded"
case $out in *"add address '192.0.2.10/24': address already assigned"*) ;; *) fail "unexpected error: $out" ;; esac
[ -z "$(ls -A $RUN/pods)" ] || fail "run dir entries left after the failure"
[ "$(uplink_links)" = "lo up0 " ] || fail "links left after the failure: $(uplink_links)"
pass

#!/bin/bash
# A layer transfer cut in the middle is fetched again by a fresh worker; the pull succeeds
# and the layer is complete.
. "$(dirname "$0")/lib.sh"
need_root
need_cmds skopeo python3
T=$TANK_SRC/t
start_registry
python3 "$T/cutproxy.py" "$REGISTRY" "$TMP/proxy.port" "$TMP/proxy.log" &
proxy=$!
at_exit "kill $proxy 2>/dev/null; wait $proxy 2>/dev/null"
wait_for 20 test -s "$TMP/proxy.port"
PROXY=127.0.0.1:$(cat "$TMP/proxy.port")
store_config "[registry]" "insecure = $PROXY"
mkdir -p "$TMP/rootfs/data"
head -c $((2 << 20)) /dev/urandom >"$TMP/rootfs/data/blob"
tar -C "$TMP/rootfs" -cf "$TMP/layer.tar" data
"$T/mklayout.py" "$TMP/oci" x --cmd '["sh"]' "$TMP/layer.tar" || fail "mklayout"
skopeo copy -q --dest-tls-verify=false "oci:$TMP/oci:x" "docker://$REGISTRY/cut:1" >/dev/null ||
    fail "skopeo copy"
out=$("$TANK" --config "$TMP/tank.ini" pull "$PROXY/cut:1" 2>"$TMP/err") ||
    fail "pull failed: $(cat "$TMP/err")"
case $out in *"1 extracted"*) ;; *) fail "unexpected: $out" ;; esac
grep -q " cut$" "$TMP/proxy.log" || fail "the proxy cut nothing: $(cat "$TMP/proxy.log")"
[ "$(grep -c '/blobs/.* full$' "$TMP/proxy.log")" -ge 1 ] || fail "no second fetch: $(cat "$TMP/proxy.log")"
"$TANK" --config "$TMP/tank.ini" unpack "$PROXY/cut:1" "$TMP/out" || fail "unpack"
cmp "$TMP/rootfs/data/blob" "$TMP/out/data/blob" || fail "layer content differs"
[ -z "$(ls -A "$TMP/state/images/tmp")" ] || fail "temp dir left"
pass

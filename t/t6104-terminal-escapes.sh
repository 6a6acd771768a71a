#!/bin/bash
# Terminal escapes from an image never reach the operator's terminal: an image whose config
# has StopSignal "ESC]0;PWNED BEL" (it sets a terminal's title), escapes in its labels, env
# and created date, and a manifest with one in a field. tank images, tank status (table, POD)
# and tank validate show them as \x1b...\x07; nothing they print holds a raw control byte.
# Before, tank status POD printed the StopSignal raw in the error.
. "$(dirname "$0")/lib.sh"
. "$TANK_SRC/t/agent-lib.sh"
need_cmds python3
agent_setup

# The busybox layout with a hostile config (the manifest and index rewritten to match).
cp -r "$IMAGE_DIR" "$TMP/evil"
python3 - "$TMP/evil" <<'EOP' || fail "cannot write the hostile image"
import hashlib, json, os, sys
d = sys.argv[1]
blob = lambda dg: os.path.join(d, "blobs/sha256", dg.split(":")[1])
def put(data):
    dg = "sha256:" + hashlib.sha256(data).hexdigest()
    open(blob(dg), "wb").write(data)
    return dg, len(data)
index = json.load(open(os.path.join(d, "index.json")))
man = json.load(open(blob(index["manifests"][0]["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
c = cfg.setdefault("config", {})
c["StopSignal"] = "\x1b]0;PWNED\x07"
c["Labels"] = {"title\x1b]0;x\x07": "\x1b[2J\x9b2J\u009b"}
c["Env"] = (c.get("Env") or []) + ["EVIL=\x1b[31mred"]
cfg["created"] = "\x1b]0;PWNED\x072026-01-02T03:04:05Z"
man["config"]["digest"], man["config"]["size"] = put(json.dumps(cfg).encode())
index["manifests"][0]["digest"], index["manifests"][0]["size"] = put(json.dumps(man).encode())
json.dump(index, open(os.path.join(d, "index.json"), "w"))
EOP
evil="oci:$TMP/evil:latest"

# raw_free LABEL FILE: FILE holds no control byte but newlines (ESC, BEL, CSI...).
raw_free() {
    python3 - "$2" <<'EOP' || fail "$1 printed a raw control byte: $(od -c "$2" | grep -m3 '\\033\|\\a\|233')"
import sys
data = open(sys.argv[1], "rb").read()
bad = [b for b in data if (b < 0x20 and b != 0x0a) or b == 0x7f]
text = data.decode("utf-8", "replace")
sys.exit(1 if bad or any(0x80 <= ord(ch) <= 0x9f for ch in text) or b"\x9b" in data else 0)
EOP
}

"$TANK" pull --config "$CFG" "$evil" >"$TMP/pull.out" 2>&1 || fail "pull: $(cat "$TMP/pull.out")"
raw_free "tank pull" "$TMP/pull.out"
"$TANK" images --config "$CFG" >"$TMP/images.out" 2>&1 || fail "tank images"
raw_free "tank images" "$TMP/images.out"
grep -qF '\x1b]0;PWNED' "$TMP/images.out" || fail "created not shown escaped: $(cat "$TMP/images.out")"
"$TANK" images --config "$CFG" -o json >"$TMP/images.json" 2>&1 || fail "tank images -o json"
raw_free "tank images -o json" "$TMP/images.json"

agent_start
put_pod evil image="$evil" cmd="sleep 600"
wait_for 60 sh -c "\"$TANK\" status --config '$CFG' evil | grep -q PWNED"
"$TANK" status --config "$CFG" evil >"$TMP/status-pod.out" 2>&1 || fail "tank status evil"
raw_free "tank status POD" "$TMP/status-pod.out"
grep -qF "StopSignal '\\x1b]0;PWNED\\x07' is not a signal" "$TMP/status-pod.out" ||
    fail "StopSignal not shown escaped: $(cat "$TMP/status-pod.out")"
"$TANK" status --config "$CFG" >"$TMP/status.out" 2>&1 || fail "tank status"
raw_free "tank status" "$TMP/status.out"

# A manifest quoting an escape: validate, and the agent's error list in tank status.
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    imagePullPolicy: "\\e]0;PWNED\\a"\n' \
    >"$PODS/bad.yaml"
"$TANK" validate "$PODS/bad.yaml" >"$TMP/validate.out" 2>&1 && fail "validate accepted bad.yaml"
raw_free "tank validate" "$TMP/validate.out"
grep -qF '\x1b]0;PWNED\x07' "$TMP/validate.out" || fail "validate: $(cat "$TMP/validate.out")"
wait_for 20 sh -c "\"$TANK\" status --config '$CFG' | grep -q 'bad.yaml'"
"$TANK" status --config "$CFG" >"$TMP/status.out" 2>&1
raw_free "tank status (manifest errors)" "$TMP/status.out"
raw_free "the agent's log" "$TMP/agent.log"
rm -f "$PODS/bad.yaml" "$PODS/evil.yaml"
pass

#!/bin/bash
# [sync] timeout: a git server that accepts and then says nothing (a TCP listener on
# 127.0.0.1 in the agent's network namespace) fails the pass after the timeout — git killed,
# its connection closed —, keeps the published revision and its pods, shows the error and is
# retried with back-off (2s, then 4s). [sync] ssh_key and known_hosts: git runs ssh with
# BatchMode, the key (IdentitiesOnly) and the known hosts file (StrictHostKeyChecking), paths
# with a space and a quote passed intact; without them git's own ssh configuration applies.
# No sshd here: a fake `ssh` first on the agent's PATH records its arguments and runs the
# remote command (git-upload-pack) locally, so the fetch over ssh:// still publishes.
# ref as a tag and as a commit's id; a pinned commit gone from the server fails the pass and
# keeps the revision; no ref (the remote's HEAD), depth = 0 (the whole history), passes on
# the period, POST /v1/sync's answers, and another link name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-lib.sh"
need_cmds git python3
agent_setup
H=$(uname -n)
ORIGIN=$TMP/origin.git
WORK=$TMP/work
ROOT=$TMP/repo
git init -q --bare -b main "$ORIGIN"
git init -q -b main "$WORK"
g() { git -C "$WORK" -c user.name=t -c user.email=t@example.com "$@"; }
pod() { mkdir -p "$WORK/hosts/$H"; pod_yaml "$1" Always "$2" >"$WORK/hosts/$H/$1.yaml"; }
commit() { g add -A && g commit -q -m "$1" && g push -q "$ORIGIN" main && g rev-parse HEAD; }
# sync_conf REPO [LINE...]: the [sync] section, replaced ($REF: ref, default main, empty for
# none; $PERIOD: period, default 600s; $TIMEOUT: timeout, default 30s).
sync_conf() {
    sed -i '/^\[sync\]/,$d' "$CFG"
    printf '[sync]\nrepo = %s\nref = %s\nperiod = %s\nroot = %s\ntimeout = %s\n' "$1" "${REF-main}" \
        "${PERIOD:-600s}" "$ROOT" "${TIMEOUT:-30s}" >>"$CFG"
    shift
    [ $# = 0 ] || printf '%s\n' "$@" >>"$CFG"
}
# reload: SIGHUP, and wait until the agent has read tank.ini again.
reload() {
    local n
    n=$(grep -c "configuration .* reloaded" "$TMP/agent.log")
    kill -HUP "$AGENT_PID"
    wait_for 10 sh -c "[ \$(grep -c 'configuration .* reloaded' '$TMP/agent.log') -gt $n ]"
}
sed -i "s|^pods_dir = .*|pods_dir = $ROOT/current/hosts/%H|" "$CFG"
NS=tank-t3047-$$
ip netns add $NS || skip "cannot create a network namespace"
at_exit "ip netns del $NS"
ip -n $NS link set lo up
AGENT_NETNS=/run/netns/$NS

# A fake ssh first on PATH (the agent's git finds it there): its arguments, one a line, then
# the remote command run here.
mkdir -p "$TMP/bin"
cat >"$TMP/bin/ssh" <<EOS
#!/bin/sh
printf '%s\n' "\$@" >"$TMP/ssh.args"
/usr/bin/ssh -G "\$@" >"$TMP/ssh.G" 2>&1
for a; do last=\$a; done
exec sh -c "\$last"
EOS
chmod +x "$TMP/bin/ssh"
export PATH="$TMP/bin:$PATH"

pod a "exec sleep 104701"
c1=$(commit one)
sync_conf "$ORIGIN"
agent_start
wait_for 20 sh -c "[ \"\$(readlink '$ROOT/current')\" = .worktrees/$c1 ]" ||
    fail "the first clone was not published: $(tail -n 5 "$TMP/agent.log")"
PODS=$ROOT/current/hosts/$H
skip_unless_containers_run
wait_phase 60 a Running
a_pid=$(ctr_jq a main .pid)

# A server that accepts and never answers: each connection counted when it opens and when
# the client closes it.
PORT=$(free_port)
ip netns exec $NS python3 - "$PORT" "$TMP/hang" <<'PY' &
import select, socket, sys
port, log = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(16)
conns = []
def note(what):
    with open(log, 'a') as f:
        f.write(what + '\n')
note('listening')
while True:
    r, _, _ = select.select([s] + conns, [], [])
    for c in r:
        if c is s:
            conns.append(s.accept()[0])
            note('accepted')
        elif not c.recv(4096):  # what git sends is read and ignored; '' when it is gone
            conns.remove(c)
            c.close()
            note('closed')
PY
HANG=$!
at_exit "kill $HANG 2>/dev/null"
wait_for 10 grep -q listening "$TMP/hang"
TIMEOUT=1s sync_conf "git://127.0.0.1:$PORT/origin.git"
reload
# tank sync returns once the pass has failed: after the 1s timeout, not before, not much later.
start=$(date +%s%N)
out=$("$TANK" sync --config "$CFG" 2>&1) && fail "tank sync succeeded against a server that never answers: $out"
ms=$((($(date +%s%N) - start) / 1000000))
[ $ms -ge 900 ] && [ $ms -lt 5000 ] || fail "tank sync failed after ${ms}ms, not after the 1s timeout: $out"
case $out in *"timed out after 1s"*) ;; *) fail "tank sync's error does not say it timed out: $out" ;; esac
grep -q accepted "$TMP/hang" || fail "git never connected to the server"
wait_for 5 grep -q closed "$TMP/hang" || fail "the timed-out git was not killed (its connection is open)"
[ "$(pods_json | jq -r .sync.error)" = "git fetch 'git://127.0.0.1:$PORT/origin.git' (main): timed out after 1s" ] ||
    fail "the error in the status: $(pods_json | jq -c .sync)"
[ "$(pods_json | jq -r .sync.revision)" = "$c1" ] || fail "the revision changed: $(pods_json | jq -c .sync)"
"$TANK" status --config "$CFG" | head -n 1 | grep -q "failed at .*timed out after 1s" ||
    fail "no error in tank status: $("$TANK" status --config "$CFG" | head -n 1)"
[ "$(readlink "$ROOT/current")" = ".worktrees/$c1" ] || fail "the link moved: $(readlink "$ROOT/current")"
# Retried by itself with back-off: 2s after the first failure, 4s after the second.
grep -q "timed out after 1s, retrying in 2s" "$TMP/agent.log" || fail "no retry in 2s: $(grep sync: "$TMP/agent.log" | tail -n 3)"
wait_for 10 grep -q "timed out after 1s, retrying in 4s" "$TMP/agent.log" ||
    fail "no back-off to 4s: $(grep sync: "$TMP/agent.log" | tail -n 3)"
[ "$(grep -c accepted "$TMP/hang")" -ge 2 ] || fail "the retry did not connect again"
curl -fsS --unix-socket "$SOCK" http://tank/metrics | grep -q "^tank_sync_failures_total [2-9]" ||
    fail "the failures are not counted: $(curl -fsS --unix-socket "$SOCK" http://tank/metrics | grep sync)"
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "a timed-out sync restarted a pod"
kill $HANG

# ssh: the key and the known hosts file given to ssh intact (a space, quotes, a %); what
# ssh reads from the options is checked with the real ssh's -G (its configuration).
mkdir -p "$TMP/keys dir"
KEY="$TMP/keys dir/deploy key's 100%"
KH="$TMP/keys dir/known \"hosts\" 100%"
: >"$KEY" && : >"$KH"
pod b "exec sleep 104702"
c2=$(commit two)
sync_conf "ssh://deploy@git.example.com:2222$ORIGIN" "ssh_key = $KEY" "known_hosts = $KH"
reload
out=$("$TANK" sync --config "$CFG" 2>&1) || fail "tank sync over ssh://: $out"
[ "$out" = "synced $c2" ] || fail "over ssh://: '$out', not $c2"
[ -f "$TMP/ssh.args" ] || fail "git did not run the ssh first on PATH"
args=$(cat "$TMP/ssh.args")
for want in "BatchMode=yes" "IdentitiesOnly=yes" "StrictHostKeyChecking=yes" 2222 \
    deploy@git.example.com "git-upload-pack '$ORIGIN'"; do
    grep -qxF -- "$want" <<<"$args" || fail "ssh was not given '$want': $args"
done
# -i takes a file name (% doubled: ssh expands %-sequences in it)
[ "$(grep -A1 -xF -- "-i" <<<"$args" | tail -n 1)" = "${KEY//%/%%}" ] || fail "the key is not the argument of -i: $args"
grep -qxF "userknownhostsfile $KH" "$TMP/ssh.G" || fail "ssh reads another known hosts file: $(grep -i known "$TMP/ssh.G")"
for want in "batchmode yes" "identitiesonly yes" "stricthostkeychecking true" "port 2222"; do
    grep -qxF "$want" "$TMP/ssh.G" || fail "ssh's configuration lacks '$want': $(cat "$TMP/ssh.G")"
done
wait_jq 20 '([.pods[] | select(.phase == "Running")] | length) == 2'
# Without them: git's own ssh, no key or known hosts imposed.
rm "$TMP/ssh.args"
pod c "exec sleep 104703"
c3=$(commit three)
sync_conf "ssh://deploy@git.example.com:2222$ORIGIN"
reload
out=$("$TANK" sync --config "$CFG" 2>&1) || fail "tank sync over ssh:// without a key: $out"
[ "$out" = "synced $c3" ] || fail "'$out', not $c3"
args=$(cat "$TMP/ssh.args")
grep -qE -- "^-i$|BatchMode|UserKnownHostsFile|StrictHostKeyChecking" <<<"$args" &&
    fail "ssh options imposed without ssh_key/known_hosts: $args"
grep -qxF "userknownhostsfile $KH" "$TMP/ssh.G" && fail "the known hosts file stayed: $(cat "$TMP/ssh.G")"
grep -qxF deploy@git.example.com <<<"$args" || fail "ssh args: $args"
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "a pod was restarted"

# ref: an annotated tag (the commit it tags is published), then a commit's full id.
g tag -a v1 -m v1 "$c1" && g push -q "$ORIGIN" v1
REF=v1 sync_conf "$ORIGIN"
reload
out=$("$TANK" sync --config "$CFG" 2>&1) || fail "tank sync of the tag v1: $out"
[ "$out" = "synced $c1" ] || fail "ref = v1: '$out', not $c1"
[ "$(pods_json | jq -r .sync.ref)" = v1 ] || fail "sync ref: $(pods_json | jq -c .sync)"
REF=$c2 sync_conf "$ORIGIN"
reload
out=$("$TANK" sync --config "$CFG" 2>&1) || fail "tank sync of the commit $c2: $out"
[ "$out" = "synced $c2" ] || fail "ref = $c2: '$out'"
# The pinned commit gone from the server (a force-push, then gc): the pass fails, the
# revision stays.
git -C "$ORIGIN" update-ref refs/heads/main "$c1" && git -C "$ORIGIN" tag -d v1 >/dev/null &&
    git -C "$ORIGIN" reflog expire --expire=now --all && git -C "$ORIGIN" gc -q --prune=now
git -C "$ORIGIN" cat-file -e "$c2" 2>/dev/null && fail "the server still has $c2"
out=$("$TANK" sync --config "$CFG" 2>&1) && fail "tank sync of a commit gone succeeded: $out"
case $out in *"not our ref"*) ;; *) fail "tank sync's error for a commit gone: $out" ;; esac
[ "$(pods_json | jq -r .sync.revision)" = "$c2" ] || fail "the revision changed: $(pods_json | jq -c .sync)"
[ "$(readlink "$ROOT/current")" = ".worktrees/$c2" ] || fail "the link moved: $(readlink "$ROOT/current")"
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "a failed sync restarted a pod"

# No ref: the remote's HEAD (main). depth = 0: the whole history, the repository made
# shallow by depth 1 before deepened. period = 1s: passes without anyone asking.
pod d "exec sleep 104704"
c4=$(commit four)
REF= PERIOD=1s sync_conf "$ORIGIN" "depth = 0"
reload
wait_for 15 sh -c "[ \"\$(readlink '$ROOT/current')\" = .worktrees/$c4 ]" ||
    fail "the remote's HEAD $c4 was not published by itself: $(pods_json | jq -c .sync)"
[ "$(pods_json | jq -c .sync.ref)" = null ] || fail "sync ref: $(pods_json | jq -c .sync)"
[ "$(git -C "$ROOT" rev-parse --is-shallow-repository)" = false ] || fail "depth = 0 left the repository shallow"
[ "$(git -C "$ROOT" rev-list --count "$c4")" = 4 ] || fail "not the whole history: $(git -C "$ROOT" log --oneline "$c4")"
echo x >"$WORK/README"
c5=$(commit five)
wait_for 10 sh -c "[ \"\$(readlink '$ROOT/current')\" = .worktrees/$c5 ]" ||
    fail "no pass published $c5 within the 1s period: $(pods_json | jq -c .sync)"
wait_jq 20 '([.pods[] | select(.phase == "Running")] | length) == 4'
# POST /v1/sync itself (what tank sync calls, a webhook relay's target): the commit, or the
# error with 502; only POST.
out=$(curl -sS -w ' %{http_code}' -X POST --unix-socket "$SOCK" http://tank/v1/sync)
[ "$out" = "{\"revision\":\"$c5\",\"error\":null} 200" ] || fail "POST /v1/sync: $out"
[ "$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://tank/v1/sync)" = 405 ] ||
    fail "GET /v1/sync is not refused"
git -C "$ORIGIN" update-ref -d refs/heads/main
out=$(curl -sS -w ' %{http_code}' -X POST --unix-socket "$SOCK" http://tank/v1/sync)
jq -e --arg c "$c5" '.revision == $c and (.error | test("remote ref HEAD"))' <<<"${out% *}" >/dev/null &&
    [ "${out##* }" = 502 ] || fail "POST /v1/sync with the branch gone: $out"

# link: another name (pods_dir through it): published there, the pods adopted as they run.
git -C "$ORIGIN" update-ref refs/heads/main "$c5"
agent_stop
sed -i "s|^pods_dir = .*|pods_dir = $ROOT/live/hosts/%H|" "$CFG"
REF= sync_conf "$ORIGIN" "link = live"
agent_start
wait_for 15 sh -c "[ \"\$(readlink '$ROOT/live')\" = .worktrees/$c5 ]" ||
    fail "not published as '$ROOT/live': $(ls -la "$ROOT"; pods_json | jq -c .sync)"
[ ! -e "$ROOT/.live.tmp" ] || fail "the temporary link was left"
wait_jq 20 '.sync.error == null and ([.pods[] | select(.phase == "Running")] | length) == 4'
[ "$(ctr_jq a main .pid)" = "$a_pid" ] || fail "a pod was restarted with the new link"
pass

#!/bin/bash
# The CLI contract: help, version, usage errors, --config before or after the subcommand.
. "$(dirname "$0")/lib.sh"

out=$("$TANK" --help) || fail "tank --help exited $?"
grep -q "usage: tank" <<<"$out" || fail "tank --help prints no usage"
for cmd in agent status logs validate apply delete diff pull images unpack version; do
    own=$("$TANK" "$cmd" --help) || fail "tank $cmd --help exited $?"
    grep -q "^usage: tank $cmd" <<<"$own" || fail "tank $cmd --help: not its own usage: $own"
    [ "$("$TANK" help "$cmd")" = "$own" ] || fail "tank help $cmd differs from tank $cmd --help"
done
[ "$("$TANK" help images prune)" = "$("$TANK" images prune --help)" ] ||
    fail "tank help images prune differs from tank images prune --help"
[ "$("$TANK" help)" = "$out" ] || fail "tank help differs from tank --help"
expect_exit 2 "$TANK" help no-such-command
"$TANK" version | grep -q '^tank ' || fail "tank version prints no version"
expect_exit 2 "$TANK"
expect_exit 2 "$TANK" no-such-command
expect_exit 2 "$TANK" --config
err=$("$TANK" no-such-command 2>&1 >/dev/null)
grep -q "unknown command 'no-such-command'" <<<"$err" || fail "unclear error: $err"

# --config before and after the subcommand selects the same file.
cfg=$TMP/bad.ini
printf '[nope]\n' >"$cfg"
a=$("$TANK" --config "$cfg" images 2>&1 >/dev/null); ra=$?
b=$("$TANK" images --config "$cfg" 2>&1 >/dev/null); rb=$?
[ "$ra" = 1 ] && [ "$rb" = 1 ] || fail "bad config should exit 1 both ways (got $ra, $rb)"
[ "$a" = "$b" ] || fail "--config placement changes the result: '$a' vs '$b'"
grep -q "bad.ini:1: unknown section \[nope\]" <<<"$a" || fail "config error unclear: $a"
pass

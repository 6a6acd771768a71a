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
"$TANK" version >"$TMP/version" || fail "tank version exited $?"
# the version, the commit, the libraries, the kernel and the features in use
sed -n 1p "$TMP/version" | grep -Eq '^tank [0-9a-z.-]+$' || fail "version: $(cat "$TMP/version")"
sed -n 2p "$TMP/version" | grep -Eq '^commit: ([0-9a-f]{40}|unknown)$' || fail "commit: $(cat "$TMP/version")"
sed -n 3p "$TMP/version" | grep -Eq '^libraries: libcurl [0-9.]+, libarchive [0-9.]+, libyaml [0-9.]+, jansson [0-9.]+, OpenSSL [0-9.]+.*, zlib [0-9.]+, zstd [0-9.]+, libmicrohttpd [0-9.]+, libnl [0-9.]+, libseccomp [0-9.]+$' ||
    fail "libraries: $(cat "$TMP/version")"
[ "$(sed -n 4p "$TMP/version")" = "kernel: $(uname -r)" ] || fail "kernel: $(cat "$TMP/version")"
sed -n 5p "$TMP/version" | grep -Eq '^features: overlayfs (yes|no \(layers copied\)), cgroup (v2 \(unified\)|v1 \(hybrid\)|v1 \(legacy\)|none), openat2 (yes|no), pidfd (yes|no)$' ||
    fail "features: $(cat "$TMP/version")"
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

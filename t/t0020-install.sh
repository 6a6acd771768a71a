#!/bin/bash
# make install / uninstall into a DESTDIR: the files and their modes, an edited tank.ini
# kept, the unit pointing at the installed binary and man pages; the man pages render with
# every command and key; make deb builds a package with its dependencies, conffile and
# scripts, and (on a host with no Tank of its own) apt-get installs it, tank runs from it,
# and a purge removes everything.
. "$(dirname "$0")/lib.sh"
need_cmds python3 man
cd "$TANK_SRC" || fail "no source tree"
# a make of its own, not a sub-make of `make check` (which would print directories)
unset MAKEFLAGS MAKELEVEL MFLAGS
D=$TMP/root
make -s install DESTDIR="$D" >"$TMP/install.log" 2>&1 || fail "make install: $(tail -n 5 "$TMP/install.log")"
mode() { stat -c %a "$1" 2>/dev/null; }
[ "$(mode "$D/usr/local/bin/tank")" = 755 ] || fail "binary not installed 0755"
"$D/usr/local/bin/tank" version | grep -q '^tank ' || fail "installed binary does not run"
[ "$(mode "$D/etc/tank/pods")" = 700 ] || fail "pods dir is $(mode "$D/etc/tank/pods"), not 700"
[ "$(mode "$D/var/lib/tank")" = 700 ] || fail "state dir is $(mode "$D/var/lib/tank"), not 700"
cmp -s conf/tank.ini "$D/etc/tank/tank.ini" || fail "tank.ini not installed"
unit=$D/usr/local/lib/systemd/system/tank.service
grep -qx 'ExecStart=/usr/local/bin/tank agent --config /etc/tank/tank.ini' "$unit" ||
    fail "unit does not run the installed binary: $(grep ExecStart "$unit")"
grep -q '^Documentation=man:tank(1)' "$unit" || fail "unit names no man page"
for m in man1/tank.1 man5/tank.ini.5 man5/tank-pod.5; do
    [ -f "$D/usr/local/share/man/$m" ] || fail "$m not installed"
done
[ -f "$D/usr/local/share/bash-completion/completions/tank" ] || fail "completion not installed"

# An edited configuration survives a second install; uninstall keeps it and the state.
echo "; edited" >>"$D/etc/tank/tank.ini"
make -s install DESTDIR="$D" >/dev/null 2>&1 || fail "second make install"
grep -q '^; edited' "$D/etc/tank/tank.ini" || fail "make install overwrote an edited tank.ini"
make -s uninstall DESTDIR="$D" >/dev/null 2>&1 || fail "make uninstall"
[ ! -e "$D/usr/local/bin/tank" ] && [ ! -e "$unit" ] && [ ! -e "$D/usr/local/share/man/man1/tank.1" ] ||
    fail "uninstall left files: $(find "$D/usr" -type f)"
[ -f "$D/etc/tank/tank.ini" ] && [ -d "$D/var/lib/tank" ] || fail "uninstall removed configuration or state"

# The man pages render without warnings and hold every command and every key.
for m in tank.1 tank.ini.5 tank-pod.5; do
    MANWIDTH=100 man -l "build/man/$m" >"$TMP/$m.txt" 2>"$TMP/$m.err" || fail "man -l $m failed"
    [ ! -s "$TMP/$m.err" ] || fail "man -l $m warns: $(head -n 3 "$TMP/$m.err")"
done
for cmd in agent status logs validate apply pull images unpack version; do
    grep -q "usage: tank $cmd" "$TMP/tank.1.txt" || fail "tank(1) lacks 'tank $cmd'"
done
grep -q "EXIT STATUS" "$TMP/tank.1.txt" && grep -q "TANK_CONFIG" "$TMP/tank.1.txt" ||
    fail "tank(1) lacks exit status or environment"
for key in $(sed -n 's/^\([a-z_]*\) *=.*/\1/p' conf/tank.ini); do
    grep -q "^ *$key = " "$TMP/tank.ini.5.txt" || fail "tank.ini(5) lacks key '$key'"
done
grep -q "spec.containers" "$TMP/tank-pod.5.txt" || fail "tank-pod(5) lacks the container fields"

# The Debian package.
command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null || skip "dpkg-dev is not installed"
deb=$(make -s deb 2>"$TMP/deb.err" | grep '\.deb$' | tail -n 1)
[ -f "$deb" ] || fail "make deb made no package: $(tail -n 3 "$TMP/deb.err")"
at_exit "rm -f '$TANK_SRC/$deb'"
info=$(dpkg-deb -I "$deb")
grep -q '^ Depends: .*libcurl' <<<"$info" || fail "package lacks library dependencies: $info"
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = /etc/tank/tank.ini ] ||
    fail "tank.ini is not a conffile"
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/tank ./lib/systemd/system/tank.service ./usr/share/man/man1/tank.1.gz; do
    grep -q " $f\$" <<<"$files" || fail "package lacks $f"
done
grep -q ' ./var/' <<<"$files" && fail "package ships /var (remove would touch the state)"

# Installed for real only where the host has no Tank of its own to disturb.
[ "$(id -u)" = 0 ] || { echo "package built; install not tried: needs root"; pass; }
if dpkg -s tank >/dev/null 2>&1 || [ -e /etc/tank ] || [ -e /var/lib/tank ] || [ -e /usr/bin/tank ]; then
    echo "package built; install not tried: this host has a Tank of its own"
    pass
fi
at_exit "dpkg -s tank >/dev/null 2>&1 && apt-get purge -y -q tank >/dev/null 2>&1"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "$TANK_SRC/$deb" >"$TMP/apt.log" 2>&1 ||
    fail "apt-get install: $(tail -n 5 "$TMP/apt.log")"
/usr/bin/tank version | grep -q '^tank ' || fail "installed tank does not run"
/usr/bin/tank validate examples/pods/sleeper.yaml || fail "installed tank validate failed"
[ -L /etc/systemd/system/multi-user.target.wants/tank.service ] || fail "unit not enabled"
[ "$(mode /etc/tank/pods)" = 700 ] || fail "pods dir is $(mode /etc/tank/pods) after install"
man -w tank >/dev/null 2>&1 || fail "man tank finds no page"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 tank >"$TMP/apt.log" 2>&1 ||
    fail "apt-get purge: $(tail -n 5 "$TMP/apt.log")"
for f in /usr/bin/tank /etc/tank /var/lib/tank /var/log/tank \
    /etc/systemd/system/multi-user.target.wants/tank.service; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || fail "purge left $f"
done
pass

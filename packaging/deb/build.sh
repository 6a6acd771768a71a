#!/bin/bash
# Build tank_VERSION_ARCH.deb with dpkg-deb from `make install` into a staging root:
# dependencies from dpkg-shlibdeps, /etc/tank/tank.ini a conffile, the unit enabled but not
# started on install, /var/lib/tank and /var/log/tank kept on remove and removed on purge
# (the maintainer scripts beside this file). usage: packaging/deb/build.sh VERSION
set -euo pipefail
cd "$(dirname "$0")/../.."
here=packaging/deb
version=$1
case $version in [0-9]*.[0-9]*) ;; *) version="0~git$version" ;; esac
version="${version//-/+}-1"
arch=$(dpkg --print-architecture)
out=build/deb
root=$out/root
rm -rf "$out"
mkdir -p "$root/DEBIAN" "$out/debian"
make -s install DESTDIR="$PWD/$root" PREFIX=/usr UNITDIR=/lib/systemd/system >/dev/null
# made by postinst instead, so that remove never touches what they hold
rm -rf "${root:?}/var" "$root/etc/tank/pods"
printf 'Source: tank\n\nPackage: tank\nArchitecture: any\n' >"$out/debian/control"
deps=$(cd "$out" && dpkg-shlibdeps -O -eroot/usr/bin/tank 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOC
Package: tank
Version: $version
Architecture: $arch
Maintainer: Tank developers <tank@localhost>
Installed-Size: $size
Depends: $deps
Section: admin
Priority: optional
Description: declarative container host agent
 Tank converges Kubernetes-style Pod manifests in a directory (/etc/tank/pods) on one
 Linux host: it pulls OCI images, builds each container's root file system, runs the
 containers in namespaces with macvlan networking, and restarts them by policy.
EOC
echo /etc/tank/tank.ini >"$root/DEBIAN/conffiles"
gzip -9n "$root"/usr/share/man/man*/*
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$root/DEBIAN/$s"; done
deb="tank_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"

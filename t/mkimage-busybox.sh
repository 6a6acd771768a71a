#!/bin/bash
# mkimage-busybox.sh DIR [TAG] [-- EXTRA-UMOCI-CONFIG-ARGS...]
# Build an OCI image layout in DIR holding TAG (default "latest"): Debian's busybox-static
# as /bin/busybox with applet symlinks, /etc/passwd (root and nobody), /etc/group, and
# config cmd ["sh"]. Built with umoci, as an air-gapped user would; needs root.
set -eu
dir=${1:?usage: mkimage-busybox.sh DIR [TAG]}
tag=${2:-latest}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && [ -x "$busybox" ] || { echo "mkimage-busybox: busybox not found" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 && { echo "mkimage-busybox: $busybox is not static" >&2; exit 1; }
work=$(mktemp -d /tmp/mkimage-busybox.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -f "$dir/oci-layout" ] || { mkdir -p "$(dirname "$dir")"; umoci init --layout "$dir"; }
umoci new --image "$dir:$tag"
umoci unpack --image "$dir:$tag" "$work/bundle" >/dev/null
root=$work/bundle/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home" "$root/proc" \
    "$root/sys" "$root/dev" "$root/var/www"
chmod 1777 "$root/tmp"
chmod 700 "$root/root"
install -m 755 "$busybox" "$root/bin/busybox"
for a in sh ash sleep httpd cat ls id echo true false wget hostname env ps kill mkdir rm \
    touch grep sed head tail wc date uname printf test [ stat readlink ln cp mv chmod \
    chown pwd whoami nc ip ifconfig ping mount umount df du find xargs sort uniq tr cut \
    dd seq timeout nslookup vi less top free dmesg sync tee basename dirname expr awk; do
    ln -s busybox "$root/bin/$a"
done
# printenv (the Kubernetes documentation's examples use it): the applet where busybox has
# it, else the same in sh.
if "$busybox" --list | grep -qx printenv; then
    ln -s busybox "$root/bin/printenv"
else
    printf '%s\n' '#!/bin/sh' 'for v in "$@"; do env | sed -n "s/^$v=//p"; done' >"$root/bin/printenv"
    chmod 755 "$root/bin/printenv"
fi
cat >"$root/etc/passwd" <<'EOP'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOP
cat >"$root/etc/group" <<'EOG'
root:x:0:
nogroup:x:65534:
EOG
echo "tank busybox" >"$root/var/www/index.html"
umoci repack --image "$dir:$tag" "$work/bundle" >/dev/null
umoci config --image "$dir:$tag" --config.cmd sh \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
umoci gc --layout "$dir"

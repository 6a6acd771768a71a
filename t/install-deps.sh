#!/bin/sh
# Install the Debian packages Tank builds, tests and benchmarks with, when missing.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev clang-format
libcurl4-openssl-dev zlib1g-dev libarchive-dev libyaml-dev libnl-3-dev libnl-route-3-dev
libinih-dev libjansson-dev libssl-dev libmicrohttpd-dev libzstd-dev libseccomp-dev check
docker-registry skopeo umoci busybox-static iproute2 curl python3 zstd jq procps
man-db dpkg-dev crun podman python3-yaml python3-grpcio nginx-light tmux prometheus git
tzdata"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Packages with a service (docker-registry, nginx-light, prometheus) are installed for their
# programs only: policy-rc.d keeps the package scripts from starting the services (the tests
# run their own instances on 127.0.0.1), unless the host already has a policy of its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 $missing

#!/bin/bash
# bench/pull.sh: pull + extract of a large multi-layer image (a Debian minbase rootfs from
# debootstrap plus a package layer) from a local docker-registry, in the same run:
#   tank pull       into a fresh store
#   podman pull     into a fresh storage (overlay driver)
#   raw limit       sha256sum of each blob + gzip -dc | sha256sum (digest + diff_id), serially
# Prints medians over RUNS (default 3) and the ratios. Not a test: nothing is asserted.
# Needs root and Debian's mirror (taken from apt's sources); installs debootstrap and podman
# when missing. BENCH_DIR (default /var/tmp) holds the work dir and a cache of the rootfs.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
TANK=$SRC/tank
RUNS=${RUNS:-3}
PACKAGES=${PACKAGES:-"python3 perl"}
[ "$(id -u)" = 0 ] || { echo "bench/pull.sh: needs root" >&2; exit 1; }
[ -x "$TANK" ] || { echo "bench/pull.sh: build ./tank first (make)" >&2; exit 1; }
need=""
for c in debootstrap:debootstrap podman:podman skopeo:skopeo umoci:umoci docker-registry:docker-registry; do
    command -v "${c%%:*}" >/dev/null || need="$need ${c#*:}"
done
if [ -n "$need" ]; then
    echo "installing:$need"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null
fi

BASE=${BENCH_DIR:-/var/tmp}
W=$(mktemp -d "$BASE/tank-bench-pull.XXXXXX")
REG_PID=""
cleanup() {
    if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null || true; fi
    rm -rf "$W" 2>/dev/null || true
}
trap cleanup EXIT

# --- the image: minbase (cached) + a package layer -------------------------------------
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*debian\)\/* .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
[ -n "$mirror" ] || { echo "bench/pull.sh: no Debian mirror in apt's sources" >&2; exit 1; }
cache=$BASE/tank-bench-cache
mkdir -p "$cache"
img=$cache/oci-$suite
if [ ! -f "$img/index.json" ] || ! grep -q '"bench"' "$img/index.json"; then
    echo "building the image: debootstrap --variant=minbase $suite from $mirror, + $PACKAGES"
    rm -rf "$img" "$W/bundle"
    umoci init --layout "$img"
    umoci new --image "$img:bench"
    umoci unpack --image "$img:bench" "$W/bundle" >/dev/null
    debootstrap --variant=minbase "$suite" "$W/bundle/rootfs" "$mirror" >"$W/debootstrap.log" 2>&1 ||
        { tail "$W/debootstrap.log"; exit 1; }
    umoci repack --refresh-bundle --image "$img:bench" "$W/bundle" >/dev/null
    mount -t proc proc "$W/bundle/rootfs/proc"
    chroot "$W/bundle/rootfs" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $PACKAGES && apt-get clean && \
        rm -rf /var/lib/apt/lists/*" >"$W/apt.log" 2>&1 || { umount "$W/bundle/rootfs/proc"; tail "$W/apt.log"; exit 1; }
    umount "$W/bundle/rootfs/proc"
    umoci repack --image "$img:bench" "$W/bundle" >/dev/null
    umoci config --image "$img:bench" --config.cmd bash
    umoci gc --layout "$img"
    rm -rf "$W/bundle"
fi

# --- the registry ------------------------------------------------------------------------
port=""
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "no free port" >&2; exit 1; }
mkdir -p "$W/registry"
cat >"$W/registry/config.yml" <<EOC
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/registry/data
http:
  addr: 127.0.0.1:$port
EOC
docker-registry serve "$W/registry/config.yml" >"$W/registry/log" 2>&1 &
REG_PID=$!
REG=127.0.0.1:$port
for _ in $(seq 100); do curl -fsS "http://$REG/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$img:bench" "docker://$REG/bench:1" >/dev/null
REF=$REG/bench:1
# a second image: 20 tiny layers (per-layer overhead)
for i in $(seq 1 20); do
    mkdir -p "$W/small/l$i"
    echo "layer $i" >"$W/small/l$i/f$i"
    tar -C "$W/small/l$i" -cf "$W/small/l$i.tar" "f$i"
done
python3 t/mklayout.py "$W/small/oci" s $(for i in $(seq 1 20); do echo "$W/small/l$i.tar"; done)
skopeo copy -q --dest-tls-verify=false "oci:$W/small/oci:s" "docker://$REG/small:20" >/dev/null

manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:])' "$img")
blobs=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/blobs/sha256/"+sys.argv[2]))
print(" ".join(l["digest"][7:] for l in m["layers"]))' "$img" "$manifest")
csize=0 usize=0 nl=0
for b in $blobs; do
    csize=$((csize + $(stat -c %s "$img/blobs/sha256/$b")))
    usize=$((usize + $(gzip -dc "$img/blobs/sha256/$b" | wc -c)))
    nl=$((nl + 1))
done
echo "image: $nl layers, $((csize / 1048576)) MiB compressed, $((usize / 1048576)) MiB uncompressed"

# --- the contenders ----------------------------------------------------------------------
cat >"$W/tank.ini" <<EOC
[agent]
state_dir = $W/tank-state
[registry]
insecure = $REG
EOC
mkdir -p "$W/podman"
cat >"$W/podman/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOC
cat >"$W/podman/storage.conf" <<EOC
[storage]
driver = "overlay"
graphroot = "$W/podman/root"
runroot = "$W/podman/run"
EOC
export CONTAINERS_CONF=$W/podman/containers.conf CONTAINERS_STORAGE_CONF=$W/podman/storage.conf

now() { date +%s.%N; }
run_tank() {
    rm -rf "$W/tank-state"
    sync
    local t0; t0=$(now)
    "$TANK" --config "$W/tank.ini" pull "${1:-$REF}" >/dev/null
    awk -v a="$(now)" -v b="$t0" 'BEGIN {printf "%.3f", a - b}'
}
run_podman() {
    podman rmi -a -f >/dev/null 2>&1 || true
    sync
    local t0; t0=$(now)
    podman pull -q --tls-verify=false "${1:-$REF}" >/dev/null
    awk -v a="$(now)" -v b="$t0" 'BEGIN {printf "%.3f", a - b}'
}
run_raw() {
    local t0; t0=$(now)
    for b in $blobs; do
        sha256sum "$img/blobs/sha256/$b" >/dev/null
        gzip -dc "$img/blobs/sha256/$b" | sha256sum >/dev/null
    done
    awk -v a="$(now)" -v b="$t0" 'BEGIN {printf "%.3f", a - b}'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

T="" P="" R=""
run_tank >/dev/null; run_podman >/dev/null; run_raw >/dev/null # warm caches
for i in $(seq "$RUNS"); do
    T="$T $(run_tank)"
    P="$P $(run_podman)"
    R="$R $(run_raw)"
done
t=$(echo $T | median) p=$(echo $P | median) r=$(echo $R | median)
printf 'tank pull    %6.2fs   (runs:%s)\n' "$t" "$T"
printf 'podman pull  %6.2fs   (runs:%s)\n' "$p" "$P"
printf 'raw limit    %6.2fs   (runs:%s)\n' "$r" "$R"
printf 'tank / podman = %.2f   (< 1: tank is faster)\n' "$(awk -v a="$t" -v b="$p" 'BEGIN {print a / b}')"
printf 'tank / raw    = %.2f   (target <= 1.5)\n' "$(awk -v a="$t" -v b="$r" 'BEGIN {print a / b}')"
podman rmi -a -f >/dev/null 2>&1 || true
T="" P=""
for i in $(seq "$RUNS"); do
    T="$T $(run_tank "$REG/small:20")"
    P="$P $(run_podman "$REG/small:20")"
done
t=$(echo $T | median) p=$(echo $P | median)
printf '20 tiny layers: tank %.2fs, podman %.2fs, tank / podman = %.2f\n' "$t" "$p" \
    "$(awk -v a="$t" -v b="$p" 'BEGIN {print a / b}')"
podman rmi -a -f >/dev/null 2>&1 || true

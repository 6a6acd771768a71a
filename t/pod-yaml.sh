# The one generator of one-container Pod manifests for the shell tests and benchmarks.
#
# pod_manifest NAME [KEY=VALUE...]: the manifest on stdout. Keys (all optional):
#   image     the container's image (default: $IMAGE)
#   pull      imagePullPolicy (default IfNotPresent)
#   policy    restartPolicy (default: none written, i.e. Always)
#   grace     terminationGracePeriodSeconds (default 2)
#   ctr       the container's name (default main)
#   cmd       a shell command: command ["sh", "-c", "CMD"] (no double quotes in CMD)
#   argv      the command as a YAML flow list instead, e.g. '["sleep", "600"]'
#   ctr_yaml  more lines of the container, as written (indented 4 spaces)
#   ctrs      more containers, as ctr_manifest writes them
#   pod_yaml  more lines of the pod's spec, as written (indented 2 spaces)
# put_pod NAME [KEY=VALUE...]: the same, written atomically as $PODS/NAME.yaml.
# ctr_manifest NAME [KEY=VALUE...]: one entry of a containers list (image, pull, cmd, argv,
#   ctr_yaml as above), for ctrs=.
# READY_FILE_PROBE: ctr_yaml of an exec readiness probe that passes while /tmp/ready exists
#   (every second, one failure is enough).
ctr_manifest() {
    local name=$1 image=${IMAGE:-} pull=IfNotPresent cmd= argv= ctr_yaml= kv
    shift
    for kv; do
        case $kv in
        image=* | pull=* | cmd=* | argv=* | ctr_yaml=*) local "$kv" ;;
        *) echo "ctr_manifest: unknown key '${kv%%=*}'" >&2; return 2 ;;
        esac
    done
    [ -n "$argv" ] || argv="[\"sh\", \"-c\", \"$cmd\"]"
    printf '  - name: %s\n    image: %s\n    imagePullPolicy: %s\n    command: %s\n' \
        "$name" "$image" "$pull" "$argv"
    [ -z "$ctr_yaml" ] || printf '%s\n' "$ctr_yaml"
}

pod_manifest() {
    local name=$1 image=${IMAGE:-} pull=IfNotPresent policy= grace=2 ctr=main cmd= argv=
    local ctr_yaml= ctrs= pod_yaml= kv
    shift
    for kv; do
        case $kv in
        image=* | pull=* | policy=* | grace=* | ctr=* | cmd=* | argv=* | ctr_yaml=* | ctrs=* | pod_yaml=*)
            local "$kv" ;;
        *) echo "pod_manifest: unknown key '${kv%%=*}'" >&2; return 2 ;;
        esac
    done
    printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n' "$name"
    [ -z "$policy" ] || printf '  restartPolicy: %s\n' "$policy"
    printf '  terminationGracePeriodSeconds: %s\n  containers:\n' "$grace"
    ctr_manifest "$ctr" image="$image" pull="$pull" cmd="$cmd" argv="$argv" ctr_yaml="$ctr_yaml"
    [ -z "$ctrs" ] || printf '%s\n' "$ctrs"
    [ -z "$pod_yaml" ] || printf '%s\n' "$pod_yaml"
}

READY_FILE_PROBE='    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
      failureThreshold: 1'

put_pod() {
    pod_manifest "$@" >"$PODS/.$1.tmp" && mv "$PODS/.$1.tmp" "$PODS/$1.yaml"
}

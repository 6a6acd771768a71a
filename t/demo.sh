#!/bin/bash
# The offline demo: a configuration and three pods under build/demo, using the OCI-layout
# busybox image that `make demo-image` builds, then the agent in the foreground.
# No uplink is configured and no pod has an interface: nothing touches the host's network.
# In another terminal:  ./tank status --config build/demo/tank.ini
#                       ./tank logs --config build/demo/tank.ini demo-shared reader
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (pods need namespaces and mounts)" >&2; exit 1; }
image="oci:$PWD/build/oci/busybox:latest"
[ -f build/oci/busybox/index.json ] || { echo "demo: run 'make demo-image' first" >&2; exit 1; }
demo=$PWD/build/demo
mkdir -p "$demo/pods" "$demo/state" "$demo/run" "$demo/log"
cat >"$demo/tank.ini" <<EOC
; Demo configuration written by t/demo.sh: everything under build/demo, no uplink.
[host]
uplink =
dns =
[agent]
pods_dir = $demo/pods
state_dir = $demo/state
run_dir = $demo/run
log_dir = $demo/log
socket = $demo/tank.sock
resync_seconds = 60
[restart]
backoff_initial = 2s
backoff_max = 60s
EOC
cat >"$demo/pods/demo-sleeper.yaml" <<EOC
# A long-running container.
apiVersion: v1
kind: Pod
metadata:
  name: demo-sleeper
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: sleeper
    image: $image
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "echo sleeping; exec sleep 100000"]
EOC
cat >"$demo/pods/demo-job.yaml" <<EOC
# A job: fails on its first run, then succeeds (restartPolicy OnFailure).
apiVersion: v1
kind: Pod
metadata:
  name: demo-job
spec:
  restartPolicy: OnFailure
  containers:
  - name: job
    image: $image
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c"]
    args: ["if [ -e /work/ran ]; then echo done; else touch /work/ran; echo failing once; exit 1; fi"]
    volumeMounts:
    - name: work
      mountPath: /work
  volumes:
  - name: work
    emptyDir: {}
EOC
cat >"$demo/pods/demo-shared.yaml" <<EOC
# Two containers sharing an emptyDir: a writer and a reader.
apiVersion: v1
kind: Pod
metadata:
  name: demo-shared
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: writer
    image: $image
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "while true; do date >> /scratch/log; sleep 5; done"]
    volumeMounts:
    - name: scratch
      mountPath: /scratch
  - name: reader
    image: $image
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "while [ ! -e /scratch/log ]; do sleep 1; done; tail -f /scratch/log"]
    volumeMounts:
    - name: scratch
      mountPath: /scratch
      readOnly: true
  volumes:
  - name: scratch
    emptyDir: {}
EOC
echo "demo: pods in $demo/pods; status: ./tank status --config $demo/tank.ini" >&2
exec ./tank agent --config "$demo/tank.ini"

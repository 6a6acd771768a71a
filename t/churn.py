#!/usr/bin/env python3
"""Churn driver for t6030: PODS pods created, edited (replaced) and deleted ROUNDS times
through the pods directory of a running agent.

The driver is one process that talks to the status API over its unix socket and reads /proc
itself, so the harness costs little next to the agent it measures (a shell loop of `tank
status | jq` and pgrep took a third of a core). After each round, with no pod left, it prints
the agent's fds, RSS (kB), the mounts under TMP and the processes of this run, and the time
each phase took. It exits non-zero, naming the round and phase, when a phase does not converge
within its deadline.

usage: churn.py SOCK PODS_DIR TMP IMAGE AGENT_PID PODS ROUNDS BASE
  BASE: a four-digit number; workloads run `sleep BASE0001..` (created) and `sleep BASE5001..`
  (edited), so this run's processes are told from anyone else's.
"""
import json
import os
import socket
import sys
import time


def status(sock_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    try:
        s.connect(sock_path)
        s.sendall(b"GET /v1/pods HTTP/1.0\r\nHost: tank\r\n\r\n")
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    finally:
        s.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    line = head.split(b"\r\n")[0]
    if line.split()[1:2] != [b"200"]:
        raise RuntimeError("status API: " + line.decode(errors="replace"))
    return json.loads(body)


def our_sleeps(base, edited=None):
    """pids of `sleep BASE....` (edited: only BASE5001.. when True, BASE0001.. when False)."""
    n = 0
    prefix = b"sleep\0" + str(base).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if not cmd.startswith(prefix) or len(cmd) != len(prefix) + 5:
            continue
        if edited is None or (cmd[len(prefix)] >= ord("5")) == edited:
            n += 1
    return n


def measure(pid, tmp, base):
    # The status call just answered may still hold its connection for a moment: the fewest
    # fds over a quarter of a second is what the agent keeps (a leak stays).
    fds = None
    for _ in range(5):
        n = len(os.listdir("/proc/%d/fd" % pid))
        fds = n if fds is None else min(fds, n)
        time.sleep(0.05)
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open("/proc/self/mountinfo") as f:
        mounts = sum(1 for line in f if (" " + tmp + "/") in line)
    return fds, rss, mounts, our_sleeps(base)


def manifest(name, image, sleep):
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {image}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep {sleep} & wait"]
"""


def put(pods_dir, name, text):
    tmp = os.path.join(pods_dir, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(pods_dir, name + ".yaml"))


def wait(what, cond, deadline_s):
    end = time.monotonic() + deadline_s
    while True:
        if cond():
            return
        if time.monotonic() > end:
            raise TimeoutError(what)
        time.sleep(0.05)


def main(argv):
    if len(argv) != 9:
        sys.exit(__doc__)
    sock, pods_dir, tmp, image = argv[1:5]
    agent, npods, rounds, base = (int(a) for a in argv[5:9])
    names = ["c%d" % i for i in range(1, npods + 1)]

    def running():
        st = status(sock)
        return sum(1 for p in st["pods"] if p["phase"] == "Running") == npods

    def empty():
        return len(status(sock)["pods"]) == 0

    first = None
    t_start = time.monotonic()
    for r in range(1, rounds + 1):
        ms = []
        t0 = time.monotonic()
        try:
            for i, n in enumerate(names, 1):
                put(pods_dir, n, manifest(n, image, base * 10000 + i))
            wait("create: all pods Running", running, 180)
            ms.append(time.monotonic() - t0)
            t0 = time.monotonic()
            for i, n in enumerate(names, 1):
                put(pods_dir, n, manifest(n, image, base * 10000 + 5000 + i))
            wait("edit: every workload replaced",
                 lambda: our_sleeps(base, True) == npods and our_sleeps(base, False) == 0, 180)
            wait("edit: all pods Running", running, 180)
            ms.append(time.monotonic() - t0)
            t0 = time.monotonic()
            for n in names:
                os.unlink(os.path.join(pods_dir, n + ".yaml"))
            wait("delete: no pod left", empty, 180)
            ms.append(time.monotonic() - t0)
        except TimeoutError as e:
            print("round %d: timed out: %s" % (r, e), flush=True)
            return 1
        m = measure(agent, tmp, base)
        if first is None:
            first = m
        print("round %d: fds rss_kb mounts procs = %d %d %d %d; create/edit/delete ms = %s"
              % ((r,) + m + (" ".join("%d" % (x * 1000) for x in ms),)), flush=True)
    print("%d rounds of %d pods in %d s" % (rounds, npods, time.monotonic() - t_start))
    print("first %d %d %d %d" % first)
    print("last %d %d %d %d" % m)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

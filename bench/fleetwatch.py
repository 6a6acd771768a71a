#!/usr/bin/env python3
"""The clock of bench/fleet.sh, kept off the hosts' CPU: it reads what each host records
(the publish link's mtime, the agent's persistent events) instead of asking its agent.

fleetwatch.py T N REV GEN: wait until each host I (1..N) has published REV
(T/hI/repo/current -> .worktrees/REV) and converged to generation GEN (a "Started" event of
own-GEN, and of shared-GEN on odd hosts; a "Stopped" event of each pod of generation GEN-1
it ran), then print one line per host: "I PUBLISHED CONVERGED" (Unix time, seconds).
PUBLISHED is the link's mtime (the symlink is made just before it is renamed into place),
CONVERGED the time of the last of those events. Exits 1 after 120 s without all."""
import json
import os
import sys
import time
from datetime import datetime, timezone


def parse_time(s):
    # "2026-01-02T03:04:05.123456789Z": datetime takes microseconds only
    base, _, frac = s.rstrip('Z').partition('.')
    t = datetime.strptime(base, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=timezone.utc)
    return t.timestamp() + (float('0.' + frac) if frac else 0.0)


class Host:
    def __init__(self, root, i, rev, gen):
        self.i = i
        self.link = f'{root}/h{i}/repo/current'
        self.events = f'{root}/h{i}/state/events.jsonl'
        self.rev = rev
        odd = i % 2 == 1
        self.want_started = {f'own-{gen}'} | ({f'shared-{gen}'} if odd else set())
        self.want_stopped = set() if gen == 1 else (
            {f'own-{gen - 1}'} | ({f'shared-{gen - 1}'} if odd else set()))
        self.pub = None
        self.times = {}
        self.offset = 0

    def poll(self):
        if self.pub is None:
            try:
                if os.readlink(self.link) == f'.worktrees/{self.rev}':
                    self.pub = os.lstat(self.link).st_mtime_ns / 1e9
            except OSError:
                pass
        try:
            with open(self.events, 'rb') as f:
                size = os.fstat(f.fileno()).st_size
                if size < self.offset:  # rotated
                    self.offset = 0
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b'\n') + 1
        self.offset += end
        for line in data[:end].splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            key = (e.get('pod'), e.get('reason'))
            if (key[1] == 'Started' and key[0] in self.want_started) or \
               (key[1] == 'Stopped' and key[0] in self.want_stopped):
                self.times[key] = parse_time(e['time'])

    def done(self):
        need = {(p, 'Started') for p in self.want_started} | \
               {(p, 'Stopped') for p in self.want_stopped}
        return self.pub is not None and need <= set(self.times)


def main():
    root, n, rev, gen = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    hosts = [Host(root, i, rev, gen) for i in range(1, n + 1)]
    deadline = time.monotonic() + 120
    while not all(h.done() for h in hosts):
        if time.monotonic() > deadline:
            late = [h.i for h in hosts if not h.done()]
            print(f'fleetwatch: hosts {late} did not converge to {rev}', file=sys.stderr)
            return 1
        for h in hosts:
            if not h.done():
                h.poll()
        time.sleep(0.05)
    for h in hosts:
        print(h.i, f'{h.pub:.6f}', f'{max(h.times.values()):.6f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""treelist.py DIR: one line per entry under DIR (DIR itself excluded), sorted: path, type,
mode, owner, size, content sha256 or link target or device numbers, and hardlink groups
(entries sharing an inode get the same group name). Two trees are equal when their listings
are. Used to compare `tank unpack` with `umoci unpack`."""
import hashlib
import os
import stat
import sys


def main(root):
    lines = []
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            m = st.st_mode
            kind = stat.S_IFMT(m)
            desc = ""
            if stat.S_ISREG(m):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                desc = "sha256:" + h.hexdigest()
                if st.st_nlink > 1:
                    key = (st.st_dev, st.st_ino)
                    group = inodes.setdefault(key, rel)
                    desc += " link-group:" + group
            elif stat.S_ISLNK(m):
                desc = "-> " + os.readlink(p)
            elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
                desc = "dev %d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            size = st.st_size if stat.S_ISREG(m) or stat.S_ISLNK(m) else 0
            try:
                xattrs = sorted(x for x in os.listxattr(p, follow_symlinks=False)
                                if not x.startswith("trusted.overlay."))
            except OSError:
                xattrs = []
            xs = ""
            for x in xattrs:
                v = os.getxattr(p, x, follow_symlinks=False)
                xs += " %s=%s" % (x, v.hex())
            lines.append("%s %o %04o %d:%d %d %s%s" % (rel, kind >> 12, stat.S_IMODE(m),
                                                      st.st_uid, st.st_gid, size, desc, xs))
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main(sys.argv[1])

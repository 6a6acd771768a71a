#pragma once
/*
 * ConfigMap and Secret volumes on the host: a directory of files replaced atomically the way
 * the kubelet's AtomicWriter does it, so a reader in the container never sees a half-written
 * or mixed set: the files live in a timestamped directory "..2026_01_02_03_04_05.123456789",
 * "..data" is a symbolic link to it swapped by rename(2), and each top-level name is a link
 * "name -> ..data/name". The pod's volumes live on one tmpfs (nosuid, nodev, noexec, mode 0700:
 * only root on the host enters), so a Secret never reaches a disk.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct sandbox_file {
    const char *path; /* relative, no ".." (checked by the spec) */
    const unsigned char *data;
    size_t len;
    uint32_t mode;
};

/* base = RUN_DIR/cfgvol/POD (the tmpfs, mounted at the first call), dir = base/VOLUME.
 * Shows files in dir; does nothing when they are the same as last time (digest kept in
 * base/.VOLUME.digest). group >= 0 (fsGroup): files and directories are that group's and
 * group-readable (mode | 0440), as the kubelet leaves them. Returns 1 when it wrote, 0 when
 * unchanged, -errno with err set. */
int sandbox_cfgvol_write(const char *base, const char *volume, const struct sandbox_file *files,
                         size_t n, int64_t group, struct tk_err *err);

/* Unmount and remove base (a pod's volumes); a missing base is success. */
int sandbox_cfgvol_remove(const char *base, struct tk_err *err);

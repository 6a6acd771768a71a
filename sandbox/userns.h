#pragma once
/*
 * User namespaces of pods (spec.hostUsers: false): the host id ranges they are given, the
 * persistent record of which pod holds which range, and the idmapped mounts that show the
 * image's files to the pod's root.
 *
 * Every such pod gets SANDBOX_USERNS_SIZE (65,536) host ids, the same for uids and gids:
 * id N inside is host id START + N. The allocation is recorded in STATE_DIR/pods/POD/userns
 * ("start=N\nsize=65536\n", written atomically), so it survives agent restarts and reboots
 * (an emptyDir's files keep their owners) and is read back by whoever needs it; it is
 * released by sandbox_pod_destroy() once the pod's emptyDirs are gone. Two pods recorded
 * under STATE_DIR never get the same range.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

#define SANDBOX_USERNS_SIZE 65536u
#define SANDBOX_USERNS_MAX_RANGES 16
/* The lowest host id a range may use: ids below are the host's own users (and nobody). */
#define SANDBOX_USERNS_MIN_ID 65536u
/* The highest: 4294967295 is (uid_t)-1, "no id". */
#define SANDBOX_USERNS_MAX_ID 4294967294u
/* Where no range is configured and /etc/subuid names none: 2^31 .. 2^31 + 2^30 - 1
 * (16,384 pods). No allocator hands out ids there: useradd stops at 60000 and subordinate
 * ids at 600100000, sssd at 2000200000, systemd-nspawn at 1879048191 (systemd's
 * UIDS-GIDS.md leaves 2^31 and up unassigned). */
#define SANDBOX_USERNS_DEFAULT_START 2147483648u
#define SANDBOX_USERNS_DEFAULT_COUNT 1073741824u

/* A range of host ids: count ids from start (the same for uids and gids). */
struct sandbox_id_range {
    uint32_t start;
    uint32_t count;
};

/*
 * Parse "START:COUNT" entries (separated by blanks or commas) into out (at most
 * SANDBOX_USERNS_MAX_RANGES). Each must start at SANDBOX_USERNS_MIN_ID or above, end at
 * SANDBOX_USERNS_MAX_ID or below, hold a multiple of 65536 ids, and overlap no other.
 * Returns the number of ranges (>= 1), or < 0 with err set ("'5:65536' starts below 65536
 * (the host's own users)"); the caller adds where the text came from.
 */
int sandbox_userns_parse_ranges(const char *text, struct sandbox_id_range *out, struct tk_err *err);

/*
 * The ranges /etc/subuid-style files give user (by name, or by its uid as a number when
 * uid_text is not NULL): entries present with the same start in both subuid and subgid,
 * each cut to a multiple of 65536 ids; entries starting below SANDBOX_USERNS_MIN_ID or
 * overlapping an earlier one are skipped. Returns the count (0 when none, or a file is
 * missing), never fails.
 */
int sandbox_userns_subid_ranges(const char *subuid, const char *subgid, const char *user,
                                const char *uid_text, struct sandbox_id_range *out);

/*
 * Give pod a range from ranges: the one already recorded for it when that one is still
 * inside ranges and no other pod records it, else the lowest free one. Takes the lock
 * STATE_DIR/pods/.userns.lock while it decides, creates STATE_DIR/pods/POD and writes the
 * record atomically. Returns 0 with *start set, or < 0 with err set (-ENOSPC: "no free
 * user namespace range (N in use)").
 */
int sandbox_userns_alloc(const char *state_dir, const char *pod,
                         const struct sandbox_id_range *ranges, size_t n, uint32_t *start,
                         struct tk_err *err);

/* The range recorded for pod: 1 with *start set, 0 when none, < 0 on a damaged record. */
int sandbox_userns_get(const char *state_dir, const char *pod, uint32_t *start);

/* Remove pod's record (absent is fine), then STATE_DIR/pods/POD when it is empty. */
int sandbox_userns_release(const char *state_dir, const char *pod);

/*
 * A user namespace mapping 0..65535 to start..start+65535 (uids and gids), with fresh
 * namespaces of the types in flags (CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET) owned by it:
 * made by a child process (*holder) that keeps them alive, blocked, until
 * sandbox_userns_holder_end(). Their files are /proc/HOLDER/ns/{user,uts,ipc,net}. Needs
 * CAP_SETUID and CAP_SETGID (the maps are written from outside). Returns 0, or < 0 with
 * err set.
 */
int sandbox_userns_holder(uint32_t start, int flags, pid_t *holder, int *release_fd,
                          struct tk_err *err);
void sandbox_userns_holder_end(pid_t holder, int release_fd);

/*
 * A detached copy of the mount at path, idmapped through the user namespace userns_fd
 * (open_tree OPEN_TREE_CLONE + mount_setattr MOUNT_ATTR_IDMAP): a file owned by host id N
 * shows as owned by START + N. Returns the mount's fd (O_CLOEXEC), or -errno (-EINVAL or
 * -EOPNOTSUPP where the file system or kernel cannot idmap; -ENOSYS before Linux 5.12).
 */
int sandbox_idmap_clone(const char *path, int userns_fd);

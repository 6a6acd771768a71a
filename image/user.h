#pragma once
/* Users, groups and stop signals as an image names them. */
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

/* The user resolution itself, over the text of passwd and group files (either may be NULL
 * = empty). spec: "name", "uid", "uid:gid", "name:group", "uid:group" (empty/NULL = root).
 * Fills uid, gid, home (heap, NULL when the user has no passwd entry) and the supplementary
 * groups the user is a member of in group (heap array, sorted, may be empty). */
struct image_user {
    uid_t uid;
    gid_t gid;
    char *home;
    gid_t *groups;
    size_t n_groups;
};
int image_user_resolve(const char *spec, const char *passwd, const char *group,
                       struct image_user *out, struct tk_err *err);
void image_user_free(struct image_user *u);

/* Parse a StopSignal value ("SIGTERM", "TERM", "15", "SIGRTMIN+3"): the signal number, or
 * -EINVAL. */
int image_parse_signal(const char *s);

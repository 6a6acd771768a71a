#pragma once
#include "base/buf.h"

/*
 * The way from / to pods_dir, resolved one component at a time as the kernel does, noting
 * every symbolic link met (git-sync's link may sit at any level above pods_dir) and the
 * anchor. Each is a (directory, name) pair to watch: a link's swap, or pods_dir appearing,
 * going or being renamed, changes what the store reads.
 */
struct path_walk {
    struct tk_buf sig; /* "DIR\0NAME\0" per watch */
    char *root;        /* the resolved pods_dir, NULL when it is not a directory */
    char *last_link;   /* the configured path up to its last symbolic link, or NULL */
};

/* Walk path (pods_dir) into w (zeroed first; release it with walk_free). 0 also when path does
 * not lead to a directory (w->root NULL then), -errno (-ENOMEM) otherwise. */
int walk_path(const char *path, struct path_walk *w);
void walk_free(struct path_walk *w);
/* The name of the directory the last symbolic link on the way resolves to (git-sync's
 * worktree, named by the commit), or NULL. */
char *walk_revision(const struct path_walk *w);

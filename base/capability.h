#pragma once
/*
 * Linux capability names (linux/capability.h, up to CAP_CHECKPOINT_RESTORE), shared by the
 * manifest validator and the sandbox. Names are matched case-insensitively, with or without
 * the "CAP_" prefix.
 */

/* The capability's number, or -EINVAL when the name is unknown ("ALL" included). */
int tk_cap_from_name(const char *name);

/* The name without "CAP_" ("NET_ADMIN"), static; NULL when cap is out of range. */
const char *tk_cap_name(int cap);

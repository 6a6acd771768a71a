#pragma once
/* Internal to sandbox/: checking a pod's configuration (sandbox/podcfg.c). */
#include "base/err.h"
#include "sandbox/podsandbox.h"

/* Check every name, address, DNS setting and volume of cfg before anything is made:
 * 0, or -EINVAL with err naming what is wrong ("interface 'eth0': mac '...' is not a
 * unicast address"). */
int podcfg_check(const struct sandbox_pod_config *cfg, struct tk_err *err);

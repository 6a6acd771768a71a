#include "base/capability.h"

#include <errno.h>
#include <strings.h>

static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int tk_cap_from_name(const char *name)
{
    if (!strncasecmp(name, "CAP_", 4))
        name += 4;
    for (int i = 0; i < (int)(sizeof(cap_names) / sizeof(cap_names[0])); i++)
        if (!strcasecmp(name, cap_names[i]))
            return i;
    return -EINVAL;
}

const char *tk_cap_name(int cap)
{
    if (cap < 0 || cap >= (int)(sizeof(cap_names) / sizeof(cap_names[0])))
        return 0;
    return cap_names[cap];
}

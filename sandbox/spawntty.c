/* A container's terminal (tty: true). See spawn-int.h. */
#include "sandbox/spawn-int.h"

#include <errno.h>
#include <unistd.h>

#include "sandbox/container.h"

int spawn_tty_child(const struct sandbox_container_config *cfg, int sock, struct sandbox_fail *f)
{
    /* The workload's user owns its terminal (as the host sees it: in the pod's id range). */
    uid_t base = cfg->userns ? cfg->userns_id : 0;
    struct sandbox_tty t = {.chown = true, .uid = base + cfg->uid, .gid = base + cfg->gid};
    if (setsid() < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "start a session");
    return sandbox_tty_take(&t, sock, "t", 1, f);
}

int spawn_tty_recv(int sock)
{
    char byte;
    int fd;
    ssize_t n = sandbox_recv_fd(sock, &byte, 1, &fd);
    if (n == 1 && fd >= 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return n < 0 ? (int)n : -EPROTO;
}

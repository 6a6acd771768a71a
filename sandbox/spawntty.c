/* A container's terminal (tty: true). See spawn-int.h. */
#include "sandbox/spawn-int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "sandbox/container.h"

static int send_fd(int sock, int fd)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    char byte = 't';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    memset(&u, 0, sizeof(u));
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof(u.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -EPIPE;
}

int spawn_tty_child(const struct sandbox_container_config *cfg, int sock, struct sandbox_fail *f)
{
    _cleanup_close_ int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int unlock = 0;
    if (m < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "open the container's /dev/ptmx");
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "unlock the terminal");
    _cleanup_close_ int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        return sandbox_fail(f, SANDBOX_STAGE_MOUNT, errno, "open the terminal");
    /* The workload's user owns its terminal (as the host sees it: in the pod's id range). */
    uid_t base = cfg->userns ? cfg->userns_id : 0;
    if (fchown(s, base + cfg->uid, base + cfg->gid) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_USER, errno, "give the terminal to the user");
    if (setsid() < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "make the terminal controlling");
    if (send_fd(sock, m) < 0)
        return sandbox_fail(f, SANDBOX_STAGE_SETUP, EPIPE, "pass the terminal to the monitor");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(s, fd) < 0)
            return sandbox_fail(f, SANDBOX_STAGE_SETUP, errno, "dup the terminal");
    return 0;
}

int spawn_tty_recv(int sock)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return n < 0 ? -errno : -EPROTO;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -EPROTO;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

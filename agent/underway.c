/* Work under way in a child (a container start, a sandbox creation), watched in the loop: see
 * agent/podworker-int.h. */
#include "agent/podworker-int.h"

#include <sys/epoll.h>

#include "agent/loop.h"
#include "base/fs.h"
#include "base/log.h"

static void on_fd(struct loop *loop, int fd, uint32_t events, void *data);

/* Advance the work once, with the fd out of the poll set meanwhile: an advance that ends the work
 * closes it. */
static void advance(struct underway *u)
{
    int fd = u->work.fd;
    loop_del_fd(u->loop, fd);
    u->progress(u->data);
    if (u->active && u->work.fd == fd && loop_add_fd(u->loop, fd, EPOLLIN, on_fd, u) < 0)
        tk_error("watch '%s' under way: relying on its deadline", u->name);
}

static void on_fd(struct loop *loop, int fd, uint32_t events, void *data)
{
    advance(data);
}

static int64_t on_deadline(struct loop *loop, uint64_t id, void *data)
{
    struct underway *u = data;
    u->timer = 0;
    advance(u);
    if (u->active && !u->timer) /* not over yet: look again soon */
        u->timer = loop_add_timer(loop, 100, on_deadline, u);
    return LOOP_TIMER_DONE;
}

void underway_watch(struct underway *u, struct loop *loop, const char *name,
                    void (*progress)(void *data), void *data)
{
    u->loop = loop;
    u->name = name;
    u->progress = progress;
    u->data = data;
    u->active = true;
    int64_t left = u->work.deadline_ms - tk_now_monotonic_ms();
    u->timer = loop_add_timer(loop, left < 0 ? 0 : left, on_deadline, u);
    if (loop_add_fd(loop, u->work.fd, EPOLLIN, on_fd, u) < 0)
        tk_error("watch '%s' under way: relying on its deadline", name);
}

void underway_end(struct underway *u)
{
    if (!u->active)
        return;
    if (u->work.fd >= 0)
        loop_del_fd(u->loop, u->work.fd);
    loop_del_timer(u->loop, u->timer);
    u->timer = 0;
    u->active = false;
}

#include "agent/apiconn.h"

#include <poll.h>
#include <stdlib.h>

#include "base/fs.h"

struct apiconn {
    struct apiconn *prev, *next;
    struct MHD_Connection *conn;
    bool responding;
};

void apiconns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
    struct apiconns *cs = cls;
    struct apiconn *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        c = calloc(1, sizeof(*c));
        if (!c)
            return; /* only never given a new idle period */
        c->conn = conn;
        c->next = cs->head;
        if (cs->head)
            cs->head->prev = c;
        cs->head = c;
        *socket_context = c;
        return;
    }
    if (!c)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        cs->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    *socket_context = NULL;
}

void apiconn_responding(struct MHD_Connection *conn, bool on)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct apiconn *c = info ? info->socket_context : NULL;
    if (c)
        c->responding = on;
}

/* Whether the client did something the server has not seen: read some of the answer in
 * flight (the socket has room again), or sent more of its request. */
static bool moved_on(const struct apiconn *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return false;
    struct pollfd p = {.fd = info->connect_fd, .events = c->responding ? POLLOUT : POLLIN};
    if (poll(&p, 1, 0) != 1 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)))
        return false;
    return p.revents & p.events;
}

unsigned apiconns_run(struct apiconns *cs, struct MHD_Daemon *mhd)
{
    unsigned n = 0;
    if (cs->ran_at && tk_now_monotonic_ms() - cs->ran_at >= APICONN_GAP_MS) {
        for (struct apiconn *c = cs->head; c; c = c->next) {
            if (!moved_on(c))
                continue;
            /* A timeout set on a connection that had none restarts its idle period. */
            MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
            MHD_set_connection_option(c->conn, MHD_CONNECTION_OPTION_TIMEOUT, cs->idle_s);
            n++;
        }
    }
    MHD_run(mhd);
    cs->ran_at = tk_now_monotonic_ms();
    return n;
}

/*
 * The pull pipeline. The calling process never touches the network itself (so it stays
 * free of threads and may fork): a child resolves the manifest and config into the store,
 * then one worker process per missing layer (at most `parallel` at work at a time)
 * downloads, verifies and extracts it, reporting progress over a socket. A layer whose tar
 * does not list some parent directories needs the layers below it to finish (parents.c):
 * its worker says READY and waits, not counted as at work, until the pull tells it that
 * every lower layer is in the store; so does a worker waiting for another process that
 * stores the same layer. Layers are keyed by chain ID (store.c).
 */
#include "image/pull.h"
#include "image/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/child.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "image/digest.h"

/* ---- resolving the manifest and config ---- */

/* Fetch manifest + config from the registry and store them; in a child process. */
static int resolve_remote(const struct image_store *s, const struct image_ref *ref,
                          char digest[IMAGE_DIGEST_STR_SIZE], struct tk_err *err)
{
    struct registry_client *rc = NULL;
    struct registry_manifest m = {0}, pm = {0};
    struct img_manifest im = {0};
    char *config = NULL;
    size_t clen = 0;
    int r = registry_client_new(&rc, &s->ropts, err);
    if (r < 0)
        return r;
    r = registry_get_manifest(rc, ref, ref->digest ? ref->digest : ref->tag, &m, err);
    struct registry_manifest *use = &m;
    if (r == 0 && img_is_index(m.media_type, m.body, m.len)) {
        char *sel = NULL;
        r = img_index_select(m.body, m.len, &sel, err);
        if (r == 0)
            r = registry_get_manifest(rc, ref, sel, &pm, err);
        free(sel);
        use = &pm;
    }
    if (r == 0)
        r = store_put_blob(s, use->digest, use->body, use->len, err);
    if (r == 0)
        r = img_manifest_parse(use->body, use->len, &im, err);
    if (r == 0)
        r = registry_get_blob_mem(rc, ref, im.config_digest, IMG_CONFIG_MAX, &config, &clen, err);
    if (r == 0)
        r = store_put_blob(s, im.config_digest, config, clen, err);
    if (r == 0)
        snprintf(digest, IMAGE_DIGEST_STR_SIZE, "%s", use->digest);
    free(config);
    img_manifest_free(&im);
    registry_manifest_free(&m);
    registry_manifest_free(&pm);
    registry_client_free(rc);
    return r;
}

static int resolve_layout(const struct image_store *s, const struct image_ref *ref,
                          char digest[IMAGE_DIGEST_STR_SIZE], struct tk_err *err)
{
    _cleanup_free_ char *body = NULL, *d = NULL, *config = NULL;
    size_t len, clen;
    struct img_manifest im = {0};
    int r = ocilayout_get_manifest(ref, &body, &len, &d, err);
    if (r == 0)
        r = store_put_blob(s, d, body, len, err);
    if (r == 0)
        r = img_manifest_parse(body, len, &im, err);
    if (r == 0)
        r = ocilayout_get_blob_mem(ref->repository, im.config_digest, IMG_CONFIG_MAX, &config,
                                   &clen, err);
    if (r == 0)
        r = store_put_blob(s, im.config_digest, config, clen, err);
    if (r == 0)
        snprintf(digest, IMAGE_DIGEST_STR_SIZE, "%s", d);
    img_manifest_free(&im);
    return r;
}

static int wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return status;
}

struct resolve_args {
    const struct image_store *s;
    const struct image_ref *ref;
};

static int resolve_child(void *arg, int chan, void *out, struct tk_err *err)
{
    const struct resolve_args *a = arg;
    return resolve_remote(a->s, a->ref, out, err);
}

/* The image's manifest digest: from the layout, or from the registry by a child (the
 * registry client's connections and memory stay out of the caller). */
static int resolve(const struct image_store *s, const struct image_ref *ref,
                   char digest[IMAGE_DIGEST_STR_SIZE], struct tk_err *err)
{
    if (ref->kind == IMAGE_REF_OCI_LAYOUT)
        return resolve_layout(s, ref, digest, err);
    struct resolve_args a = {s, ref};
    int r = tk_child_run(resolve_child, &a, digest, IMAGE_DIGEST_STR_SIZE, TK_CHILD_PDEATHSIG,
                         "resolve the manifest: child", err);
    digest[IMAGE_DIGEST_STR_SIZE - 1] = '\0';
    return r;
}

/* ---- layer workers ---- */

struct worker {
    pid_t pid;
    int fd; /* a socket: the worker's messages, and the pull's go-ahead after READY */
    size_t idx;
    int finished; /* a DONE or FAIL message arrived */
    int retry;    /* it failed in a way worth another try */
    int idle;     /* waiting for a lock or for the layers below: not at work */
    int ready;    /* said READY and was not told to go on yet */
};

#define LAYER_ATTEMPTS 3

struct pull {
    struct image_store *s;
    const struct image_ref *ref;
    struct img_manifest m;
    char **diff_ids;
    char **chain_ids;
    size_t n;
    image_progress_fn progress;
    void *ctx;
    struct worker *w; /* room for one per layer */
    size_t n_running, n_idle;
    int *stored;  /* per layer: in the store (present, or done by a worker) */
    size_t floor; /* the lowest layer not stored yet */
    size_t new_layers;
    size_t *todo; /* layer indexes still to fetch (a queue; retries go to its end) */
    size_t n_todo, next;
    int *attempts;
};

/* Errors of the transfer, not of the content: a fresh worker may succeed. */
static int retryable(int code)
{
    return code == -EIO || code == -EAGAIN || code == -ETIMEDOUT || code == -ECONNREFUSED ||
           code == -ECONNRESET || code == -EHOSTUNREACH || code == -EPROTO || code == -EPIPE;
}

static void progress(struct pull *p, enum image_progress_kind kind, size_t idx, uint64_t bytes)
{
    if (!p->progress)
        return;
    struct image_progress pr = {
        .kind = kind,
        .digest = p->m.layers[idx].digest,
        .index = idx,
        .count = p->n,
        .bytes = bytes,
        .total = (uint64_t)p->m.layers[idx].size,
    };
    p->progress(p->ctx, &pr);
}

struct worker_args {
    struct pull *p;
    size_t idx;
};

/* A layer worker (TK_CHILD_PDEATHSIG: the work dies with the pull that asked for it; the
 * next pull cleans up). It talks over fd in layer_msgs, the last DONE or FAIL, and exits. */
static int worker_main(void *arg, int fd, void *out, struct tk_err *err)
{
    const struct worker_args *a = arg;
    struct pull *p = a->p;
    struct sigaction sa = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &sa, NULL);
    struct layer_msg msg = {0};
    struct layer_job job = {
        .desc = &p->m.layers[a->idx],
        .diff_id = p->diff_ids[a->idx],
        .chain_ids = p->chain_ids,
        .index = a->idx,
    };
    int r = layer_fetch(p->s, p->ref, &job, fd, &msg.err);
    msg.kind = r < 0 ? LAYER_MSG_FAIL : LAYER_MSG_DONE;
    msg.bytes = r == 1 ? 0 : 1; /* 1 = extracted by us */
    tk_write_all(fd, &msg, sizeof(msg));
    _exit(0);
}

static int spawn_worker(struct pull *p, size_t idx, struct tk_err *err)
{
    struct worker_args a = {p, idx};
    struct tk_child c;
    int r = tk_child_begin(&c, worker_main, &a, 0, TK_CHILD_SOCKET | TK_CHILD_PDEATHSIG, err);
    if (r < 0)
        return tk_err_wrap(err, "start a layer worker");
    p->w[p->n_running++] = (struct worker){.pid = c.pid, .fd = c.fd, .idx = idx};
    return 0;
}

static void set_idle(struct pull *p, struct worker *w, int idle)
{
    if (w->idle != idle)
        p->n_idle += idle ? 1 : (size_t)-1;
    w->idle = idle;
}

/* Tell the workers that said READY and whose lower layers are all stored to go on. */
static void release_ready(struct pull *p)
{
    while (p->floor < p->n && p->stored[p->floor])
        p->floor++;
    for (size_t i = 0; i < p->n_running; i++) {
        struct worker *w = &p->w[i];
        if (!w->ready || w->idx > p->floor)
            continue;
        w->ready = 0;
        set_idle(p, w, 0);
        /* a worker that died meanwhile is reaped through its EOF */
        send(w->fd, "g", 1, MSG_NOSIGNAL);
    }
}

/* A DONE or FAIL message. */
static int worker_result(struct pull *p, struct worker *w, const struct layer_msg *msg,
                         struct tk_err *err)
{
    w->finished = 1;
    set_idle(p, w, 0);
    w->ready = 0;
    if (msg->kind == LAYER_MSG_FAIL && retryable(msg->err.code) &&
        ++p->attempts[w->idx] < LAYER_ATTEMPTS) {
        w->retry = 1; /* requeued when it has exited */
        return 0;
    }
    if (msg->kind == LAYER_MSG_FAIL) {
        if (err)
            *err = msg->err;
        return msg->err.code < 0 ? msg->err.code : -EIO;
    }
    if (msg->bytes)
        p->new_layers++;
    p->stored[w->idx] = 1;
    release_ready(p);
    progress(p, msg->bytes ? IMAGE_PROGRESS_LAYER_DONE : IMAGE_PROGRESS_LAYER_EXISTS, w->idx,
             (uint64_t)p->m.layers[w->idx].size);
    return 0;
}

/* Handle one readable worker; returns <0 on a failure (err set), 1 when it ended. */
static int worker_read(struct pull *p, struct worker *w, struct tk_err *err)
{
    struct layer_msg msg;
    size_t n = tk_read_full(w->fd, &msg, sizeof(msg));
    if (n == sizeof(msg)) {
        switch (msg.kind) {
        case LAYER_MSG_BYTES:
            progress(p, IMAGE_PROGRESS_LAYER_BYTES, w->idx, msg.bytes);
            return 0;
        case LAYER_MSG_LOCKWAIT:
        case LAYER_MSG_LOCKED:
            set_idle(p, w, msg.kind == LAYER_MSG_LOCKWAIT);
            return 0;
        case LAYER_MSG_READY:
            set_idle(p, w, 1);
            w->ready = 1;
            release_ready(p);
            return 0;
        default:
            return worker_result(p, w, &msg, err);
        }
    }
    /* EOF */
    int status = wait_child(w->pid);
    w->pid = -1;
    set_idle(p, w, 0);
    if (!w->finished)
        return tk_err_set(err, -EIO, "layer %s: worker died (status %d)",
                          p->m.layers[w->idx].digest, status);
    if (w->retry)
        p->todo[p->n_todo++] = w->idx;
    return 1;
}

static void remove_worker(struct pull *p, size_t i)
{
    close(p->w[i].fd);
    p->w[i] = p->w[--p->n_running];
}

/* Stop the workers still running after a failure and clean their temp dirs. */
static void abort_workers(struct pull *p)
{
    for (size_t i = 0; i < p->n_running; i++)
        if (p->w[i].pid > 0)
            kill(p->w[i].pid, SIGTERM);
    while (p->n_running) {
        struct worker *w = &p->w[0];
        if (w->pid > 0)
            wait_child(w->pid);
        /* the extractor dies with its worker; then the lock is free and tmp can go */
        _cleanup_free_ char *name = NULL;
        if (asprintf(&name, "layer-%s", digest_hex(p->chain_ids[w->idx])) >= 0) {
            for (int tries = 0; tries < 100; tries++) {
                int lk = store_lock(p->s, name, 1, NULL);
                if (lk >= 0) {
                    layer_clean_tmp(p->s, p->chain_ids[w->idx]);
                    close(lk);
                    break;
                }
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
        }
        remove_worker(p, 0);
    }
}

static int layer_present(struct pull *p, size_t i)
{
    _cleanup_free_ char *d = store_layer_dir(p->s, p->chain_ids[i]);
    return d && access(d, F_OK) == 0;
}

/* Queue every missing layer (lowest first); the present ones count as stored. */
static int plan_layers(struct pull *p, struct tk_err *err)
{
    p->todo = calloc(p->n * LAYER_ATTEMPTS + 1, sizeof(*p->todo));
    p->attempts = calloc(p->n + 1, sizeof(*p->attempts));
    p->stored = calloc(p->n + 1, sizeof(*p->stored));
    p->w = calloc(p->n + 1, sizeof(*p->w));
    if (!p->todo || !p->attempts || !p->stored || !p->w)
        return tk_err_sys(err, -ENOMEM, "pull");
    for (size_t i = 0; i < p->n; i++) {
        if (layer_present(p, i)) {
            p->stored[i] = 1;
            progress(p, IMAGE_PROGRESS_LAYER_EXISTS, i, (uint64_t)p->m.layers[i].size);
        } else {
            p->todo[p->n_todo++] = i;
        }
    }
    release_ready(p);
    return 0;
}

/* Wait for the workers and handle what they say. */
static int poll_workers(struct pull *p, struct tk_err *err)
{
    _cleanup_free_ struct pollfd *pfd = calloc(p->n_running + 1, sizeof(*pfd));
    if (!pfd)
        return tk_err_sys(err, -ENOMEM, "pull");
    size_t np = p->n_running;
    for (size_t i = 0; i < np; i++)
        pfd[i] = (struct pollfd){.fd = p->w[i].fd, .events = POLLIN};
    if (poll(pfd, np, -1) < 0)
        return errno == EINTR ? 0 : tk_err_sys(err, -errno, "poll");
    /* backwards: remove_worker() moves the last worker into the freed slot */
    for (size_t i = np; i-- > 0;) {
        if (!pfd[i].revents)
            continue;
        int e = worker_read(p, &p->w[i], err);
        if (e < 0)
            return e;
        if (e == 1)
            remove_worker(p, i);
    }
    return 0;
}

/* Run the workers for every missing layer. */
static int fetch_layers(struct pull *p, struct tk_err *err)
{
    int r = plan_layers(p, err);
    while (r == 0 && (p->next < p->n_todo || p->n_running)) {
        while (r == 0 && p->next < p->n_todo && p->n_running - p->n_idle < (size_t)p->s->parallel)
            r = spawn_worker(p, p->todo[p->next++], err);
        if (r == 0)
            r = poll_workers(p, err);
    }
    if (r < 0)
        abort_workers(p);
    return r;
}

static int load_manifest(struct pull *p, const char *digest, struct tk_err *err)
{
    _cleanup_free_ char *mb = NULL, *cb = NULL;
    size_t ml, cl;
    struct image_config cfg = {0};
    int r = store_get_blob(p->s, digest, IMG_MANIFEST_MAX, &mb, &ml, err);
    if (r == 0)
        r = img_manifest_parse(mb, ml, &p->m, err);
    if (r == 0)
        r = store_get_blob(p->s, p->m.config_digest, IMG_CONFIG_MAX, &cb, &cl, err);
    if (r == 0)
        r = img_config_parse(cb, cl, &cfg, &p->diff_ids, &p->n, err);
    img_config_free(&cfg);
    if (r == 0 && p->n != p->m.n_layers)
        r = tk_err_set(err, -EINVAL, "image config has %zu diff_ids for %zu layers", p->n,
                       p->m.n_layers);
    if (r == 0 && store_chain_ids(p->diff_ids, p->n, &p->chain_ids) < 0)
        r = tk_err_sys(err, -ENOMEM, "image %s: chain IDs", digest);
    return r;
}

static int write_record(struct pull *p, const char *digest, struct tk_err *err)
{
    _cleanup_free_ char *key = store_ref_key(p->ref);
    char kd[IMAGE_DIGEST_STR_SIZE];
    _cleanup_free_ char *name = NULL;
    if (!key || image_digest_buf(key, strlen(key), kd) < 0 ||
        asprintf(&name, "ref-%s", digest_hex(kd)) < 0)
        return tk_err_sys(err, -ENOMEM, "write image record");
    _cleanup_close_ int lk = store_lock(p->s, name, 0, err);
    if (lk < 0)
        return lk;
    return store_write_record(p->s, key, digest, err);
}

int image_pull(struct image_store *s, const char *refstr, image_progress_fn fn, void *ctx,
               struct image_info *out, struct tk_err *err)
{
    struct image_ref ref = {0};
    struct pull p = {.s = s, .ref = &ref, .progress = fn, .ctx = ctx};
    char digest[IMAGE_DIGEST_STR_SIZE];
    if (out)
        memset(out, 0, sizeof(*out));
    int r = image_ref_parse(refstr, &ref, err);
    if (r < 0)
        return r;
    /* shared until the record is written: no collection removes what this pull stores
     * or relies on (the layers it finds present) meanwhile (store.c, the use lock) */
    int use = store_use_lock(s, 0, 0, err);
    if (use < 0) {
        image_ref_free(&ref);
        tk_err_wrap(err, "pull '%s'", refstr);
        return use;
    }
    layer_clean_stale(s);
    r = resolve(s, &ref, digest, err);
    if (r == 0)
        r = load_manifest(&p, digest, err);
    if (r == 0 && fn) {
        struct image_progress pr = {
            .kind = IMAGE_PROGRESS_MANIFEST, .digest = digest, .count = p.n};
        fn(ctx, &pr);
    }
    if (r == 0)
        r = fetch_layers(&p, err);
    if (r == 0)
        r = write_record(&p, digest, err);
    img_manifest_free(&p.m);
    img_strv_free(p.diff_ids);
    img_strv_free(p.chain_ids);
    free(p.w);
    free(p.todo);
    free(p.attempts);
    free(p.stored);
    image_ref_free(&ref);
    close(use);
    if (r < 0)
        return tk_err_wrap(err, "pull '%s'", refstr);
    return out ? image_lookup(s, refstr, out, err) : 0;
}

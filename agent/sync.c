/* The built-in git sync: git-sync v4's layout, git as children of the agent's loop. */
#include "agent/sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/loop.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"

#define SYNC_BACKOFF_FIRST_MS 2000
#define SYNC_BACKOFF_MAX_MS (5 * 60 * 1000)
#define SYNC_MAX_OUTPUT (64 * 1024)
#define SYNC_MAX_REMOVALS 16     /* worktrees removed per pass */
#define SYNC_CLEAN_DELAY_MS 5000 /* from a publish to the clean-up (see below) */

/* The stages of a pass: each runs one git command, the next one starts when it exits.
 *   IDLE -(period, sync_now)-> INIT (no ROOT/.git) | FETCH
 *   INIT -ok-> FETCH;  FETCH -ok-> REVPARSE;  REVPARSE -ok-> WORKTREE (new) | publish
 *   WORKTREE -ok-> publish;  publish -> CLEAN_WAIT -(SYNC_CLEAN_DELAY_MS)-> REMOVE (each
 *   stale worktree) -> GC -> IDLE;  CLEAN_WAIT -(sync_now)-> INIT | FETCH (clean-up later)
 *   any failure before publish -> IDLE (error kept, retried with back-off)
 * The clean-up waits: right after a publish the host's CPU goes to the pods of the new
 * revision (and, a few seconds on, the old revision's worktree is read by none of them and
 * goes in the same clean-up). */
enum sync_stage {
    STAGE_IDLE,
    STAGE_INIT,
    STAGE_FETCH,
    STAGE_REVPARSE,
    STAGE_WORKTREE,
    STAGE_CLEAN_WAIT,
    STAGE_REMOVE,
    STAGE_GC
};

static const char *const stage_names[] = {"idle",
                                          "git init",
                                          "git fetch",
                                          "git rev-parse",
                                          "git worktree add",
                                          "clean-up wait",
                                          "git worktree remove",
                                          "git gc"};

struct waiter {
    sync_done_fn fn;
    void *data;
};

struct waiters {
    struct waiter *w;
    size_t n;
};

struct sync {
    struct loop *loop;
    const struct tank_config *cfg;
    sync_in_use_fn in_use;
    void *in_use_data;
    enum sync_stage stage;
    pid_t pid;         /* the running git, 0 when none */
    int out_fd;        /* its stdout and stderr, -1 when none */
    struct tk_buf out; /* what it printed (bounded) */
    uint64_t deadline; /* timer killing it */
    bool timed_out;
    int64_t started_ms;   /* when it started (monotonic), for the debug log */
    uint64_t timer;       /* the next pass */
    uint64_t clean_timer; /* the clean-up after a publish */
    char *revision;       /* published */
    char commit[128];     /* fetched by this pass */
    char error[1024];
    int64_t last_sync_ns, last_attempt_ns;
    uint64_t failures;
    unsigned failing; /* passes failed in a row */
    unsigned removals;
    struct waiters cur;  /* told at the end of this pass */
    struct waiters next; /* asked during this pass: told at the end of the next */
};

static void start_pass(struct sync *s);
static void on_git_exit(struct loop *loop, pid_t pid, int status, void *data);

static void notify(struct waiters *ws, const char *rev, const char *error)
{
    struct waiters w = *ws;
    *ws = (struct waiters){0};
    for (size_t i = 0; i < w.n; i++)
        w.w[i].fn(rev, error, w.w[i].data);
    free(w.w);
}

static void read_output(struct sync *s)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(s->out_fd, buf, sizeof(buf))) > 0)
        if (s->out.len < SYNC_MAX_OUTPUT)
            tk_buf_add(&s->out, buf, (size_t)n);
}

static void on_output(struct loop *loop, int fd, uint32_t events, void *data)
{
    struct sync *s = data;
    read_output(s);
    if (events & (EPOLLHUP | EPOLLERR))
        loop_del_fd(loop, fd); /* closed when git has exited */
}

static int64_t on_deadline(struct loop *loop, uint64_t id, void *data)
{
    struct sync *s = data;
    s->deadline = 0;
    if (s->pid > 0) {
        s->timed_out = true;
        kill(-s->pid, SIGKILL);
    }
    return LOOP_TIMER_DONE;
}

/* Append word to a shell command line, quoted for sh (and git's split_cmdline): 'a'\''b'. */
static void add_quoted(struct tk_buf *b, const char *word)
{
    tk_buf_addc(b, '\'');
    for (; *word; word++)
        if (*word == '\'')
            tk_buf_adds(b, "'\\''");
        else
            tk_buf_addc(b, *word);
    tk_buf_addc(b, '\'');
}

/* Append " OPT" and a path for ssh: ssh expands % in it (%% is one), and splits a config
 * value (-o KEY=VALUE) at blanks unless it is double-quoted (\" and \\ inside). */
static void add_ssh_path(struct tk_buf *b, const char *opt, const char *path, bool config)
{
    _cleanup_buf_ struct tk_buf arg = TK_BUF_INIT;
    tk_buf_adds(&arg, config ? "\"" : "");
    for (const char *c = path; *c; c++) {
        if (*c == '%')
            tk_buf_addc(&arg, '%');
        else if (config && (*c == '"' || *c == '\\'))
            tk_buf_addc(&arg, '\\');
        tk_buf_addc(&arg, *c);
    }
    tk_buf_adds(&arg, config ? "\"" : "");
    tk_buf_addf(b, " %s", opt);
    add_quoted(b, tk_buf_str(&arg));
}

/* The environment of git: the agent's, no prompt, the [sync] ssh key and known hosts. */
static char **git_env(const struct sync *s, struct tk_buf *ssh)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 4, sizeof(*env));
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "GIT_", 4) && strncmp(environ[i], "LC_ALL=", 7))
            env[k++] = environ[i];
    env[k++] = "GIT_TERMINAL_PROMPT=0";
    env[k++] = "LC_ALL=C";
    if (s->cfg->sync_ssh_key || s->cfg->sync_known_hosts) {
        tk_buf_adds(ssh, "GIT_SSH_COMMAND=ssh -o BatchMode=yes");
        if (s->cfg->sync_ssh_key) {
            tk_buf_adds(ssh, " -o IdentitiesOnly=yes");
            add_ssh_path(ssh, "-i ", s->cfg->sync_ssh_key, false);
        }
        if (s->cfg->sync_known_hosts) {
            tk_buf_adds(ssh, " -o StrictHostKeyChecking=yes");
            add_ssh_path(ssh, "-o UserKnownHostsFile=", s->cfg->sync_known_hosts, true);
        }
        env[k++] = ssh->s;
    }
    return env;
}

/* Start one git command (argv without "git") for stage. -errno. */
static int run_git(struct sync *s, enum sync_stage stage, const char *const *args)
{
    const char *argv[24] = {"git", "-C", s->cfg->sync_root};
    size_t n = 3;
    for (size_t i = 0; args[i] && n < TK_ARRAY_SIZE(argv) - 1; i++)
        argv[n++] = args[i];
    _cleanup_buf_ struct tk_buf ssh = TK_BUF_INIT;
    _cleanup_free_ char **env = git_env(s, &ssh);
    int p[2];
    if (!env || pipe2(p, O_CLOEXEC) < 0)
        return env ? -errno : -ENOMEM;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0); /* a deadline kills git and what it started */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    pid_t pid;
    int r = -posix_spawnp(&pid, "git", &fa, &attr, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(p[1]);
    if (r == 0)
        r = loop_watch_child(s->loop, pid, on_git_exit, s);
    if (r < 0) {
        close(p[0]);
        return r;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    s->out_fd = p[0];
    if (loop_add_fd(s->loop, p[0], EPOLLIN, on_output, s) < 0)
        tk_debug("sync: output of git not watched (read when it exits)");
    tk_buf_reset(&s->out);
    s->pid = pid;
    s->stage = stage;
    s->timed_out = false;
    s->started_ms = tk_now_monotonic_ms();
    tk_debug("sync: %s started", stage_names[stage]);
    s->deadline = loop_add_timer(s->loop, s->cfg->sync_timeout_ms, on_deadline, s);
    return 0;
}

/* The last line git printed (its error), cleaned of control characters. */
static const char *last_line(struct sync *s, char *buf, size_t size)
{
    const char *o = tk_buf_str(&s->out);
    size_t len = strlen(o);
    while (len && (o[len - 1] == '\n' || o[len - 1] == '\r' || o[len - 1] == ' '))
        len--;
    size_t start = len;
    while (start && o[start - 1] != '\n')
        start--;
    size_t k = 0;
    for (size_t i = start; i < len && k + 1 < size; i++)
        buf[k++] = (unsigned char)o[i] < 0x20 ? ' ' : o[i];
    buf[k] = '\0';
    return k ? buf : "no output";
}

static const char *ref_name(const struct sync *s)
{
    return s->cfg->sync_ref ? s->cfg->sync_ref : "HEAD";
}

static void schedule(struct sync *s, int64_t delay_ms);

static void end_pass(struct sync *s, bool ok)
{
    s->stage = STAGE_IDLE;
    int64_t delay = s->cfg->sync_period_ms;
    if (!ok) {
        delay = SYNC_BACKOFF_FIRST_MS;
        for (unsigned i = 1; i < s->failing && delay < SYNC_BACKOFF_MAX_MS; i++)
            delay *= 2;
        if (delay > SYNC_BACKOFF_MAX_MS)
            delay = SYNC_BACKOFF_MAX_MS;
        tk_warn("sync: %s, retrying in %llds", s->error, (long long)(delay / 1000));
    }
    if (s->next.n) { /* asked during the pass: one more, now */
        s->cur = s->next;
        s->next = (struct waiters){0};
        start_pass(s);
        return;
    }
    schedule(s, delay);
}

static void fail_pass(struct sync *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_pass(struct sync *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof(s->error), fmt, ap);
    va_end(ap);
    s->failures++;
    s->failing++;
    notify(&s->cur, s->revision, s->error);
    end_pass(s, false);
}

/* A git command failed to start, or ended in failure: the pass fails. */
static void git_failed(struct sync *s, enum sync_stage stage, int spawn_err)
{
    char line[512];
    if (spawn_err)
        fail_pass(s, "%s: cannot run git: %s", stage_names[stage], strerror(-spawn_err));
    else if (s->timed_out)
        fail_pass(s, "%s '%s' (%s): timed out after %llds", stage_names[stage], s->cfg->sync_repo,
                  ref_name(s), (long long)(s->cfg->sync_timeout_ms / 1000));
    else
        fail_pass(s, "%s '%s' (%s): %s", stage_names[stage], s->cfg->sync_repo, ref_name(s),
                  last_line(s, line, sizeof(line)));
}

static void stage_git(struct sync *s, enum sync_stage stage, const char *const *args)
{
    int r = run_git(s, stage, args);
    if (r < 0)
        git_failed(s, stage, r);
}

/* git fetch, without its own `git maintenance run --auto` (the clean-up's git gc --auto
 * does that, later, away from the pods' start). depth 0 is the whole history: a repository
 * made shallow by an earlier depth is deepened (--unshallow). */
static void fetch(struct sync *s)
{
    char depth[32];
    snprintf(depth, sizeof(depth), "--depth=%lld", (long long)s->cfg->sync_depth);
    _cleanup_buf_ struct tk_buf shallow = TK_BUF_INIT;
    tk_buf_addf(&shallow, "%s/.git/shallow", s->cfg->sync_root);
    const char *history = s->cfg->sync_depth             ? depth
                          : access(shallow.s, F_OK) == 0 ? "--unshallow"
                                                         : "--quiet";
    const char *args[] = {"fetch", "--quiet", "--no-tags",       "--force",   "--no-auto-gc",
                          history, "--",      s->cfg->sync_repo, ref_name(s), NULL};
    stage_git(s, STAGE_FETCH, args);
}

static void gc(struct sync *s)
{
    const char *args[] = {"gc", "--auto", "--quiet", NULL};
    stage_git(s, STAGE_GC, args);
}

/* The next worktree to remove (not published, not in use), or gc when none is left. */
static void clean(struct sync *s)
{
    _cleanup_buf_ struct tk_buf dir = TK_BUF_INIT;
    tk_buf_addf(&dir, "%s/.worktrees", s->cfg->sync_root);
    _cleanup_closedir_ DIR *d = s->removals < SYNC_MAX_REMOVALS ? opendir(dir.s) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || (s->revision && !strcmp(e->d_name, s->revision)) ||
            (s->in_use && s->in_use(e->d_name, s->in_use_data)))
            continue;
        char path[512];
        snprintf(path, sizeof(path), ".worktrees/%s", e->d_name);
        const char *args[] = {"worktree", "remove", "--force", path, NULL};
        tk_info("sync: removing the worktree of %s (no longer used)", e->d_name);
        s->removals++;
        if (run_git(s, STAGE_REMOVE, args) == 0)
            return;
    }
    gc(s);
}

/* Rename a new link to .worktrees/COMMIT over ROOT/LINK. -errno. */
static int publish_link(struct sync *s)
{
    _cleanup_buf_ struct tk_buf target = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf tmp = TK_BUF_INIT;
    _cleanup_buf_ struct tk_buf link = TK_BUF_INIT;
    tk_buf_addf(&target, ".worktrees/%s", s->commit);
    tk_buf_addf(&tmp, "%s/.%s.tmp", s->cfg->sync_root, s->cfg->sync_link);
    tk_buf_addf(&link, "%s/%s", s->cfg->sync_root, s->cfg->sync_link);
    unlink(tmp.s);
    if (symlink(target.s, tmp.s) < 0 || rename(tmp.s, link.s) < 0) {
        int e = -errno;
        unlink(tmp.s);
        return e;
    }
    return 0;
}

/* The clean-up has ended: the next pass is due when its timer fires, or now when it fired
 * meanwhile or someone asked for one. */
static void end_clean(struct sync *s)
{
    s->stage = STAGE_IDLE;
    if (s->next.n) {
        s->cur = s->next;
        s->next = (struct waiters){0};
        start_pass(s);
    } else if (!s->timer) {
        start_pass(s);
    }
}

static int64_t on_clean_timer(struct loop *loop, uint64_t id, void *data)
{
    struct sync *s = data;
    s->clean_timer = 0;
    s->removals = 0;
    clean(s);
    return LOOP_TIMER_DONE;
}

/* The pass has its commit checked out: publish it (when new), tell the waiters, clean up. */
static void publish(struct sync *s)
{
    bool changed = !s->revision || strcmp(s->revision, s->commit);
    if (changed) {
        int r = publish_link(s);
        char *rev = r == 0 ? strdup(s->commit) : NULL;
        if (!rev) {
            fail_pass(s, "publish %s as '%s/%s': %s", s->commit, s->cfg->sync_root,
                      s->cfg->sync_link, strerror(r < 0 ? -r : ENOMEM));
            return;
        }
        free(s->revision);
        s->revision = rev;
        tk_info("sync: published %s of '%s' (%s)", rev, s->cfg->sync_repo, ref_name(s));
    }
    s->error[0] = '\0';
    s->failing = 0;
    s->last_sync_ns = tk_now_realtime_ns();
    notify(&s->cur, s->revision, NULL);
    if (s->next.n) { /* asked for more meanwhile: that pass first, the clean-up after it */
        end_pass(s, true);
        return;
    }
    schedule(s, s->cfg->sync_period_ms); /* the period counts from the publish */
    int64_t delay = SYNC_CLEAN_DELAY_MS;
    if (delay > s->cfg->sync_period_ms / 2)
        delay = s->cfg->sync_period_ms / 2;
    s->stage = STAGE_CLEAN_WAIT;
    s->clean_timer = loop_add_timer(s->loop, changed ? delay : 0, on_clean_timer, s);
    if (!s->clean_timer)
        on_clean_timer(s->loop, 0, s);
}

static bool worktree_ready(const struct sync *s, const char *commit)
{
    _cleanup_buf_ struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/.worktrees/%s/.git", s->cfg->sync_root, commit);
    return access(p.s, F_OK) == 0;
}

/* rev-parse printed the fetched commit: check it out unless it is already. */
static void checkout(struct sync *s)
{
    char line[512];
    const char *c = last_line(s, line, sizeof(line));
    size_t len = strlen(c);
    if (len < 40 || len >= sizeof(s->commit) || c[strspn(c, "0123456789abcdef")]) {
        fail_pass(s, "git rev-parse: unexpected answer '%s'", c);
        return;
    }
    memcpy(s->commit, c, len + 1);
    if (worktree_ready(s, s->commit)) {
        publish(s);
        return;
    }
    _cleanup_buf_ struct tk_buf p = TK_BUF_INIT;
    tk_buf_addf(&p, "%s/.worktrees/%s", s->cfg->sync_root, s->commit);
    tk_rm_rf(p.s); /* a checkout cut short (crash): start again */
    char rel[200];
    snprintf(rel, sizeof(rel), ".worktrees/%s", s->commit);
    const char *args[] = {"worktree", "add", "--quiet", "--force",
                          "--detach", rel,   s->commit, NULL};
    stage_git(s, STAGE_WORKTREE, args);
}

static void on_git_exit(struct loop *loop, pid_t pid, int status, void *data)
{
    struct sync *s = data;
    if (s->out_fd >= 0) {
        read_output(s);
        loop_del_fd(loop, s->out_fd);
        close(s->out_fd);
        s->out_fd = -1;
    }
    loop_del_timer(loop, s->deadline);
    s->deadline = 0;
    s->pid = 0;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !s->timed_out;
    enum sync_stage stage = s->stage;
    tk_debug("sync: %s %s after %lldms", stage_names[stage], ok ? "done" : "failed",
             (long long)(tk_now_monotonic_ms() - s->started_ms));
    if (!ok && stage != STAGE_REMOVE && stage != STAGE_GC) {
        git_failed(s, stage, 0);
        return;
    }
    char line[512];
    const char *revparse[] = {"rev-parse", "--verify", "--quiet", "FETCH_HEAD^{commit}", NULL};
    switch (stage) {
    case STAGE_INIT:
        fetch(s);
        break;
    case STAGE_FETCH:
        stage_git(s, STAGE_REVPARSE, revparse);
        break;
    case STAGE_REVPARSE:
        checkout(s);
        break;
    case STAGE_WORKTREE:
        publish(s);
        break;
    case STAGE_REMOVE:
        if (!ok)
            tk_warn("sync: %s: %s", stage_names[stage], last_line(s, line, sizeof(line)));
        clean(s);
        break;
    case STAGE_GC:
        if (!ok)
            tk_warn("sync: %s: %s", stage_names[stage], last_line(s, line, sizeof(line)));
        end_clean(s);
        break;
    case STAGE_IDLE:
    case STAGE_CLEAN_WAIT:
        break;
    }
}

static void start_pass(struct sync *s)
{
    s->last_attempt_ns = tk_now_realtime_ns();
    if (!s->cfg->sync_repo) { /* [sync] repo emptied by a reload (SIGHUP) */
        fail_pass(s, "no [sync] repo is configured any more (restart the agent to stop syncing)");
        return;
    }
    _cleanup_buf_ struct tk_buf git = TK_BUF_INIT;
    tk_buf_addf(&git, "%s/.git", s->cfg->sync_root);
    if (access(git.s, F_OK) == 0) {
        fetch(s);
        return;
    }
    int r = config_make_dir(s->cfg, s->cfg->sync_root, false);
    if (r < 0) {
        s->stage = STAGE_INIT;
        fail_pass(s, "create '%s': %s", s->cfg->sync_root, strerror(-r));
        return;
    }
    const char *args[] = {"init", "--quiet", NULL};
    stage_git(s, STAGE_INIT, args);
}

static int64_t on_timer(struct loop *loop, uint64_t id, void *data)
{
    struct sync *s = data;
    s->timer = 0;
    if (s->stage == STAGE_CLEAN_WAIT) { /* the clean-up after this pass */
        loop_del_timer(s->loop, s->clean_timer);
        s->clean_timer = 0;
        s->stage = STAGE_IDLE;
    }
    if (s->stage == STAGE_IDLE)
        start_pass(s);
    return LOOP_TIMER_DONE;
}

static void schedule(struct sync *s, int64_t delay_ms)
{
    loop_del_timer(s->loop, s->timer);
    s->timer = loop_add_timer(s->loop, delay_ms, on_timer, s);
}

static int add_waiter(struct waiters *ws, sync_done_fn fn, void *data)
{
    struct waiter *w = realloc(ws->w, (ws->n + 1) * sizeof(*w));
    if (!w)
        return -ENOMEM;
    ws->w = w;
    w[ws->n++] = (struct waiter){fn, data};
    return 0;
}

int sync_now(struct sync *s, sync_done_fn fn, void *data)
{
    if (s->stage == STAGE_CLEAN_WAIT) { /* the clean-up after the next pass */
        loop_del_timer(s->loop, s->clean_timer);
        s->clean_timer = 0;
        s->stage = STAGE_IDLE;
    }
    if (s->stage != STAGE_IDLE)
        return add_waiter(&s->next, fn, data);
    int r = add_waiter(&s->cur, fn, data);
    if (r == 0) {
        loop_del_timer(s->loop, s->timer);
        s->timer = 0;
        start_pass(s);
    }
    return r;
}

/* The commit ROOT/LINK points to (published before this agent started), or NULL. */
static char *read_published(const struct tank_config *cfg)
{
    _cleanup_buf_ struct tk_buf link = TK_BUF_INIT;
    tk_buf_addf(&link, "%s/%s", cfg->sync_root, cfg->sync_link);
    char target[512];
    ssize_t n = readlink(link.s, target, sizeof(target) - 1);
    if (n <= 0)
        return NULL;
    target[n] = '\0';
    const char *slash = strrchr(target, '/');
    return strdup(slash ? slash + 1 : target);
}

struct sync *sync_new(struct loop *loop, const struct tank_config *cfg, sync_in_use_fn in_use,
                      void *in_use_data, struct tk_err *err)
{
    struct sync *s = calloc(1, sizeof(*s));
    if (!s) {
        tk_err_sys(err, -ENOMEM, "start the git sync");
        return NULL;
    }
    *s = (struct sync){.loop = loop, .cfg = cfg, .in_use = in_use, .in_use_data = in_use_data};
    s->out_fd = -1;
    s->revision = read_published(cfg);
    s->timer = loop_add_timer(loop, 0, on_timer, s);
    if (!s->timer) {
        tk_err_sys(err, -ENOMEM, "start the git sync");
        sync_free(s);
        return NULL;
    }
    tk_info("sync: '%s' (%s) into '%s/%s' every %llds", cfg->sync_repo, ref_name(s), cfg->sync_root,
            cfg->sync_link, (long long)(cfg->sync_period_ms / 1000));
    return s;
}

void sync_free(struct sync *s)
{
    if (!s)
        return;
    if (s->pid > 0) { /* its pidfd callback never runs again: the loop is ending */
        kill(-s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    if (s->out_fd >= 0) {
        loop_del_fd(s->loop, s->out_fd);
        close(s->out_fd);
    }
    loop_del_timer(s->loop, s->deadline);
    loop_del_timer(s->loop, s->timer);
    loop_del_timer(s->loop, s->clean_timer);
    notify(&s->cur, s->revision, "the agent is stopping");
    notify(&s->next, s->revision, "the agent is stopping");
    tk_buf_free(&s->out);
    free(s->revision);
    free(s);
}

void sync_get_status(const struct sync *s, struct sync_status *out)
{
    *out = (struct sync_status){
        .repo = s->cfg->sync_repo,
        .ref = s->cfg->sync_ref,
        .revision = s->revision,
        .last_sync_ns = s->last_sync_ns,
        .last_attempt_ns = s->last_attempt_ns,
        .error = s->error[0] ? s->error : NULL,
        .failures = s->failures,
    };
}

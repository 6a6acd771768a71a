/* The runtime seam's real implementation, over sandbox/ and image/: containers, images and
 * the runtime itself (pods: runtime_pod.c). See runtime.h. */
#include "agent/runtime.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/confine.h"
#include "agent/loop.h"
#include "agent/runtime-int.h"
#include "agent/volumes.h"
#include "agent/runtime_cg.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/cleanup.h"
#include "base/fs.h"
#include "base/log.h"
#include "image/image.h"
#include "image/imgconfig.h"
#include "sandbox/cgroup.h"
#include "sandbox/cfgvol.h"
#include "sandbox/container.h"
#include "sandbox/podsandbox.h"

char *runtime_log_path(const char *log_dir, const char *pod, const char *ctr)
{
    struct tk_buf b = TK_BUF_INIT;
    tk_buf_addf(&b, "%s/%s/%s.log", log_dir, pod, ctr);
    return tk_buf_detach(&b);
}

/* One CRI line ("TIME STREAM TAG TEXT") into b: its text, and a newline after an "F" one. */
static void cri_line(struct tk_buf *b, const char *line, size_t len)
{
    const char *end = line + len, *p = line;
    for (int field = 0; field < 3 && p < end; field++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp) {
            if (field == 2 && end - p == 1 && *p == 'F') /* an empty full line */
                tk_buf_addc(b, '\n');
            return;
        }
        if (field == 2) {
            tk_buf_add(b, sp + 1, (size_t)(end - sp - 1));
            if (*p == 'F')
                tk_buf_addc(b, '\n');
            return;
        }
        p = sp + 1;
    }
}

int runtime_log_tail(const char *path, int lines, char *out, size_t size)
{
    enum { WINDOW = 64 << 10 };
    if (!size)
        return -EINVAL;
    out[0] = '\0';
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -EINVAL;
    off_t from = st.st_size > WINDOW ? st.st_size - WINDOW : 0;
    _cleanup_free_ char *raw = malloc(WINDOW + 1);
    if (!raw)
        return -ENOMEM;
    ssize_t n = pread(fd, raw, WINDOW, from);
    if (n < 0)
        return -errno;
    size_t start = 0;
    if (from > 0) /* a partial first line is not one */
        while (start < (size_t)n && raw[start++] != '\n')
            ;
    _cleanup_buf_ struct tk_buf b = TK_BUF_INIT;
    for (size_t i = start; i < (size_t)n;) {
        const char *nl = memchr(raw + i, '\n', (size_t)n - i);
        size_t len = nl ? (size_t)(nl - raw) - i : (size_t)n - i;
        cri_line(&b, raw + i, len);
        i += len + 1;
    }
    /* The last `lines` lines of the text (its final newline ends the last one), then its
     * last size - 1 bytes. */
    size_t len = b.len, cut = 0, end = len && b.s[len - 1] == '\n' ? len - 1 : len;
    int seen = 0;
    for (size_t i = end; i > 0; i--)
        if (b.s[i - 1] == '\n' && ++seen == lines) {
            cut = i;
            break;
        }
    if (len - cut > size - 1)
        cut = len - (size - 1);
    memcpy(out, b.s ? b.s + cut : "", len - cut);
    out[len - cut] = '\0';
    return (int)(len - cut);
}

/* Before a new instance of a container starts, its last instance's log (LOG and its
 * rotations LOG.N) becomes LOG.prev (LOG.prev.N), replacing the one before: the last two
 * instances are kept, as the kubelet keeps N.log per restart for kubectl logs --previous. */
static void retire_log(const char *log)
{
    char from[PATH_MAX], to[PATH_MAX];
    struct stat st;
    if (lstat(log, &st) < 0)
        return;
    for (int i = 0; i < SANDBOX_LOG_MAX_FILES; i++) {
        snprintf(to, sizeof(to), i ? "%s.prev.%d" : "%s.prev", log, i);
        if (unlink(to) < 0 && errno == ENOENT && i)
            break;
    }
    for (int i = 0; i < SANDBOX_LOG_MAX_FILES; i++) {
        snprintf(from, sizeof(from), i ? "%s.%d" : "%s", log, i);
        snprintf(to, sizeof(to), i ? "%s.prev.%d" : "%s.prev", log, i);
        if (rename(from, to) < 0 && errno == ENOENT && i)
            break;
    }
}

/* sandbox_ctr_path(dir, pod, ctr) on the heap (ctr NULL: the pod's containers). */
char *ctr_path(const char *dir, const char *pod, const char *ctr)
{
    size_t size = strlen(dir) + strlen(pod) + (ctr ? strlen(ctr) : 0) + 32;
    char *path = tk_xmalloc(size);
    if (sandbox_ctr_path(path, size, dir, pod, ctr) < 0)
        abort(); /* the size always fits */
    return path;
}

char *runtime_ctr_state_dir(const char *run_dir, const char *pod, const char *ctr)
{
    return ctr_path(run_dir, pod, ctr);
}

char *ctr_state_dir(const struct host_rt *h, const char *pod, const char *ctr)
{
    return runtime_ctr_state_dir(h->cfg->run_dir, pod, ctr);
}

/* STATE_DIR/pods/POD/containers/CTR: its writable layer. */
char *ctr_rw_dir(const struct host_rt *h, const char *pod, const char *ctr)
{
    return ctr_path(h->cfg->state_dir, pod, ctr);
}

/* ---- signals around forks ----
 * The agent blocks the signals it reads through its signalfd; children would inherit that
 * mask, and a workload with SIGTERM blocked cannot stop gracefully. Around a spawn the mask
 * is emptied; a signal arriving meanwhile is caught and raised again afterwards. */
static volatile sig_atomic_t caught[NSIG];
static const int relayed[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE};

static void catch_signal(int sig)
{
    caught[sig] = 1;
}

static void unblock_all(sigset_t *old)
{
    struct sigaction sa = {.sa_handler = catch_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < TK_ARRAY_SIZE(relayed); i++)
        sigaction(relayed[i], &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, old);
}

static void reblock(const sigset_t *old)
{
    sigprocmask(SIG_SETMASK, old, NULL);
    for (size_t i = 0; i < TK_ARRAY_SIZE(relayed); i++)
        if (caught[relayed[i]]) {
            caught[relayed[i]] = 0;
            if (relayed[i] != SIGPIPE)
                raise(relayed[i]); /* blocked again: it goes to the signalfd */
        }
}

/* The image store, opened on first use (so an agent whose store is not usable yet still
 * serves its status and retries). */
static int open_images(struct host_rt *h, struct tk_err *err)
{
    if (h->images)
        return 0;
    struct image_store_opts opts = {
        .state_dir = h->cfg->state_dir,
        .registry =
            {
                .insecure = (const char *const *)h->cfg->insecure,
                .n_insecure = h->cfg->n_insecure,
                .mirrors = (const char *const *)h->cfg->mirror,
                .n_mirrors = h->cfg->n_mirror,
                .auth_file = h->cfg->auth_file,
                .notice = tk_log_notice,
                .config_path = h->cfg->path,
            },
        .max_layer_size = h->cfg->max_layer_size,
    };
    return image_store_open(&h->images, &opts, err);
}

/* ---- images ---- */

static int host_image_lookup(void *impl, const char *image, char *digest, size_t size,
                             struct tk_err *err)
{
    struct host_rt *h = impl;
    struct image_info info = {0};
    int r = open_images(h, err);
    if (r == 0)
        r = image_lookup(h->images, image, &info, err);
    if (r < 0)
        return r;
    snprintf(digest, size, "%s", info.manifest_digest ? info.manifest_digest : "");
    image_info_free(&info);
    return 0;
}

/* Merge the "auths" of the pod's imagePullSecrets (first wins) over those of the
 * configured auth_file into one file on the pod's tmpfs (RUN_DIR/cfgvol/POD/.pull-auth,
 * root only); its path in out. 0 when the pod has none (out empty). */
static int pull_auth_file(struct host_rt *h, const struct spec_pod *pod, char *out, size_t size,
                          struct tk_err *err)
{
    out[0] = 0;
    if (!pod || !pod->n_pull_auth)
        return 0;
    json_t *auths = json_object();
    for (size_t i = 0; i <= pod->n_pull_auth; i++) {
        json_t *doc = i < pod->n_pull_auth ? json_loads(pod->pull_auth[i], 0, NULL)
                      : h->cfg->auth_file  ? json_load_file(h->cfg->auth_file, 0, NULL)
                                           : NULL;
        const char *host;
        json_t *v;
        json_object_foreach(json_object_get(doc, "auths"), host, v)
        {
            if (!json_object_get(auths, host))
                json_object_set(auths, host, v);
        }
        json_decref(doc);
    }
    json_t *root = json_pack("{s:o}", "auths", auths);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    _cleanup_free_ char *base = cfgvol_dir(h->cfg->run_dir, pod->name);
    if (!text || !base) {
        free(text);
        return tk_err_sys(err, -ENOMEM, "imagePullSecrets of pod '%s'", pod->name);
    }
    struct sandbox_file f = {"config.json", (unsigned char *)text, strlen(text), 0600};
    int r = sandbox_cfgvol_write(base, ".pull-auth", &f, 1, -1, err);
    explicit_bzero(text, strlen(text));
    free(text);
    if (r < 0)
        return tk_err_wrap(err, "imagePullSecrets of pod '%s'", pod->name);
    snprintf(out, size, "%s/.pull-auth/config.json", base);
    return 0;
}

static int host_pull_spawn(void *impl, const struct spec_pod *pod, const char *image, pid_t *pid,
                           int *out_fd, struct tk_err *err)
{
    struct host_rt *h = impl;
    int p[2];
    char auth[4200];
    if (pull_auth_file(h, pod, auth, sizeof(auth), err) < 0)
        return -EIO;
    if (pipe2(p, O_CLOEXEC) < 0)
        return tk_err_sys(err, -errno, "pull '%s'", image);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    char *argv[] = {"tank",
                    "pull",
                    "--config",
                    h->cfg->path ? h->cfg->path : "/dev/null",
                    auth[0] ? "--auth-file" : (char *)image,
                    auth[0] ? auth : NULL,
                    auth[0] ? (char *)image : NULL,
                    NULL};
    int r = loop_spawn_self(argv, p[1], pid);
    close(p[1]);
    if (r < 0) {
        close(p[0]);
        return tk_err_sys(err, r, "pull '%s': start 'tank pull'", image);
    }
    *out_fd = p[0];
    return 0;
}

/* ---- containers ---- */

static const struct spec_volume *find_volume(const struct spec_pod *pod, const char *name)
{
    for (size_t i = 0; i < pod->n_volumes; i++)
        if (!strcmp(pod->volumes[i].name, name))
            return &pod->volumes[i];
    return NULL;
}

_Static_assert(SPEC_MAX_VOLUME_MOUNTS == SANDBOX_MAX_MOUNTS,
               "tank validate must refuse what a container start refuses");

/* The container's volume mounts: each volume's root as a host path (heap strings in srcs[]);
 * subPath is resolved beneath it by the sandbox, never joined to it here (see
 * sandbox/volmount.c). */
static int build_mounts(struct host_rt *h, const struct spec_pod *pod,
                        const struct spec_container *c, struct sandbox_mount *mounts, char **srcs,
                        struct tk_err *err)
{
    if (c->n_mounts > SANDBOX_MAX_MOUNTS)
        return tk_err_set(err, -E2BIG, "too many volumeMounts (%zu, at most %d)", c->n_mounts,
                          SANDBOX_MAX_MOUNTS);
    for (size_t i = 0; i < c->n_mounts; i++) {
        const struct spec_mount *m = &c->mounts[i];
        const struct spec_volume *v = find_volume(pod, m->name);
        if (!v)
            return tk_err_set(err, -EINVAL, "volume '%s' is not declared", m->name);
        char base[4096];
        bool cfg = SPEC_VOLUME_IS_GENERATED(v->kind);
        if (v->kind == SPEC_VOLUME_HOST_PATH)
            snprintf(base, sizeof(base), "%s", v->host_path);
        else if (v->kind == SPEC_VOLUME_PVC) {
            if (volumes_path(h->cfg->state_dir, v->ref_name, base, sizeof(base)) < 0)
                return tk_err_set(err, -ENAMETOOLONG, "volume '%s': path too long", v->name);
        } else if (cfg) {
            /* Written once here; then kept current by runtime_update_config_volumes (this
             * spec may be older than the store's: a restart must not bring old files back). */
            _cleanup_free_ char *dir = cfgvol_dir(h->cfg->run_dir, pod->name);
            char data[4200];
            struct stat st;
            snprintf(data, sizeof(data), "%s/%s/..data", dir ? dir : "", v->name);
            if (!dir || (lstat(data, &st) < 0 &&
                         write_cfg_volume(dir, v, cfg_group(h->cfg->state_dir, pod), err) < 0))
                return dir ? -EIO : tk_err_sys(err, -ENOMEM, "volume '%s'", v->name);
            snprintf(base, sizeof(base), "%s/%s", dir, v->name);
        } else if (sandbox_pod_volume_path(base, sizeof(base), h->cfg->state_dir, pod->name,
                                           v->name) < 0)
            return tk_err_set(err, -ENAMETOOLONG, "volume '%s': path too long", v->name);
        if (!(srcs[i] = strdup(base)))
            return tk_err_sys(err, -ENOMEM, "volume '%s'", v->name);
        static const unsigned rro[] = {[SPEC_RRO_DISABLED] = 0,
                                       [SPEC_RRO_IF_POSSIBLE] = SANDBOX_MOUNT_RRO_IF_POSSIBLE,
                                       [SPEC_RRO_ENABLED] = SANDBOX_MOUNT_RRO};
        mounts[i] = (struct sandbox_mount){
            .source = srcs[i],
            .destination = m->mount_path,
            .flags = (m->read_only || cfg || v->pvc_read_only
                          ? SANDBOX_MOUNT_READONLY | rro[m->recursive_read_only]
                          : 0) |
                     (v->kind == SPEC_VOLUME_EMPTY_DIR ? SANDBOX_MOUNT_MKDIR : 0),
            .sub_path = m->sub_path,
            .volume = v->name,
        };
    }
    return 0;
}

static void fill_request(const struct spec_pod *pod, const struct spec_container *c, char **env,
                         gid_t *groups, struct image_run_request *req)
{
    for (size_t i = 0; i < c->n_env; i++) {
        struct tk_buf b = TK_BUF_INIT;
        tk_buf_addf(&b, "%s=%s", c->env[i].name, c->env[i].value ? c->env[i].value : "");
        env[i] = tk_buf_detach(&b);
    }
    size_t ng = pod->sec.n_supplemental_groups;
    for (size_t i = 0; i < ng; i++)
        groups[i] = (gid_t)pod->sec.supplemental_groups[i];
    if (pod->sec.fs_group.has) /* (groups has room for it) */
        groups[ng++] = (gid_t)pod->sec.fs_group.v;
    *req = (struct image_run_request){
        .command = (const char *const *)c->command,
        .n_command = c->n_command,
        .args = (const char *const *)c->args,
        .n_args = c->n_args,
        .env = (const char *const *)env,
        .n_env = c->n_env,
        .working_dir = c->working_dir,
        .run_as_user = c->sec.run_as_user.has     ? c->sec.run_as_user.v
                       : pod->sec.run_as_user.has ? pod->sec.run_as_user.v
                                                  : -1,
        .run_as_group = c->sec.run_as_group.has     ? c->sec.run_as_group.v
                        : pod->sec.run_as_group.has ? pod->sec.run_as_group.v
                                                    : -1,
        .supplemental_groups = groups,
        .n_supplemental_groups = ng,
    };
}

struct start_ctx;
static int run_start(const struct start_ctx *x, const struct sandbox_container_config *cc,
                     struct runtime_ctr *out, struct runtime_underway *start, struct tk_err *err);

struct start_ctx {
    struct host_rt *h;
    const struct spec_pod *pod;
    const struct spec_container *c;
    const struct image_info *info;
    const struct image_run *run;
    struct sandbox_mount *mounts;
    const char *state_dir, *rw_dir, *log_path;
    uid_t userns_id; /* first host id of the pod's user namespace; 0 = none */
};

static int start_sandbox(const struct start_ctx *x, struct runtime_ctr *out,
                         struct runtime_underway *start, struct tk_err *err)
{
    char id[256], netns[4096], utsns[4096], ipcns[4096], resolv[4096], hosts[4096], hostname[4096];
    char userns[4096], pidns[4096];
    snprintf(id, sizeof(id), "%s/%s", x->pod->name, x->c->name);
    const char *rd = x->h->cfg->run_dir, *pn = x->pod->name;
    sandbox_pod_path(userns, sizeof(userns), rd, pn, "ns/user");
    sandbox_pod_path(netns, sizeof(netns), rd, pn, "ns/net");
    sandbox_pod_path(utsns, sizeof(utsns), rd, pn, "ns/uts");
    sandbox_pod_path(ipcns, sizeof(ipcns), rd, pn, "ns/ipc");
    sandbox_pod_path(pidns, sizeof(pidns), rd, pn, "ns/pid");
    sandbox_pod_etc_path(resolv, sizeof(resolv), rd, pn, "resolv.conf");
    sandbox_pod_etc_path(hosts, sizeof(hosts), rd, pn, "hosts");
    sandbox_pod_etc_path(hostname, sizeof(hostname), rd, pn, "hostname");
    const struct spec_container_security *sec = &x->c->sec;
    __attribute__((cleanup(confine_release))) struct confine cf = {0};
    int r = confine_prepare(x->h->cfg->seccomp_dir, x->pod, x->c, &cf, err);
    if (r < 0)
        return r;
    struct sandbox_container_config cc = {
        .id = id,
        .layers = (const char *const *)x->info->layer_dirs,
        .n_layers = x->info->n_layers,
        .rw_dir = x->rw_dir,
        .readonly_rootfs = sec->read_only_root_fs.has && sec->read_only_root_fs.v,
        .argv = x->run->argv,
        .env = x->run->env,
        .cwd = x->run->cwd,
        .uid = x->run->uid,
        .gid = x->run->gid,
        .groups = x->run->groups,
        .n_groups = x->run->n_groups,
        .cap_add = (const char *const *)sec->cap_add,
        .n_cap_add = sec->n_cap_add,
        .cap_drop = (const char *const *)sec->cap_drop,
        .n_cap_drop = sec->n_cap_drop,
        .privileged = sec->privileged.has && sec->privileged.v,
        .no_new_privs = !(sec->allow_privilege_escalation.has && sec->allow_privilege_escalation.v),
        .netns = x->pod->host_network ? NULL : netns,
        .utsns = utsns,
        .ipcns = ipcns,
        .pidns = x->pod->share_pid ? pidns : NULL,
        .host_pid = x->pod->host_pid,
        .tty = x->c->tty,
        .stdin_open = x->c->stdin_open,
        .userns = x->userns_id ? userns : NULL,
        .userns_id = x->userns_id,
        .resolv_conf = resolv,
        .hosts = hosts,
        .hostname_file = hostname,
        .mounts = x->mounts,
        .n_mounts = x->c->n_mounts,
        .state_dir = x->state_dir,
        .log_path = x->log_path,
        .log_max_size = x->h->cfg->log_max_size,
        .log_max_files = (unsigned)x->h->cfg->log_max_files,
        .stop_signal = x->run->stop_signal,
        .monitor_exe = "/proc/self/exe",
        .seccomp_profile = cf.seccomp,
        .seccomp_unconfined = cf.unconfined,
        .apparmor_profile = cf.apparmor,
        .termination_path = x->c->termination_message_path,
    };
    return run_start(x, &cc, out, start, err);
}

/* A start under way: the sandbox's half and what the end of it needs. */
struct host_start {
    struct sandbox_start *s;
    struct sandbox_container_result res;
    char *state_dir;
    char digest[80];
    struct runtime_cg_join join; /* the ready hook's: into the container's cgroup */
};

static void host_start_free(struct host_start *hs, bool kill_it)
{
    sandbox_start_free(hs->s, kill_it);
    if (hs->res.monitor_pidfd >= 0)
        close(hs->res.monitor_pidfd);
    free(hs->state_dir);
    free(hs);
}

/* Begin the start, with the caller's signal mask cleared for the children. */
static int run_start(const struct start_ctx *x, const struct sandbox_container_config *cc,
                     struct runtime_ctr *out, struct runtime_underway *start, struct tk_err *err)
{
    struct host_start *hs = calloc(1, sizeof(*hs));
    if (!hs || !(hs->state_dir = strdup(x->state_dir))) {
        free(hs);
        return tk_err_sys(err, -ENOMEM, "start '%s'", cc->id);
    }
    snprintf(hs->digest, sizeof(hs->digest), "%s",
             x->info->manifest_digest ? x->info->manifest_digest : "");
    struct sandbox_container_config c = *cc;
    if (x->h->cg) {
        hs->join.cg = x->h->cg;
        snprintf(hs->join.pod, sizeof(hs->join.pod), "%s", x->pod->name);
        snprintf(hs->join.ctr, sizeof(hs->join.ctr), "%s", x->c->name);
        c.ready_hook = runtime_cg_join_hook;
        c.ready_data = &hs->join;
    }
    sigset_t old;
    unblock_all(&old);
    int r = sandbox_container_start_begin(&c, &hs->s, &hs->res, err);
    reblock(&old);
    out->monitor_pid = hs->res.monitor_pid;
    if (r < 0) {
        host_start_free(hs, false);
        return r;
    }
    /* The image this container runs, for the image GC, written while the caller still holds
     * the image (image_lookup) and before the child mounts its layers. */
    _cleanup_buf_ struct tk_buf df = TK_BUF_INIT;
    tk_buf_addf(&df, "%s/" RUNTIME_DIGEST_FILE, hs->state_dir);
    tk_write_file_replace(df.s, hs->digest, strlen(hs->digest), 0644); /* run_dir */
    char ix[24]; /* tank exec's default container: the pod's first */
    size_t idx = 0;
    while (spec_pod_ctr(x->pod, idx) && spec_pod_ctr(x->pod, idx) != x->c)
        idx++;
    int ixn = snprintf(ix, sizeof(ix), "%zu\n", idx);
    tk_buf_reset(&df);
    tk_buf_addf(&df, "%s/" RUNTIME_INDEX_FILE, hs->state_dir);
    tk_write_file_replace(df.s, ix, (size_t)ixn, 0644);
    start->fd = sandbox_start_fd(hs->s);
    start->deadline_ms = sandbox_start_deadline_ms(hs->s);
    start->priv = hs;
    return 1;
}

static int host_ctr_start_advance(void *impl, struct runtime_underway *start,
                                  struct runtime_ctr *out, struct tk_err *err)
{
    struct host_start *hs = start->priv;
    int r = sandbox_container_start_advance(hs->s, &hs->res, err);
    if (r == 1)
        return 1;
    out->monitor_pid = hs->res.monitor_pid;
    if (r == 0) {
        out->exists = out->running = true;
        out->pid = hs->res.pid;
        out->watch_fd = TAKE_FD(hs->res.monitor_pidfd);
        if (out->watch_fd < 0)
            out->watch_fd = sandbox_monitor_pidfd(hs->state_dir, NULL);
        out->started_ns = tk_now_realtime_ns();
        snprintf(out->image_digest, sizeof(out->image_digest), "%s", hs->digest);
    }
    host_start_free(hs, false);
    start->priv = NULL;
    start->fd = -1;
    return r;
}

/* The first host id of the pod's user namespace (0 = none), and the container's ids must
 * lie inside it (0..65535). */
static int ctr_userns(struct host_rt *h, const struct spec_pod *pod, const struct image_run *run,
                      uint32_t *id, struct tk_err *err)
{
    *id = 0;
    if (!pod_userns(h->cfg, pod))
        return 0;
    if (sandbox_userns_get(h->cfg->state_dir, pod->name, id) != 1)
        return tk_err_set(err, -ENOENT, "the pod's user namespace range is not recorded");
    bool out = run->uid >= SANDBOX_USERNS_SIZE || run->gid >= SANDBOX_USERNS_SIZE;
    for (size_t i = 0; i < run->n_groups; i++)
        out = out || run->groups[i] >= SANDBOX_USERNS_SIZE;
    if (out)
        return tk_err_set(err, -EINVAL,
                          "user %u, group %u or a supplementary group is outside the pod's user "
                          "namespace (ids 0 to %u with hostUsers: false)",
                          (unsigned)run->uid, (unsigned)run->gid, SANDBOX_USERNS_SIZE - 1);
    return 0;
}

/* LOG_DIR/POD: 0700, or 0750 and set-group-ID with [agent] group (so the log files the monitor
 * creates in it are the group's): a container's output may hold secrets. */
static int make_log_dir(struct host_rt *h, const char *pod, struct tk_err *err)
{
    _cleanup_buf_ struct tk_buf dir = TK_BUF_INIT;
    tk_buf_addf(&dir, "%s/%s", h->cfg->log_dir, pod);
    int r = config_make_dir(h->cfg, dir.s, true);
    return r < 0 ? tk_err_sys(err, r, "create the log directory '%s'", dir.s) : 0;
}

static int host_ctr_start(void *impl, const struct spec_pod *pod, size_t idx,
                          struct runtime_ctr *out, struct runtime_underway *start,
                          struct tk_err *err)
{
    struct host_rt *h = impl;
    const struct spec_container *c = spec_pod_ctr(pod, idx);
    struct image_info info = {0};
    struct image_run run = {0};
    struct image_run_request req;
    size_t ns = pod->sec.n_supplemental_groups;
    _cleanup_free_ char **env = calloc(c->n_env + 1, sizeof(char *));
    _cleanup_free_ gid_t *groups = calloc(ns + 1, sizeof(gid_t));
    _cleanup_free_ struct sandbox_mount *mounts = calloc(c->n_mounts + 1, sizeof(*mounts));
    _cleanup_free_ char **srcs = calloc(c->n_mounts + 1, sizeof(char *));
    _cleanup_free_ char *sd = ctr_state_dir(h, pod->name, c->name);
    _cleanup_free_ char *rw = ctr_rw_dir(h, pod->name, c->name);
    _cleanup_free_ char *log = runtime_log_path(h->cfg->log_dir, pod->name, c->name);
    int r;
    if (!env || !groups || !mounts || !srcs)
        return tk_err_sys(err, -ENOMEM, "start container '%s'", c->name);
    r = open_images(h, err);
    if (r == 0)
        r = image_lookup(h->images, c->image, &info, err);
    if (r < 0)
        goto out;
    fill_request(pod, c, env, groups, &req);
    r = image_resolve_run(&info, &req, &run, err);
    if (r < 0)
        goto out;
    if (c->sec.run_as_non_root.has && c->sec.run_as_non_root.v && run.uid == 0) {
        r = tk_err_set(err, -EPERM,
                       "container has runAsNonRoot and its image will run as root (uid 0)");
        goto out;
    }
    r = build_mounts(h, pod, c, mounts, srcs, err);
    if (r == 0)
        r = make_log_dir(h, pod->name, err);
    if (r == 0)
        r = runtime_cg_prepare(h->cg, pod, idx, h->cfg->pod_pids_limit, err);
    if (r < 0)
        goto out;
    uint32_t userns_id = 0;
    if ((r = ctr_userns(h, pod, &run, &userns_id, err)) < 0)
        goto out;
    struct start_ctx x = {h, pod, c, &info, &run, mounts, sd, rw, log, userns_id};
    retire_log(log);
    r = start_sandbox(&x, out, start, err);
out:
    for (size_t i = 0; i < c->n_env; i++)
        free(env[i]);
    for (size_t i = 0; i < c->n_mounts; i++)
        free(srcs[i]);
    image_run_free(&run);
    image_info_free(&info);
    return r;
}

static int host_ctr_kill(void *impl, const char *pod, const char *ctr, int sig)
{
    struct host_rt *h = impl;
    _cleanup_free_ char *sd = ctr_state_dir(h, pod, ctr);
    if (!sig) {
        struct sandbox_container_state st = {0};
        sig = sandbox_container_state(sd, &st, NULL) == 0 && st.stop_signal ? st.stop_signal
                                                                            : SIGTERM;
    }
    return sandbox_container_kill(sd, sig, NULL);
}

/* A container that ended with SIGKILL: did the OOM killer do it? Its cgroup says so (and
 * the answer is recorded beside its exit, RUNTIME_OOM_FILE), or an earlier answer was
 * recorded: it outlives the cgroup and the agent (adoption reads it back). */
static bool oom_killed(struct host_rt *h, const char *pod, const char *ctr, const char *sd)
{
    _cleanup_buf_ struct tk_buf f = TK_BUF_INIT;
    tk_buf_addf(&f, "%s/" RUNTIME_OOM_FILE, sd);
    if (access(f.s, F_OK) == 0)
        return true;
    if (!h->cg || sandbox_cgroup_oom_kills(h->cg, pod, ctr) <= 0)
        return false;
    int r = tk_write_file_atomic(f.s, "OOMKilled\n", 10, 0600);
    if (r < 0)
        tk_warn("record the OOM kill in '%s': %s", f.s, strerror(-r));
    return true;
}

static int host_ctr_state(void *impl, const char *pod, const char *ctr, struct runtime_ctr *out)
{
    struct host_rt *h = impl;
    _cleanup_free_ char *sd = ctr_state_dir(h, pod, ctr);
    struct sandbox_container_state st = {0};
    memset(out, 0, sizeof(*out));
    out->watch_fd = -1;
    int r = sandbox_container_state(sd, &st, NULL);
    if (r < 0)
        return r == -ENOENT ? 0 : r;
    out->exists = true;
    out->pid = st.pid;
    out->monitor_pid = st.monitor_pid;
    out->started_ns = st.started_ns;
    out->exited = st.exited;
    out->exit_code = st.exit_code;
    out->signal = st.signal;
    out->finished_ns = st.finished_ns;
    snprintf(out->message, sizeof(out->message), "%s", st.message);
    if (st.exited)
        sandbox_container_termination_message(sd, out->term_message, sizeof(out->term_message));
    _cleanup_buf_ struct tk_buf df = TK_BUF_INIT;
    tk_buf_addf(&df, "%s/" RUNTIME_DIGEST_FILE, sd);
    _cleanup_free_ char *digest = NULL;
    if (tk_read_file(df.s, sizeof(out->image_digest) - 1, &digest, NULL) == 0)
        snprintf(out->image_digest, sizeof(out->image_digest), "%s", digest);
    out->oom_killed = st.exited && st.exit_code == 128 + SIGKILL && oom_killed(h, pod, ctr, sd);
    if (st.running) {
        out->watch_fd = sandbox_monitor_pidfd(sd, NULL);
        out->running = out->watch_fd >= 0;
    }
    return 0;
}

static int host_ctr_remove(void *impl, const char *pod, const char *ctr)
{
    struct host_rt *h = impl;
    _cleanup_free_ char *sd = ctr_state_dir(h, pod, ctr);
    _cleanup_free_ char *rw = ctr_rw_dir(h, pod, ctr);
    int r = sandbox_container_cleanup(sd, rw, 1, NULL);
    if ((r == 0 || r == -ENOENT) && h->cg)
        r = sandbox_cgroup_remove(h->cg, pod, ctr, NULL);
    return r == -ENOENT ? 0 : r;
}

static int host_ctr_resize(void *impl, const struct spec_pod *pod, size_t idx, struct tk_err *err)
{
    struct host_rt *h = impl;
    return runtime_cg_resize(h->cg, pod, idx, h->cfg->pod_pids_limit, err);
}

static int host_usage(void *impl, const char *pod, const char *ctr, bool memory,
                      struct runtime_usage *out)
{
    struct host_rt *h = impl;
    return sandbox_cgroup_usage(h->cg, pod, ctr, &out->cpu_ns, memory ? &out->memory_bytes : NULL);
}

static void host_free(void *impl)
{
    struct host_rt *h = impl;
    if (h->images)
        image_store_free(h->images);
    sandbox_cgroups_free(h->cg);
    free(h);
}

static const struct runtime_ops host_ops = {
    .pod_up = host_pod_up,
    .pod_up_advance = host_pod_up_advance,
    .pod_up_cancel = host_pod_up_cancel,
    .pod_down = host_pod_down,
    .pod_down_advance = host_pod_down_advance,
    .pod_down_cancel = host_pod_down_cancel,
    .pod_list = host_pod_list,
    .pod_check = host_pod_check,
    .image_lookup = host_image_lookup,
    .pull_spawn = host_pull_spawn,
    .ctr_start = host_ctr_start,
    .ctr_start_advance = host_ctr_start_advance,
    .ctr_kill = host_ctr_kill,
    .ctr_state = host_ctr_state,
    .ctr_remove = host_ctr_remove,
    .ctr_resize = host_ctr_resize,
    .usage = host_usage,
    .free = host_free,
};

struct runtime *runtime_new_host(const struct tank_config *cfg, struct tk_err *err)
{
    struct runtime *rt = calloc(1, sizeof(*rt));
    struct host_rt *h = calloc(1, sizeof(*h));
    if (!rt || !h) {
        free(rt);
        free(h);
        tk_err_sys(err, -ENOMEM, "start the runtime");
        return NULL;
    }
    h->cfg = cfg;
    struct tk_err ierr = {0};
    if (open_images(h, &ierr) < 0)
        tk_warn("%s, retrying when an image is needed", ierr.msg);
    h->cg = runtime_cg_open(cfg);
    runtime_cg_sweep(h->cg, cfg);
    sandbox_container_warm();
    rt->ops = &host_ops;
    rt->impl = h;
    return rt;
}

void runtime_free(struct runtime *rt)
{
    if (!rt)
        return;
    if (rt->ops->free)
        rt->ops->free(rt->impl);
    free(rt);
}

/* Seccomp, AppArmor and SELinux fields of a container, from manifest to sandbox. */
#include "agent/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fs.h"
#include "sandbox/seccomp.h"
#include "spec/spec.h"

#define PROFILE_MAX (1 << 20)

static const struct spec_profile *pick(const struct spec_profile *c, const struct spec_profile *p)
{
    return c->type ? c : p;
}

static int have_apparmor(void)
{
    return access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static int have_selinux(void)
{
    return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

/* Read and parse seccomp_dir/rel. */
static int load_profile(const char *seccomp_dir, const char *rel,
                        struct sandbox_seccomp_profile **out, struct tk_err *err)
{
    char path[4096];
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", seccomp_dir, rel);
    int r = tk_read_file(path, PROFILE_MAX, &data, &len);
    if (r < 0)
        return tk_err_sys(err, r, "seccomp profile '%s': read %s", rel, path);
    r = sandbox_seccomp_profile_parse(data, len, out, err);
    if (r < 0)
        return tk_err_wrap(err, "seccomp profile '%s'", rel);
    return 0;
}

static int check_apparmor(const struct spec_profile *a, struct tk_err *err)
{
    if (!a->type || a->type != SPEC_PROFILE_LOCALHOST)
        return 0;
    if (!have_apparmor())
        return tk_err_set(err, -EOPNOTSUPP,
                          "appArmorProfile Localhost '%s': AppArmor is not enabled on this host "
                          "(/sys/kernel/security/apparmor is missing)",
                          a->localhost);
    return 0;
}

int confine_prepare(const char *seccomp_dir, const struct spec_pod *pod,
                    const struct spec_container *c, struct confine *out, struct tk_err *err)
{
    const struct spec_lsm *cl = &c->sec.lsm, *pl = &pod->sec.lsm;
    const struct spec_profile *sc = pick(&cl->seccomp, &pl->seccomp);
    const struct spec_profile *aa = pick(&cl->apparmor, &pl->apparmor);
    const struct spec_selinux *se = cl->selinux.set ? &cl->selinux : &pl->selinux;
    *out = (struct confine){0};
    int r = check_apparmor(aa, err);
    if (r < 0)
        return r;
    if (se->set && have_selinux())
        return tk_err_set(err, -EOPNOTSUPP,
                          "seLinuxOptions: SELinux is enabled on this host and Tank does not "
                          "label containers; remove seLinuxOptions");
    if (aa->type == SPEC_PROFILE_LOCALHOST)
        out->apparmor = aa->localhost;
    out->unconfined = sc->type == SPEC_PROFILE_UNCONFINED;
    if (sc->type == SPEC_PROFILE_LOCALHOST)
        return load_profile(seccomp_dir, sc->localhost, &out->seccomp, err);
    return 0;
}

void confine_release(struct confine *cf)
{
    sandbox_seccomp_profile_free(cf->seccomp);
    cf->seccomp = NULL;
}

/* The first bad Localhost profile of pod, as an error in set; 1 when there was one. */
static int check_pod(const char *seccomp_dir, struct spec_set *set, const struct spec_pod *pod)
{
    char where[256];
    size_t n = spec_pod_n_all(pod);
    for (size_t i = 0; i <= n; i++) {
        const struct spec_profile *p =
            i < n ? &spec_pod_ctr(pod, i)->sec.lsm.seccomp : &pod->sec.lsm.seccomp;
        if (p->type != SPEC_PROFILE_LOCALHOST)
            continue;
        struct sandbox_seccomp_profile *prof = NULL;
        struct tk_err err = {0};
        int r = load_profile(seccomp_dir, p->localhost, &prof, &err);
        sandbox_seccomp_profile_free(prof);
        if (r == 0)
            continue;
        if (i < n)
            snprintf(where, sizeof(where), "spec.%s[%zu].securityContext.seccompProfile",
                     spec_pod_is_init(pod, i) ? "initContainers" : "containers",
                     spec_pod_is_init(pod, i) ? i - pod->n_containers : i);
        else
            snprintf(where, sizeof(where), "spec.securityContext.seccompProfile");
        spec_set_add_error(set, pod->file ? pod->file : "?", p->line ? p->line : pod->line,
                           p->line ? p->column : 0, "%s.localhostProfile: %s", where, err.msg);
        return 1;
    }
    return 0;
}

int confine_check_set(const char *seccomp_dir, struct spec_set *set)
{
    int refused = 0;
    for (size_t i = 0; i < set->n_pods;) {
        int r = check_pod(seccomp_dir, set, set->pods[i]);
        if (r < 0)
            return r;
        if (r == 0) {
            i++;
            continue;
        }
        spec_pod_free(spec_set_take(set, i));
        refused++;
    }
    return refused;
}

static void describe(const char *what, const struct spec_profile *p, int present, char *buf,
                     size_t size)
{
    size_t n = strlen(buf);
    const char *type = p->type ? spec_profile_type_to_string(p->type) : "RuntimeDefault";
    snprintf(buf + n, size - n, "%s%s=%s%s%s%s%s", n ? " " : "", what, type,
             p->localhost ? ":" : "", p->localhost ? p->localhost : "",
             present < 0 || present ? "" : " (no-op: not enabled on this host)", "");
}

void confine_describe(const struct spec_pod *pod, const struct spec_container *c, char *buf,
                      size_t size)
{
    const struct spec_lsm *cl = &c->sec.lsm, *pl = &pod->sec.lsm;
    const struct spec_selinux *se = cl->selinux.set ? &cl->selinux : &pl->selinux;
    buf[0] = '\0';
    if (c->sec.privileged.has && c->sec.privileged.v)
        snprintf(buf, size, "seccomp=Unconfined (privileged)");
    else
        describe("seccomp", pick(&cl->seccomp, &pl->seccomp), -1, buf, size);
    describe("apparmor", pick(&cl->apparmor, &pl->apparmor), have_apparmor(), buf, size);
    if (se->set) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, " selinux=%s:%s:%s:%s%s", se->user ? se->user : "",
                 se->role ? se->role : "", se->type ? se->type : "", se->level ? se->level : "",
                 have_selinux() ? "" : " (no-op: not enabled on this host)");
    }
}

/* securityContext.seccompProfile, appArmorProfile and seLinuxOptions (pod and container), as
 * Kubernetes validates them: a type, a localhostProfile exactly when the type is Localhost. */
#include "spec/spec-int.h"

#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

static const char *const profile_types[] = {"RuntimeDefault", "Unconfined", "Localhost"};

const char *spec_profile_type_to_string(enum spec_profile_type t)
{
    if (t < SPEC_PROFILE_RUNTIME_DEFAULT || t > SPEC_PROFILE_LOCALHOST)
        return "";
    return profile_types[t - 1];
}

/* A relative path below the profiles directory: components of [A-Za-z0-9._-], none "." or
 * "..", no empty component, at most 255 characters. */
static bool is_seccomp_path(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || s[0] == '/' || s[n - 1] == '/')
        return false;
    for (const char *p = s; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && !strncmp(p, "..", 2)))
            return false;
        for (size_t i = 0; i < len; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", p[i]))
                return false;
        p += len + (p[len] == '/');
    }
    return true;
}

/* An AppArmor profile name: printable, no spaces, at most 255 characters. */
static bool is_apparmor_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return false;
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static bool is_selinux_word(const char *s)
{
    return *s && strlen(s) <= 255 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
               strlen(s);
}

static bool is_selinux_level(const char *s)
{
    return *s && strlen(s) <= 255 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:,") ==
               strlen(s);
}

static void f_type(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_profile *p = obj;
    int i;
    if (want_enum(w, v, path, profile_types, TK_ARRAY_SIZE(profile_types), &i))
        p->type = (enum spec_profile_type)(i + 1);
}

static void f_seccomp_local(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_profile *p = obj;
    p->line = v->line;
    p->column = v->col;
    want_checked(w, v, path, &p->localhost, is_seccomp_path,
                 "a relative path under [security] seccomp_dir (letters, digits, '.', '_', '-' "
                 "and '/', without '..')");
}

static void f_apparmor_local(struct walk *w, const struct ynode *v, const char *path, void *obj)
{
    struct spec_profile *p = obj;
    p->line = v->line;
    p->column = v->col;
    want_checked(w, v, path, &p->localhost, is_apparmor_name,
                 "the name of a loaded AppArmor profile (printable, without spaces)");
}

static void walk_profile(struct walk *w, const struct ynode *v, const char *path,
                         struct spec_profile *p, const struct field *fields)
{
    if (!walk_map(w, v, path, fields, 2, p))
        return;
    if (p->type == SPEC_PROFILE_UNSET && ynode_is_null(ynode_get(v, "type"))) {
        wreq(w, v, path, "type", "RuntimeDefault, Unconfined or Localhost");
        return;
    }
    _cleanup_free_ char *lp = path_key(path, "localhostProfile");
    if (p->type == SPEC_PROFILE_LOCALHOST && !p->localhost &&
        ynode_is_null(ynode_get(v, "localhostProfile")))
        werr(w, v, lp, "required when type is Localhost");
    else if (p->type != SPEC_PROFILE_LOCALHOST && p->type && p->localhost) {
        werr(w, ynode_get(v, "localhostProfile"), lp, "may only be set when type is Localhost");
        free(p->localhost);
        p->localhost = NULL;
    }
}

void walk_seccomp_profile(struct walk *w, const struct ynode *v, const char *path,
                          struct spec_lsm *l)
{
    static const struct field fields[] = {{"type", f_type}, {"localhostProfile", f_seccomp_local}};
    walk_profile(w, v, path, &l->seccomp, fields);
}

void walk_apparmor_profile(struct walk *w, const struct ynode *v, const char *path,
                           struct spec_lsm *l)
{
    static const struct field fields[] = {{"type", f_type}, {"localhostProfile", f_apparmor_local}};
    walk_profile(w, v, path, &l->apparmor, fields);
}

#define SELINUX_FIELD(fn, member, check, what)                                                     \
    static void fn(struct walk *w, const struct ynode *v, const char *path, void *obj)             \
    {                                                                                              \
        struct spec_selinux *s = obj;                                                              \
        want_checked(w, v, path, &s->member, check, what);                                         \
    }
SELINUX_FIELD(f_se_user, user, is_selinux_word, "an SELinux user (letters, digits, '_', '.', '-')")
SELINUX_FIELD(f_se_role, role, is_selinux_word, "an SELinux role (letters, digits, '_', '.', '-')")
SELINUX_FIELD(f_se_type, type, is_selinux_word, "an SELinux type (letters, digits, '_', '.', '-')")
SELINUX_FIELD(f_se_level, level, is_selinux_level,
              "an SELinux level such as s0:c123,c456 (letters, digits, '_', '.', '-', ':', ',')")

void walk_selinux_options(struct walk *w, const struct ynode *v, const char *path,
                          struct spec_lsm *l)
{
    static const struct field fields[] = {
        {"user", f_se_user}, {"role", f_se_role}, {"type", f_se_type}, {"level", f_se_level}};
    if (walk_map(w, v, path, fields, TK_ARRAY_SIZE(fields), &l->selinux))
        l->selinux.set = true;
}

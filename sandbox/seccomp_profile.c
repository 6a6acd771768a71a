/*
 * The Docker / OCI JSON seccomp profile format, parsed into a struct sandbox_seccomp_profile.
 * The parser lives in sandbox/ beside the compiler because the format is the runtime's own
 * language (runc and crun read it, not the kubelet), and what makes a profile valid is what
 * libseccomp accepts; jansson stays inside this file. Unknown fields are errors, as in
 * manifests: a profile that does not say what it means is refused, never half-applied.
 */
#include "sandbox/seccomp.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/capability.h"

#define PROFILE_MAX_SIZE (1 << 20)
#define PROFILE_MAX_RULES 4096
#define MAX_ERRNO 4095

struct parsed {
    struct sandbox_seccomp_profile p; /* first: the public object */
    struct sandbox_seccomp_rule *rules;
};

static void json_put(json_t **j)
{
    if (*j)
        json_decref(*j);
}

/* "PATH: message" */
static int bad(struct tk_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct tk_err *err, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tk_err_set(err, -EINVAL, "%s: %s", path, msg);
}

/* "PATH.KEY" in buf. */
static const char *sub(char *buf, size_t size, const char *path, const char *key)
{
    snprintf(buf, size, "%s.%s", path, key);
    return buf;
}

/* Every key of o is one of allowed (NULL-terminated). */
static int check_keys(json_t *o, const char *const *allowed, const char *path, struct tk_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key))
            i++;
        if (!allowed[i])
            return bad(err, path, "unknown field '%.64s'", key);
    }
    return 0;
}

static int parse_action(json_t *v, const char *path, enum sandbox_seccomp_action *out,
                        struct tk_err *err)
{
    static const struct {
        const char *name;
        enum sandbox_seccomp_action a;
    } actions[] = {
        {"SCMP_ACT_KILL", SANDBOX_SCMP_KILL_THREAD},
        {"SCMP_ACT_KILL_THREAD", SANDBOX_SCMP_KILL_THREAD},
        {"SCMP_ACT_KILL_PROCESS", SANDBOX_SCMP_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SANDBOX_SCMP_TRAP},
        {"SCMP_ACT_ERRNO", SANDBOX_SCMP_ERRNO},
        {"SCMP_ACT_TRACE", SANDBOX_SCMP_TRACE},
        {"SCMP_ACT_ALLOW", SANDBOX_SCMP_ALLOW},
        {"SCMP_ACT_LOG", SANDBOX_SCMP_LOG},
    };
    if (!json_is_string(v))
        return bad(err, path, v ? "not a string" : "required");
    const char *s = json_string_value(v);
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (!strcmp(s, actions[i].name)) {
            *out = actions[i].a;
            return 0;
        }
    if (!strcmp(s, "SCMP_ACT_NOTIFY"))
        return bad(err, path, "SCMP_ACT_NOTIFY is not supported (no seccomp agent)");
    return bad(err, path, "unknown action '%.64s'", s);
}

/* An integer in [0, max]. */
static int parse_uint(json_t *v, const char *path, uint64_t max, uint64_t *out, struct tk_err *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
        return bad(err, path, "not an integer from 0 to %llu", (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* errnoRet of an action: only ERRNO and TRACE take one. */
static int parse_errno(json_t *v, enum sandbox_seccomp_action a, const char *path, int *out,
                       struct tk_err *err)
{
    uint64_t e;
    *out = -1;
    if (!v)
        return 0;
    if (a != SANDBOX_SCMP_ERRNO && a != SANDBOX_SCMP_TRACE)
        return bad(err, path, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take one");
    int r = parse_uint(v, path, MAX_ERRNO, &e, err);
    if (r < 0)
        return r;
    *out = (int)e;
    return 0;
}

static int valid_word(const char *s, int digits_first)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || (!digits_first && s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* An array of strings, each checked by check (which fills err), into a space-joined string
 * appended to *joined. */
static int parse_words(json_t *a, const char *path, char **joined,
                       int (*check)(const char *s, const char *path, void *data,
                                    struct tk_err *err),
                       void *data, struct tk_err *err)
{
    if (!json_is_array(a))
        return bad(err, path, "not an array");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        char p[256];
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (!json_is_string(v))
            return bad(err, p, "not a string");
        const char *s = json_string_value(v);
        int r = check(s, p, data, err);
        if (r < 0)
            return r;
        size_t old = *joined ? strlen(*joined) : 0, n = strlen(s);
        char *j = realloc(*joined, old + n + 2);
        if (!j)
            return tk_err_set(err, -ENOMEM, "%s: out of memory", p);
        if (old)
            j[old++] = ' ';
        memcpy(j + old, s, n + 1);
        *joined = j;
    }
    return 0;
}

static int check_syscall(const char *s, const char *path, void *data, struct tk_err *err)
{
    return valid_word(s, 0) ? 0 : bad(err, path, "bad syscall name '%.64s'", s);
}

static int check_goarch(const char *s, const char *path, void *data, struct tk_err *err)
{
    return valid_word(s, 0) ? 0 : bad(err, path, "bad architecture '%.64s'", s);
}

static int check_cap(const char *s, const char *path, void *data, struct tk_err *err)
{
    int c = tk_cap_from_name(s);
    if (c < 0 || c > 63)
        return bad(err, path, "unknown capability '%.64s'", s);
    *(uint64_t *)data |= 1ULL << c;
    return 0;
}

static int parse_kernel(json_t *v, const char *path, unsigned *out, struct tk_err *err)
{
    unsigned major, minor;
    int n = 0;
    const char *s = json_string_value(v);
    if (!s || sscanf(s, "%5u.%5u%n", &major, &minor, &n) != 2 || s[n] || major > 0xffff ||
        minor > 0xffff)
        return bad(err, path, "not a kernel version 'MAJOR.MINOR'");
    *out = major << 16 | minor;
    return 0;
}

/* includes / excludes */
static int parse_filter(json_t *o, const char *path, uint64_t *caps, char **arches,
                        unsigned *min_kernel, struct tk_err *err)
{
    static const char *const keys[] = {"caps", "arches", "minKernel", NULL};
    char p[256];
    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o))
        return bad(err, path, "not an object");
    int r = check_keys(o, keys, path, err);
    json_t *v;
    if (r == 0 && (v = json_object_get(o, "caps")) && !json_is_null(v)) {
        char *unused = NULL;
        r = parse_words(v, sub(p, sizeof(p), path, "caps"), &unused, check_cap, caps, err);
        free(unused);
    }
    if (r == 0 && (v = json_object_get(o, "arches")) && !json_is_null(v))
        r = parse_words(v, sub(p, sizeof(p), path, "arches"), arches, check_goarch, NULL, err);
    if (r == 0 && (v = json_object_get(o, "minKernel")) && !json_is_null(v))
        r = parse_kernel(v, sub(p, sizeof(p), path, "minKernel"), min_kernel, err);
    return r;
}

static int parse_op(json_t *v, const char *path, enum sandbox_seccomp_op *out, struct tk_err *err)
{
    static const char *const ops[] = {NULL,          "SCMP_CMP_NE",       "SCMP_CMP_LT",
                                      "SCMP_CMP_LE", "SCMP_CMP_EQ",       "SCMP_CMP_GE",
                                      "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
    if (!json_is_string(v))
        return bad(err, path, v ? "not a string" : "required");
    for (size_t i = 1; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(json_string_value(v), ops[i])) {
            *out = (enum sandbox_seccomp_op)i;
            return 0;
        }
    return bad(err, path, "unknown operator '%.64s'", json_string_value(v));
}

static int parse_args(json_t *a, const char *path, struct sandbox_seccomp_rule *r,
                      struct tk_err *err)
{
    static const char *const keys[] = {"index", "value", "valueTwo", "op", NULL};
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return bad(err, path, "not an array");
    if (json_array_size(a) > SANDBOX_SECCOMP_MAX_ARGS)
        return bad(err, path, "more than %d conditions", SANDBOX_SECCOMP_MAX_ARGS);
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        char p[256], q[300];
        struct sandbox_seccomp_arg *arg = &r->args[i];
        uint64_t index = 0, two = 0;
        snprintf(p, sizeof(p), "%s[%zu]", path, i);
        if (!json_is_object(o))
            return bad(err, p, "not an object");
        int e = check_keys(o, keys, p, err);
        if (e == 0)
            e = parse_uint(json_object_get(o, "index"), sub(q, sizeof(q), p, "index"), 5, &index,
                           err);
        if (e == 0)
            e = parse_uint(json_object_get(o, "value"), sub(q, sizeof(q), p, "value"), INT64_MAX,
                           &arg->value, err);
        if (e == 0 && json_object_get(o, "valueTwo"))
            e = parse_uint(json_object_get(o, "valueTwo"), sub(q, sizeof(q), p, "valueTwo"),
                           INT64_MAX, &two, err);
        if (e == 0)
            e = parse_op(json_object_get(o, "op"), sub(q, sizeof(q), p, "op"), &arg->op, err);
        if (e < 0)
            return e;
        arg->index = (unsigned)index;
        arg->value_two = two;
        r->n_args = (unsigned)i + 1;
    }
    return 0;
}

static int parse_rule(json_t *o, const char *path, struct sandbox_seccomp_rule *r,
                      struct tk_err *err)
{
    static const char *const keys[] = {"names",   "name",     "action",   "errnoRet", "args",
                                       "comment", "includes", "excludes", NULL};
    char p[256];
    char *names = NULL, *arches = NULL, *not_arches = NULL;
    if (!json_is_object(o))
        return bad(err, path, "not an object");
    int e = check_keys(o, keys, path, err);
    json_t *v = json_object_get(o, "names"), *name = json_object_get(o, "name");
    if (e == 0 && v && !json_is_null(v))
        e = parse_words(v, sub(p, sizeof(p), path, "names"), &names, check_syscall, NULL, err);
    if (e == 0 && name) {
        json_t *one = json_is_string(name) ? json_pack("[O]", name) : NULL;
        e = one ? parse_words(one, sub(p, sizeof(p), path, "name"), &names, check_syscall, NULL,
                              err)
                : bad(err, sub(p, sizeof(p), path, "name"), "not a string");
        json_decref(one);
    }
    if (e == 0 && !names)
        e = bad(err, path, "names: required");
    if (e == 0)
        e = parse_action(json_object_get(o, "action"), sub(p, sizeof(p), path, "action"),
                         &r->action, err);
    if (e == 0)
        e = parse_errno(json_object_get(o, "errnoRet"), r->action,
                        sub(p, sizeof(p), path, "errnoRet"), &r->errno_ret, err);
    if (e == 0)
        e = parse_args(json_object_get(o, "args"), sub(p, sizeof(p), path, "args"), r, err);
    if (e == 0)
        e = parse_filter(json_object_get(o, "includes"), sub(p, sizeof(p), path, "includes"),
                         &r->caps, &arches, &r->min_kernel, err);
    if (e == 0)
        e = parse_filter(json_object_get(o, "excludes"), sub(p, sizeof(p), path, "excludes"),
                         &r->not_caps, &not_arches, &r->not_min_kernel, err);
    r->names = names;
    r->arches = arches;
    r->not_arches = not_arches;
    return e;
}

static int add_arch(struct sandbox_seccomp_profile *p, json_t *v, const char *path,
                    struct tk_err *err)
{
    uint32_t t;
    if (!json_is_string(v) || sandbox_seccomp_arch_token(json_string_value(v), &t) < 0)
        return bad(err, path, "unknown architecture '%.64s'",
                   json_is_string(v) ? json_string_value(v) : "?");
    for (size_t i = 0; i < p->n_arches; i++)
        if (p->arches[i] == t)
            return 0;
    if (p->n_arches >= SANDBOX_SECCOMP_MAX_ARCHES)
        return bad(err, path, "more than %d architectures", SANDBOX_SECCOMP_MAX_ARCHES);
    p->arches[p->n_arches++] = t;
    return 0;
}

/* archMap: the entry of the native architecture gives it and its sub-architectures (every
 * entry is checked). */
static int parse_archmap(json_t *a, struct sandbox_seccomp_profile *p, struct tk_err *err)
{
    static const char *const keys[] = {"architecture", "subArchitectures", NULL};
    if (!json_is_array(a))
        return bad(err, "archMap", "not an array");
    size_t i, j;
    json_t *o, *sub;
    json_array_foreach(a, i, o)
    {
        char path[64], sp[96];
        uint32_t t;
        snprintf(path, sizeof(path), "archMap[%zu]", i);
        if (!json_is_object(o))
            return bad(err, path, "not an object");
        int r = check_keys(o, keys, path, err);
        if (r < 0)
            return r;
        json_t *arch = json_object_get(o, "architecture"), *subs;
        snprintf(sp, sizeof(sp), "%s.architecture", path);
        if (!json_is_string(arch) || sandbox_seccomp_arch_token(json_string_value(arch), &t) < 0)
            return bad(err, sp, "unknown architecture");
        int native = t == sandbox_seccomp_native_arch();
        if (native && (r = add_arch(p, arch, sp, err)) < 0)
            return r;
        subs = json_object_get(o, "subArchitectures");
        if (subs && !json_is_null(subs) && !json_is_array(subs))
            return bad(err, path, "subArchitectures: not an array");
        json_array_foreach(subs, j, sub)
        {
            snprintf(sp, sizeof(sp), "%s.subArchitectures[%zu]", path, j);
            struct sandbox_seccomp_profile scratch = {0};
            r = add_arch(native ? p : &scratch, sub, sp, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int parse_flags(json_t *a, unsigned *flags, struct tk_err *err)
{
    static const struct {
        const char *name;
        unsigned flag;
    } names[] = {{"SECCOMP_FILTER_FLAG_TSYNC", 1},
                 {"SECCOMP_FILTER_FLAG_LOG", 2},
                 {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4}};
    if (!json_is_array(a))
        return bad(err, "flags", "not an array");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        char path[32];
        size_t k = 0;
        snprintf(path, sizeof(path), "flags[%zu]", i);
        while (k < 3 && (!json_is_string(v) || strcmp(json_string_value(v), names[k].name)))
            k++;
        if (k == 3)
            return bad(err, path, "unknown flag");
        *flags |= names[k].flag;
    }
    return 0;
}

static int parse_top(json_t *j, struct parsed *pp, struct tk_err *err)
{
    static const char *const keys[] = {
        "defaultAction", "defaultErrnoRet", "architectures",    "archMap", "flags",
        "syscalls",      "listenerPath",    "listenerMetadata", "comment", NULL};
    struct sandbox_seccomp_profile *p = &pp->p;
    if (!json_is_object(j))
        return tk_err_set(err, -EINVAL, "not a JSON object");
    int r = check_keys(j, keys, "profile", err);
    if (r < 0)
        return r;
    json_t *v = json_object_get(j, "listenerPath");
    if (json_is_string(v) && json_string_length(v))
        return bad(err, "listenerPath", "not supported (no seccomp agent)");
    r = parse_action(json_object_get(j, "defaultAction"), "defaultAction", &p->default_action, err);
    if (r == 0)
        r = parse_errno(json_object_get(j, "defaultErrnoRet"), p->default_action, "defaultErrnoRet",
                        &p->default_errno, err);
    json_t *arches = json_object_get(j, "architectures"), *map = json_object_get(j, "archMap");
    if (r == 0 && arches && !json_is_null(arches) && map && !json_is_null(map))
        r = bad(err, "archMap", "give either architectures or archMap, not both");
    if (r == 0 && map && !json_is_null(map))
        r = parse_archmap(map, p, err);
    if (r == 0 && arches && !json_is_null(arches)) {
        size_t i;
        if (!json_is_array(arches))
            return bad(err, "architectures", "not an array");
        json_array_foreach(arches, i, v)
        {
            char path[48];
            snprintf(path, sizeof(path), "architectures[%zu]", i);
            if ((r = add_arch(p, v, path, err)) < 0)
                return r;
        }
    }
    if (r == 0 && (v = json_object_get(j, "flags")) && !json_is_null(v))
        r = parse_flags(v, &p->flags, err);
    return r;
}

static int parse_syscalls(json_t *a, struct parsed *pp, struct tk_err *err)
{
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return bad(err, "syscalls", "not an array");
    if (json_array_size(a) > PROFILE_MAX_RULES)
        return bad(err, "syscalls", "more than %d entries", PROFILE_MAX_RULES);
    pp->rules = calloc(json_array_size(a) + 1, sizeof(*pp->rules));
    if (!pp->rules)
        return tk_err_set(err, -ENOMEM, "syscalls: out of memory");
    pp->p.rules = pp->rules;
    size_t i;
    json_t *o;
    json_array_foreach(a, i, o)
    {
        char path[48];
        snprintf(path, sizeof(path), "syscalls[%zu]", i);
        pp->p.n_rules = i + 1;
        int r = parse_rule(o, path, &pp->rules[i], err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* What libseccomp refuses (a syscall it will not filter so) is refused now, with and without
 * every capability (the two ends of the conditional rules). */
static int check_compiles(const struct sandbox_seccomp_profile *p, struct tk_err *err)
{
    const uint64_t sets[] = {~0ULL, 0};
    for (size_t i = 0; i < 2; i++) {
        struct sandbox_seccomp_filter *f = NULL;
        int r = sandbox_seccomp_compile(p, sets[i], &f, err);
        sandbox_seccomp_filter_free(f);
        if (r < 0)
            return r;
    }
    return 0;
}

int sandbox_seccomp_profile_parse(const char *json, size_t len,
                                  struct sandbox_seccomp_profile **out, struct tk_err *err)
{
    __attribute__((cleanup(json_put))) json_t *j = NULL;
    *out = NULL;
    if (len > PROFILE_MAX_SIZE)
        return tk_err_set(err, -EFBIG, "larger than %d bytes", PROFILE_MAX_SIZE);
    json_error_t je;
    j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return tk_err_set(err, -EINVAL, "line %d column %d: %s", je.line, je.column, je.text);
    struct parsed *pp = calloc(1, sizeof(*pp));
    if (!pp)
        return tk_err_set(err, -ENOMEM, "out of memory");
    pp->p.default_errno = -1;
    int r = parse_top(j, pp, err);
    if (r == 0)
        r = parse_syscalls(json_object_get(j, "syscalls"), pp, err);
    if (r == 0)
        r = check_compiles(&pp->p, err);
    if (r < 0) {
        sandbox_seccomp_profile_free(&pp->p);
        return r;
    }
    *out = &pp->p;
    return 0;
}

void sandbox_seccomp_profile_free(struct sandbox_seccomp_profile *p)
{
    if (!p)
        return;
    struct parsed *pp = (struct parsed *)p;
    for (size_t i = 0; i < p->n_rules; i++) {
        free((char *)pp->rules[i].names);
        free((char *)pp->rules[i].arches);
        free((char *)pp->rules[i].not_arches);
    }
    free(pp->rules);
    free(pp);
}

/* Admission of new pods by their requests. See admit.h. */
#include "agent/admit.h"

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/podworker.h"
#include "spec/spec.h"

void admit_host_get(const struct tank_config *cfg, struct admit_host *out)
{
    struct sysinfo si;
    int64_t mem = sysinfo(&si) == 0 ? (int64_t)si.totalram * si.mem_unit : 0;
    cpu_set_t set;
    int64_t cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                : sysconf(_SC_NPROCESSORS_ONLN);
    out->memory = mem - cfg->reserved_memory;
    out->cpu_milli = cpus * 1000 - cfg->reserved_cpu_milli;
}

/* The pod's request as the kubelet counts it: its app containers and sidecars together, or an
 * init container with the sidecars started before it, whichever is more. */
static void spec_requests(const struct spec_pod *s, int64_t *mem, int64_t *cpu)
{
    int64_t side_mem = 0, side_cpu = 0, init_mem = 0, init_cpu = 0;
    *mem = *cpu = 0;
    for (size_t i = 0; s && i < spec_pod_n_all(s); i++) {
        const struct spec_container *c = spec_pod_ctr(s, i);
        if (!spec_pod_is_init(s, i)) {
            *mem += c->res.mem_request;
            *cpu += c->res.cpu_request;
        } else if (c->sidecar) {
            side_mem += c->res.mem_request;
            side_cpu += c->res.cpu_request;
        } else {
            init_mem =
                side_mem + c->res.mem_request > init_mem ? side_mem + c->res.mem_request : init_mem;
            init_cpu =
                side_cpu + c->res.cpu_request > init_cpu ? side_cpu + c->res.cpu_request : init_cpu;
        }
    }
    *mem = *mem + side_mem > init_mem ? *mem + side_mem : init_mem;
    *cpu = *cpu + side_cpu > init_cpu ? *cpu + side_cpu : init_cpu;
    if (s && s->res.mem_request) /* pod-level requests, when set, win */
        *mem = s->res.mem_request;
    if (s && s->res.cpu_request)
        *cpu = s->res.cpu_request;
}

static void requests_of(const struct pod *p, int64_t *mem, int64_t *cpu)
{
    spec_requests(pod_spec(p), mem, cpu);
}

static void fmt(int64_t v, bool memory, char *out, size_t size)
{
    spec_quantity_format(v < 0 ? 0 : memory ? v * 1000 : v, memory, out, size);
}

/* "not enough memory: the pod requests 1Gi, the running pods 256Mi of 512Mi allocatable" */
static void refuse(struct pod *p, bool memory, int64_t want, int64_t used, int64_t cap)
{
    char w[32], u[32], c[32], msg[256];
    fmt(want, memory, w, sizeof(w));
    fmt(used, memory, u, sizeof(u));
    fmt(cap, memory, c, sizeof(c));
    snprintf(msg, sizeof(msg),
             "not enough %s on this host: the pod requests %s, the admitted pods %s of %s "
             "allocatable",
             memory ? "memory" : "cpu", w, u, c);
    pod_refuse(p, memory ? "OutOfmemory" : "OutOfcpu", msg);
}

void admit_pods(struct pod *const *pods, size_t n, const struct admit_host *host)
{
    int64_t used_mem = 0, used_cpu = 0, mem, cpu;
    for (size_t i = 0; i < n; i++)
        if (!pod_awaits_admission(pods[i]) && !pod_gone(pods[i])) {
            requests_of(pods[i], &mem, &cpu);
            used_mem += mem, used_cpu += cpu;
        }
    for (size_t i = 0; i < n; i++) {
        if (!pod_awaits_admission(pods[i]))
            continue;
        requests_of(pods[i], &mem, &cpu);
        if (mem && used_mem + mem > host->memory) {
            refuse(pods[i], true, mem, used_mem, host->memory);
        } else if (cpu && used_cpu + cpu > host->cpu_milli) {
            refuse(pods[i], false, cpu, used_cpu, host->cpu_milli);
        } else {
            pod_admit(pods[i]);
            used_mem += mem, used_cpu += cpu;
        }
    }
}

/* One resource of a resize: 0 when it does not grow or fits beside the others; else the
 * reason (Infeasible: more than allocatable at all; Deferred: not now) and the message. */
static const char *resize_fits(bool memory, int64_t was, int64_t want, int64_t others, int64_t cap,
                               char *msg, size_t size)
{
    if (want <= was || others + want <= cap)
        return NULL;
    char w[32], o[32], c[32];
    fmt(want, memory, w, sizeof(w));
    fmt(others, memory, o, sizeof(o));
    fmt(cap, memory, c, sizeof(c));
    const char *what = memory ? "memory" : "cpu";
    if (want > cap) {
        snprintf(msg, size,
                 "resize infeasible: the pod would request %s of %s, more than the %s "
                 "allocatable on this host",
                 w, what, c);
        return "Infeasible";
    }
    snprintf(msg, size,
             "resize deferred: not enough %s on this host: the pod would request %s, the other "
             "admitted pods %s of %s allocatable",
             what, w, o, c);
    return "Deferred";
}

const char *admit_resize(struct pod *const *pods, size_t n, const struct pod *p,
                         const struct spec_pod *want, const struct admit_host *host, char *msg,
                         size_t size)
{
    int64_t mem = 0, cpu = 0, m, c, was_mem, was_cpu, new_mem, new_cpu;
    for (size_t i = 0; i < n; i++)
        if (pods[i] != p && !pod_awaits_admission(pods[i]) && !pod_gone(pods[i])) {
            requests_of(pods[i], &m, &c);
            mem += m, cpu += c;
        }
    requests_of(p, &was_mem, &was_cpu);
    spec_requests(want, &new_mem, &new_cpu);
    const char *r = resize_fits(true, was_mem, new_mem, mem, host->memory, msg, size);
    return r ? r : resize_fits(false, was_cpu, new_cpu, cpu, host->cpu_milli, msg, size);
}

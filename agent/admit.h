#pragma once
/*
 * Admission, as the kubelet's: a new pod starts only when its requests (the sums of its
 * containers' cpu and memory requests) fit in the host's allocatable beside the pods already
 * admitted. Allocatable = the host's memory and CPUs minus [resources] reserved_memory and
 * reserved_cpu. A pod that does not fit stays Pending with reason OutOfmemory or OutOfcpu
 * and a message with the numbers, and is admitted by a later pass once room frees.
 */
#include <stddef.h>
#include <stdint.h>

struct pod;
struct spec_pod;
struct tank_config;

struct admit_host {
    int64_t memory;    /* bytes allocatable */
    int64_t cpu_milli; /* millicores allocatable */
};

/* The host's allocatable from /proc (sysinfo) and the CPUs the agent may run on. */
void admit_host_get(const struct tank_config *cfg, struct admit_host *out);

/* Admit, in order, the pods of pods[0..n) that await admission and fit; say why to the
 * others. */
void admit_pods(struct pod *const *pods, size_t n, const struct admit_host *host);

/* An in-place resize of the running pod p to want, as the kubelet admits one: a request
 * that grows must fit beside the other admitted pods. NULL when it does; else "Infeasible"
 * (it exceeds the allocatable even alone) or "Deferred" (not beside the others now), with
 * msg the numbers. */
const char *admit_resize(struct pod *const *pods, size_t n, const struct pod *p,
                         const struct spec_pod *want, const struct admit_host *host, char *msg,
                         size_t size);

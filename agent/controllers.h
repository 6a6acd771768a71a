#pragma once
/*
 * The controllers step between the store and the reconciler: workloads (Deployment, Job)
 * become the pods they own, so the reconciler and the pod workers keep seeing plain pods.
 *
 * - A Deployment of replicas R becomes R pods NAME-HASH-0 .. NAME-HASH-(R-1), HASH the
 *   10-character pod-template hash (controllers_template_hash), each with the template's
 *   labels plus pod-template-hash=HASH. A template change changes HASH, so its pods are
 *   new pods: the reconciler stops the old ones and starts the new ones.
 * - A Job becomes pods NAME-XXXXX (XXXXX derived from the template's hash and the pod's
 *   index, stable across reads) with the labels job-name and batch.kubernetes.io/job-name =
 *   NAME. Pods that exist stay desired (an ended one keeps its outcome); a new index is
 *   added while fewer than completions have succeeded or run, fewer than parallelism run,
 *   and at most backoffLimit have failed: at most completions + backoffLimit pods in all.
 *   The outcomes come from observe (the reconciler's pods).
 * - Every such pod has owner_kind/owner_name set, the workload's file and position (so a
 *   workload whose file turns invalid keeps its pods, as a Pod does), and its own hash.
 * - A generated name that is not a DNS label of at most 63 characters, or that a Pod or
 *   another workload's pod already has, is an error of the workload's file (no pod of it).
 */
#include "spec/spec.h"

/* Kubernetes' alphabet for generated name parts (no vowels, no 0/1/3 that read as
 * letters): "bcdfghjklmnpqrstvwxz2456789". */
#define CONTROLLERS_ALPHABET "bcdfghjklmnpqrstvwxz2456789"

/* The pod-template-hash of a workload's template: 10 characters of CONTROLLERS_ALPHABET
 * derived from the template's hash (not Kubernetes' FNV-32a of its Go object dump, which
 * Tank cannot reproduce). out holds 11 bytes. */
void controllers_template_hash(const struct spec_workload *wl, char out[11]);

/* What a pod of a workload is now, as the reconciler knows it. */
enum controllers_pod {
    CONTROLLERS_ABSENT,
    CONTROLLERS_ACTIVE,
    CONTROLLERS_SUCCEEDED,
    CONTROLLERS_FAILED
};
typedef enum controllers_pod (*controllers_observe_fn)(void *data, const char *pod);

/* Append the pods of every workload of set to set->pods (errors to set->errors). observe
 * may be NULL (every pod absent). Returns 0 or -ENOMEM. */
int controllers_expand(struct spec_set *set, controllers_observe_fn observe, void *data);

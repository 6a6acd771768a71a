#pragma once
/*
 * Internal to `tank status` (agent/cmd_status.c: pods, the table, watching;
 * agent/cmd_status_workload.c: a Deployment, DaemonSet, Job or CronJob in detail). Nothing
 * else includes it.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct tank_config;

enum fmt { FMT_TABLE, FMT_WIDE, FMT_JSON, FMT_YAML, FMT_NAME };

/* One row of the table: the columns' texts. */
#define COLS 9
struct row {
    char col[COLS][512];
};

static inline const char *jstr(json_t *o, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : dflt;
}

/* ---- cmd_status.c ---- */

/* Every string of an agent's document made printable: what a manifest, an image or a registry
 * said (a StopSignal in an error, an event's message) may hold terminal escapes. */
void status_escape_strings(json_t *v);
/* p's row of the pod table (wide: also the IPs, images, revision, QoS class). */
void status_pod_row(json_t *p, bool wide, struct row *r);
/* Columns as wide as their longest cell, as kubectl prints them. */
void status_print_rows(const struct row *rows, size_t n, size_t ncols);
/* v as YAML, indent spaces in. */
void status_yaml_value(json_t *v, int indent);

/* ---- cmd_status_workload.c ---- */

/* tank status deploy/NAME (ds/, job/, cronjob/): the workload in detail; the exit code. */
int status_show_workload(const struct tank_config *cfg, const char *ref, enum fmt fmt);

/* `tank status deploy/NAME` (ds/, job/, cronjob/): a workload in detail, its pods and events. */
#include "agent/cmd_status-int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/cli.h"
#include "agent/config.h"
#include "base/buf.h"
#include "base/cleanup.h"

/* "deploy/web" and the like: the kind it names, NULL when the prefix is none of them. */
static const char *workload_kind(const char *ref, const char **name)
{
    static const char *const kinds[][2] = {{"deploy", "Deployment"},
                                           {"deployment", "Deployment"},
                                           {"deployments", "Deployment"},
                                           {"ds", "DaemonSet"},
                                           {"daemonset", "DaemonSet"},
                                           {"daemonsets", "DaemonSet"},
                                           {"job", "Job"},
                                           {"jobs", "Job"},
                                           {"cronjob", "CronJob"},
                                           {"cj", "CronJob"},
                                           {"cronjobs", "CronJob"}};
    const char *slash = strchr(ref, '/');
    if (!slash)
        return NULL;
    *name = slash + 1;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i][0]) == (size_t)(slash - ref) &&
            !strncasecmp(ref, kinds[i][0], (size_t)(slash - ref)))
            return kinds[i][1];
    return NULL;
}

static bool owned_by(json_t *pod, json_t *wl)
{
    json_t *o = json_object_get(pod, "owner"), *j;
    size_t i;
    if (!strcmp(jstr(o, "kind", ""), jstr(wl, "kind", "?")) &&
        !strcmp(jstr(o, "name", ""), jstr(wl, "name", "?")))
        return true;
    json_array_foreach(json_object_get(wl, "jobs"), i, j) /* a CronJob's Jobs' pods */
        if (!strcmp(jstr(o, "kind", ""), "Job") &&
            !strcmp(jstr(o, "name", ""), json_string_value(j))) return true;
    return false;
}

/* A CronJob's schedule and Jobs; a Job's times. */
static void print_schedule(json_t *wl)
{
    json_t *j;
    size_t i;
    if (json_object_get(wl, "startTime"))
        printf("Start Time:    %s\nCompleted At:  %s\n", jstr(wl, "startTime", "-"),
               jstr(wl, "completionTime", "-"));
    if (!json_object_get(wl, "schedule"))
        return;
    printf("Schedule:      %s\nTime Zone:     %s\nConcurrency:   %s\nSuspend:       %s\n"
           "Last Schedule: %s\nNext Schedule: %s\nActive Jobs:  ",
           jstr(wl, "schedule", "?"), jstr(wl, "timeZone", "(local)"),
           jstr(wl, "concurrencyPolicy", "?"),
           json_is_true(json_object_get(wl, "suspend")) ? "true" : "false",
           jstr(wl, "lastScheduleTime", "<none>"), jstr(wl, "nextScheduleTime", "<none>"));
    json_array_foreach(json_object_get(wl, "active"), i, j) printf(" %s", json_string_value(j));
    printf("%s\nJobs:         ", json_array_size(json_object_get(wl, "active")) ? "" : " <none>");
    json_array_foreach(json_object_get(wl, "jobs"), i, j) printf(" %s", json_string_value(j));
    printf("%s\n", json_array_size(json_object_get(wl, "jobs")) ? "" : " <none>");
}

/* A workload's events: its own (deployment/NAME) and its pods', also the gone ones'. */
static void print_workload_events(const struct tank_config *cfg, json_t *wl)
{
    _cleanup_buf_ struct tk_buf evb = TK_BUF_INIT;
    json_t *events = cli_api_get(cfg->socket, "/v1/events", &evb) == 200
                         ? json_loads(tk_buf_str(&evb), 0, NULL)
                         : NULL;
    status_escape_strings(events);
    char own[128], prefix[96];
    snprintf(own, sizeof(own), "%s/%s", jstr(wl, "kind", ""), jstr(wl, "name", ""));
    for (char *c = own; *c && *c != '/'; c++)
        *c = (char)tolower((unsigned char)*c);
    snprintf(prefix, sizeof(prefix), "%s-", jstr(wl, "name", ""));
    json_t *evs = json_object_get(events, "events"), *e;
    size_t i, shown = 0;
    printf("Events:\n");
    json_array_foreach(evs, i, e)
    {
        const char *pod = jstr(e, "pod", "");
        if (strcmp(pod, own) && strncmp(pod, prefix, strlen(prefix)))
            continue;
        printf("  %s  %-24s %-22s %s\n", jstr(e, "time", "?"), pod, jstr(e, "reason", ""),
               jstr(e, "message", ""));
        shown++;
    }
    if (!shown)
        printf("  <none>\n");
    json_decref(events);
}

static void print_workload(const struct tank_config *cfg, json_t *root, json_t *wl)
{
    const char *kind = jstr(wl, "kind", "?");
    printf("Name:          %s\nKind:          %s\nNamespace:     %s\n", jstr(wl, "name", "?"), kind,
           jstr(wl, "namespace", "-"));
    printf("Replicas:      %lld desired | %lld updated | %lld ready | %lld available\n",
           (long long)json_integer_value(json_object_get(wl, "replicas")),
           (long long)json_integer_value(json_object_get(wl, "updated")),
           (long long)json_integer_value(json_object_get(wl, "ready")),
           (long long)json_integer_value(json_object_get(wl, "available")));
    if (json_object_get(wl, "strategy"))
        printf("Strategy:      %s\nTemplate hash: %s\n", jstr(wl, "strategy", "-"),
               jstr(wl, "templateHash", "-"));
    if (json_object_get(wl, "paused"))
        printf("Paused:        %s\n",
               json_is_true(json_object_get(wl, "paused")) ? "true" : "false");
    if (json_object_get(wl, "succeeded"))
        printf("Pods Statuses: %lld active / %lld succeeded / %lld failed\n",
               (long long)json_integer_value(json_object_get(wl, "active")),
               (long long)json_integer_value(json_object_get(wl, "succeeded")),
               (long long)json_integer_value(json_object_get(wl, "failed")));
    print_schedule(wl);
    json_t *c;
    size_t i, n = 0;
    printf("Conditions:\n  %-12s %-7s %-27s %s\n", "Type", "Status", "Reason", "Message");
    json_array_foreach(json_object_get(wl, "conditions"), i, c)
        printf("  %-12s %-7s %-27s %s\n", jstr(c, "type", "?"), jstr(c, "status", "?"),
               jstr(c, "reason", "-"), jstr(c, "message", ""));
    json_t *pods = json_object_get(root, "pods"), *p;
    struct row *rows = calloc(json_array_size(pods) + 1, sizeof(*rows));
    static const char *const head[] = {"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP"};
    for (size_t k = 0; rows && k < 6; k++)
        snprintf(rows[0].col[k], sizeof(rows[0].col[k]), "%s", head[k]);
    json_array_foreach(pods, i, p) if (rows && owned_by(p, wl))
        status_pod_row(p, false, &rows[++n]);
    printf("Pods:\n");
    if (rows && n)
        status_print_rows(rows, n + 1, 6);
    else
        printf("  <none>\n");
    free(rows);
    print_workload_events(cfg, wl);
}

/* tank status deploy/NAME (ds/, job/, cronjob/): the workload in detail. */
int status_show_workload(const struct tank_config *cfg, const char *ref, enum fmt fmt)
{
    const char *name = NULL, *kind = workload_kind(ref, &name);
    if (!kind) {
        fprintf(stderr,
                "tank status: '%s': not a pod name nor KIND/NAME (deploy/, ds/, job/, "
                "cronjob/)\n",
                ref);
        return 2;
    }
    _cleanup_buf_ struct tk_buf body = TK_BUF_INIT;
    if (cli_api_get(cfg->socket, "/v1/pods", &body) != 200)
        return 1;
    json_t *root = json_loads(tk_buf_str(&body), 0, NULL), *wl, *found = NULL;
    size_t i;
    json_array_foreach(json_object_get(root, "workloads"), i,
                       wl) if (!found && !strcmp(jstr(wl, "kind", ""), kind) &&
                               !strcmp(jstr(wl, "name", ""), name)) found = wl;
    int rc = 0;
    if (!found) {
        fprintf(stderr, "tank status: %s '%s' not found\n", kind, name);
        rc = 1;
    } else if (fmt == FMT_JSON) {
        char *s = json_dumps(found, JSON_INDENT(2));
        printf("%s\n", s ? s : "null");
        free(s);
    } else if (fmt == FMT_YAML) {
        status_yaml_value(found, 0);
    } else if (fmt == FMT_NAME) {
        printf("%s\n", ref);
    } else {
        status_escape_strings(root);
        print_workload(cfg, root, found);
    }
    json_decref(root);
    return rc;
}

#pragma once
/*
 * Internal to the status API (agent/api.c: HTTP; agent/api_json.c: the JSON documents it
 * serves). Nothing else includes it.
 */
#include <jansson.h>

#include "agent/api.h"

struct sync;

/* ---- api_json.c ---- */

/* A JSON string, or null for NULL. */
json_t *api_str_or_null(const char *s);
/* o as compact text on the heap; takes o's reference. */
char *api_dump(json_t *o);
/* GET /v1/pods, with the sync's status (sync NULL: "sync" is null). */
char *api_pods_sync_json(const struct reconciler *r, const struct sync *sync);

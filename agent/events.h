#pragma once
/*
 * Persistent events: every pod event the agent records is also appended, as one JSON line
 * {"time","pod","container","reason","message"} (time RFC 3339 with nanoseconds), to
 * STATE_DIR/events.jsonl, so that events survive an agent restart. The file is bounded: past
 * max lines it is renamed to events.jsonl.1 (replacing the older one) and a new one begun, so
 * the newest max to 2*max events are kept. Writes are appends of one line (a crash loses at
 * most the line being written; a torn last line is skipped when read).
 * Process-wide, like the agent it serves.
 */
#include <stddef.h>
#include <stdint.h>

#define EVENTS_MAX_LINES 1000

/* Keep events under dir (created by the caller) from now on, max lines per file. -errno. */
int events_open(const char *dir, size_t max);
void events_close(void);

/* Append one event (no-op when not open). Errors are logged once. */
void events_record(int64_t time_ns, const char *pod, const char *ctr, const char *reason,
                   const char *message);

/* {"events":[...]}: the kept events at or after since_ns (0: all), of pod (NULL: all), oldest
 * first. A heap string, NULL when out of memory. */
char *events_json(int64_t since_ns, const char *pod);

/* "2026-01-02T03:04:05Z", with an optional fraction of a second, or a Unix time in seconds:
 * nanoseconds since the epoch, or -1 when it is neither. */
int64_t events_parse_time(const char *s);

/*
 * isync_trace.c: what each request of one call did, recorded by the request loop (isync_exec.c)
 * for the binding to publish as events once the call has returned (Ruby is never called from
 * inside the core). Ruby-free, part of the core.
 *
 * A trace is off until the binding turns it on for a call (someone subscribed to the events),
 * and bounded: a sync's requests are the server's to multiply (pages, companies, leads), so past
 * ISYNC_TRACE_MAX entries the rest are only counted. It never holds an id or a query: the path
 * is reduced to its template ("/contacts/{id}") as it is recorded.
 */
#ifndef ISYNC_TRACE_H
#define ISYNC_TRACE_H

#include <stddef.h>

#include "isync_core.h"

#define ISYNC_TRACE_MAX 128      /* entries a call keeps; a sync rarely makes 20 requests */
#define ISYNC_TRACE_PATH_MAX 64  /* "/contacts/find_by_external_id/{id}" is 35 */

typedef enum isync_trace_outcome {
    ISYNC_TRACE_OK,           /* a 2xx answer */
    ISYNC_TRACE_FAILED,       /* error_class says why */
    ISYNC_TRACE_INTERRUPTED   /* a Ruby interrupt abandoned it (isync_exec_cancel) */
} isync_trace_outcome;

typedef struct isync_trace_entry {
    char method[8];
    char path[ISYNC_TRACE_PATH_MAX];  /* the template: known words kept, every other segment "{id}" */
    long long start_ns, end_ns;       /* CLOCK_MONOTONIC, the clock Ruby's CLOCK_MONOTONIC reads */
    long long waited_ms;              /* pacing and backoff waits planned inside it */
    long status;                      /* the last answer's HTTP status; 0: none (transport failure) */
    int retries;                      /* attempts after the first */
    long limit, remaining;            /* X-RateLimit-* of the last answer that had them; -1: none */
    isync_trace_outcome outcome;
    isync_error_class error_class;    /* ISYNC_EC_NONE unless FAILED */
    int out_of_memory;                /* FAILED for want of memory (NoMemoryError, no class of ours) */
} isync_trace_entry;

typedef struct isync_trace {
    int on;                  /* record (the binding turns it on per call) */
    int open;                /* entries[len] is the request under way */
    size_t len;
    unsigned long dropped;   /* requests past ISYNC_TRACE_MAX, not recorded */
    isync_trace_entry entries[ISYNC_TRACE_MAX];
} isync_trace;

/* malloc'd, off and empty; NULL on OOM. isync_trace_free(NULL) is fine. */
isync_trace *isync_trace_new(void);
void isync_trace_free(isync_trace *t);
/* Empties it (and leaves on as it is). */
void isync_trace_clear(isync_trace *t);

/* The recording side, for isync_exec.c: a request starts, its answers arrive (zero or more:
 * each attempt's), it ends. All are no-ops when the trace is off, or full (begin counts it). */
void isync_trace_begin(isync_trace *t, const char *method, const char *path);
void isync_trace_answer(isync_trace *t, long status, const isync_rate_limit *rl);
void isync_trace_wait(isync_trace *t, long long ms);
/* e: the failure (NULL on success); interrupted: abandoned instead of finished. */
void isync_trace_end(isync_trace *t, const isync_error *e, int interrupted, int retries);

/* The template of a request path: the query and fragment dropped, each segment kept when it is
 * one of the API's own words (contacts, companies, search, ...), else replaced by "{id}"; so
 * nothing the app or a server chose (an id, an email) can reach it. Cut at a segment boundary
 * with "/..." when longer than cap - 1. out is always terminated (cap > 0). */
void isync_path_template(const char *path, char *out, size_t cap);

/* CLOCK_MONOTONIC in nanoseconds. */
long long isync_monotonic_ns(void);

#endif /* ISYNC_TRACE_H */

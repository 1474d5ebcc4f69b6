/*
 * The per-call trace of requests (see isync_trace.h): recorded by the request loop without the
 * GVL, read by the binding after the call. Plain memory, no locks: a trace belongs to one client,
 * which one thread uses at a time.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */
#endif
#include "isync_trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

isync_trace *isync_trace_new(void)
{
    return calloc(1, sizeof(isync_trace));
}

void isync_trace_free(isync_trace *t)
{
    free(t);
}

void isync_trace_clear(isync_trace *t)
{
    t->len = 0;
    t->open = 0;
    t->dropped = 0;
}

long long isync_monotonic_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---------------------------------------------------------------------------------------- */
/* Recording */

static isync_trace_entry *current(isync_trace *t)
{
    return t && t->on && t->open ? &t->entries[t->len] : NULL;
}

void isync_trace_begin(isync_trace *t, const char *method, const char *path)
{
    if (!t || !t->on) return;
    t->open = 0;
    if (t->len >= ISYNC_TRACE_MAX) {
        t->dropped++;
        return;
    }
    isync_trace_entry *r = &t->entries[t->len];
    memset(r, 0, sizeof(*r));
    size_t n = strlen(method);
    if (n >= sizeof(r->method)) n = sizeof(r->method) - 1;
    memcpy(r->method, method, n);
    isync_path_template(path, r->path, sizeof(r->path));
    r->limit = r->remaining = -1;
    r->error_class = ISYNC_EC_NONE;
    r->start_ns = isync_monotonic_ns();
    t->open = 1;
}

void isync_trace_answer(isync_trace *t, long status, const isync_rate_limit *rl)
{
    isync_trace_entry *r = current(t);
    if (!r) return;
    r->status = status;
    /* an attempt without the headers (a transport failure) leaves what the last one said */
    if (rl && rl->present) {
        r->limit = rl->limit;
        r->remaining = rl->remaining;
    }
}

void isync_trace_wait(isync_trace *t, long long ms)
{
    isync_trace_entry *r = current(t);
    if (r && ms > 0) r->waited_ms += ms;
}

void isync_trace_end(isync_trace *t, const isync_error *e, int interrupted, int retries)
{
    isync_trace_entry *r = current(t);
    if (!r) return;
    r->end_ns = isync_monotonic_ns();
    r->retries = retries;
    if (interrupted) {
        r->outcome = ISYNC_TRACE_INTERRUPTED;
    } else if (e && e->kind != ISYNC_OK) {
        r->outcome = ISYNC_TRACE_FAILED;
        r->out_of_memory = e->kind == ISYNC_E_NOMEM;
        r->error_class = isync_error_classify(e);
        if (e->http_status) r->status = e->http_status;
    } else {
        r->outcome = ISYNC_TRACE_OK;
    }
    t->open = 0;
    t->len++;
}

/* ---------------------------------------------------------------------------------------- */
/* Path templates */

/* The words of Intercom's REST paths (2.x). Anything else in a path is an id or a value. */
static const char *const API_WORDS[] = {
    "admins",   "archive",   "attach",        "companies",           "contacts", "conversations",
    "data_attributes",       "detach",        "events",              "find_by_external_id",
    "list",     "me",        "merge",         "notes",               "scroll",   "search",
    "segments", "subscriptions", "tags",      "tickets",             "unarchive", "users",
};

static int api_word(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof(API_WORDS) / sizeof(API_WORDS[0]); i++) {
        if (strlen(API_WORDS[i]) == len && memcmp(API_WORDS[i], s, len) == 0) return 1;
    }
    return 0;
}

void isync_path_template(const char *path, char *out, size_t cap)
{
    static const char ID[] = "{id}", MORE[] = "/...";
    if (cap == 0) return;
    out[0] = '\0';
    if (!path) return;
    const char *p = path, *end = path + strcspn(path, "?#");
    size_t used = 0;
    while (p < end) {
        if (*p == '/') p++;
        size_t seg = strcspn(p, "/?#");
        const char *word = seg == 0 || api_word(p, seg) ? p : ID;
        size_t wlen = word == ID ? sizeof(ID) - 1 : seg;
        int last = p + seg >= end;
        /* "/" and the word, leaving room for "/..." should a later segment not fit */
        if (used + 1 + wlen + (last ? 0 : sizeof(MORE) - 1) >= cap) {
            if (used + sizeof(MORE) - 1 < cap) {
                memcpy(out + used, MORE, sizeof(MORE) - 1);
                used += sizeof(MORE) - 1;
            }
            break;
        }
        out[used++] = '/';
        memcpy(out + used, word, wlen);
        used += wlen;
        p += seg;
    }
    out[used] = '\0';
}

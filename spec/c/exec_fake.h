/*
 * A fake for the loop of retries, pacing and deadline (isync_exec.c): a transport of canned
 * answers, a clock that moves only when asked and a fixed random source, so every wait is
 * exact. Included by the programs that test the loop (test_exec.c, test_exec_shared.c).
 */
#ifndef EXEC_FAKE_H
#define EXEC_FAKE_H

#include "isync_core.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCH_MS 1800000000000LL /* a realistic wall clock, so X-RateLimit-Reset is sane */

/* One canned outcome of a request. */
typedef struct answer {
    long status;             /* 2xx: body is the document; otherwise an HTTP error */
    isync_err_kind transport; /* not ISYNC_OK: a transport failure instead of an answer */
    long retry_after;        /* -1: none */
    long limit, remaining;   /* X-RateLimit-*, when limit > 0 */
    long long reset_in_s;    /* X-RateLimit-Reset, seconds after the clock's reading */
} answer;

typedef struct fake {
    long long now;
    const answer *answers;
    size_t count, sent;        /* past the last answer, the last one repeats */
    long sleeps, slept_ms, last_sleep;
    long long oversleep_ms;    /* a sleep moves the clock this much further (a suspended laptop) */
    int interrupt_sleeps;      /* the next N sleeps are interrupted, half way */
    int interrupt_runs;        /* the next N transfers are interrupted (then resumable) */
    long in_flight_at_sleep;   /* the budget's count during the last sleep */
    long timeout_seen;
    int transferring, cancelled;
    isync_budget *budget;
} fake;

static fake *fake_of(isync_exec *x) { return x->ctx; }

static long long fake_now(isync_exec *x) { return fake_of(x)->now; }

static unsigned int fake_random(isync_exec *x)
{
    (void)x;
    return 0; /* no jitter: backoff is exactly half its delay, a reset wait exactly the reset */
}

static isync_run_state fake_sleep(isync_exec *x, long ms)
{
    fake *f = fake_of(x);
    CHECK(ms > 0);
    f->sleeps++;
    f->last_sleep = ms;
    if (f->budget) f->in_flight_at_sleep = isync_budget_in_flight(f->budget);
    if (f->interrupt_sleeps > 0) {
        f->interrupt_sleeps--;
        f->now += ms / 2;
        f->slept_ms += ms / 2;
        return ISYNC_RUN_INTERRUPTED;
    }
    f->now += ms + f->oversleep_ms;
    f->slept_ms += ms;
    return ISYNC_RUN_DONE;
}

static int fake_begin(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                      long timeout_ms, isync_error *e)
{
    (void)body;
    (void)body_len;
    fake *f = fake_of(x);
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
        return isync_error_set(e, ISYNC_E_CONFIG, "unsupported HTTP method");
    }
    (void)path;
    f->timeout_seen = timeout_ms;
    f->transferring = 1;
    return 0;
}

static isync_run_state fake_run(isync_exec *x)
{
    fake *f = fake_of(x);
    if (f->interrupt_runs > 0) {
        f->interrupt_runs--;
        return ISYNC_RUN_INTERRUPTED;
    }
    f->now += 10; /* the round trip */
    return ISYNC_RUN_DONE;
}

static isync_json *fake_finish(isync_exec *x, isync_rate_limit *rl, isync_error *e)
{
    fake *f = fake_of(x);
    const answer *a = &f->answers[f->sent < f->count ? f->sent : f->count - 1];
    f->sent++;
    f->transferring = 0;
    if (a->transport == ISYNC_OK) x->answer_status = a->status;
    if (a->limit > 0) {
        rl->present = 1;
        rl->limit = a->limit;
        rl->remaining = a->remaining;
        rl->reset = f->now / 1000 + a->reset_in_s;
    }
    if (a->transport != ISYNC_OK) return isync_error_set(e, a->transport, "fake transport failure"), NULL;
    if (a->status >= 200 && a->status < 300) return isync_json_parse("{\"ok\":true}", 11, e);
    isync_error_set(e, ISYNC_E_HTTP, "HTTP %ld", a->status);
    e->http_status = a->status;
    e->retry_after = a->retry_after;
    e->rate_limit = *rl;
    return NULL;
}

static void fake_cancel(isync_exec *x)
{
    fake *f = fake_of(x);
    f->transferring = 0;
    f->cancelled++;
}

static const isync_exec_io fake_io = {fake_now, fake_random, fake_sleep, fake_begin, fake_run, fake_finish, fake_cancel};

static const isync_retry_policy default_policy = {3, 200, 5000, 3, 0};

/* A loop over f with policy p; pacing on a budget of its own (name: a fresh workspace). */
static void setup(isync_exec *x, fake *f, const answer *answers, size_t count, const isync_retry_policy *p,
                  const char *workspace)
{
    memset(f, 0, sizeof(*f));
    f->now = EPOCH_MS;
    f->answers = answers;
    f->count = count;
    f->budget = workspace ? isync_budget_for(workspace) : NULL;
    isync_exec_init(x, NULL, p, workspace != NULL, f->budget, 1);
    x->io = &fake_io;
    x->ctx = f;
}

#endif /* EXEC_FAKE_H */

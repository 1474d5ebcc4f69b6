/*
 * The loop of retries, pacing and deadline (isync_exec.c) over a fake transport, a fake clock
 * that moves only when asked, and a fixed random source: every wait is exact. A program of its
 * own (no emulator), run by rake c:test, c:valgrind and c:asan.
 */
#include "isync_core.h"
#include "isync_trace.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_passed, test_failed;

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

static void test_retry_then_success(void)
{
    static const answer answers[] = {{500, ISYNC_OK, -1, 0, 0, 0}, {0, ISYNC_E_CONNECTION, -1, 0, 0, 0},
                                      {200, ISYNC_OK, -1, 0, 0, 0}};
    isync_exec x;
    fake f;
    isync_error e;
    setup(&x, &f, answers, 3, &default_policy, "retry-then-success");
    isync_json *doc = isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e);
    CHECK(doc != NULL);
    CHECK(f.sent == 3);
    CHECK(x.retries == 2);
    CHECK(f.sleeps == 2);
    CHECK(f.slept_ms == 100 + 200); /* equal jitter at random 0: half of 200, then half of 400 */
    CHECK(isync_budget_in_flight(f.budget) == 0);
    isync_json_free(doc);
}

static void test_retries_exhausted(void)
{
    static const answer answers[] = {{503, ISYNC_OK, -1, 0, 0, 0}};
    isync_exec x;
    fake f;
    isync_error e;
    setup(&x, &f, answers, 1, &default_policy, NULL);
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e) == NULL);
    CHECK(e.kind == ISYNC_E_HTTP && e.http_status == 503);
    CHECK(f.sent == 4); /* the first try and max_retries repeats */
    CHECK(x.retries == 3);

    /* a failure no retry cures is returned at once */
    static const answer not_found[] = {{404, ISYNC_OK, -1, 0, 0, 0}};
    setup(&x, &f, not_found, 1, &default_policy, NULL);
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e) == NULL);
    CHECK(e.http_status == 404 && f.sent == 1 && f.sleeps == 0);

    /* so is one that cannot even start: nothing was sent, the slot is given back */
    setup(&x, &f, not_found, 1, &default_policy, "bad-method");
    CHECK(isync_exec_call(&x, "PATCH", "/me", NULL, 0, 0, &e) == NULL);
    CHECK(e.kind == ISYNC_E_CONFIG && f.sent == 0);
    CHECK(isync_budget_in_flight(f.budget) == 0);
}

static void test_rate_limited(void)
{
    static const answer answers[] = {{429, ISYNC_OK, 2, 0, 0, 0}, {200, ISYNC_OK, -1, 0, 0, 0}};
    isync_exec x;
    fake f;
    isync_error e;

    /* sleep: Retry-After is waited out, then the request repeated */
    setup(&x, &f, answers, 2, &default_policy, NULL);
    isync_json *doc = isync_exec_call(&x, "POST", "/contacts", "{}", 2, 0, &e);
    CHECK(doc != NULL);
    CHECK(f.sent == 2 && f.slept_ms == 2000 && x.retries == 1);
    isync_json_free(doc);

    /* raise: the 429 is returned at once, for the job to reschedule */
    isync_retry_policy raising = default_policy;
    raising.raise_on_rate_limit = 1;
    raising.rate_limit_retries = 0;
    setup(&x, &f, answers, 2, &raising, NULL);
    CHECK(isync_exec_call(&x, "POST", "/contacts", "{}", 2, 0, &e) == NULL);
    CHECK(e.http_status == 429 && f.sent == 1 && f.sleeps == 0 && x.retries == 0);

    /* 429s have their own bound */
    static const answer always[] = {{429, ISYNC_OK, 1, 0, 0, 0}};
    isync_retry_policy few = default_policy;
    few.rate_limit_retries = 1;
    setup(&x, &f, always, 1, &few, NULL);
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e) == NULL);
    CHECK(e.http_status == 429 && f.sent == 2);
}

static void test_deadline(void)
{
    static const answer answers[] = {{500, ISYNC_OK, -1, 0, 0, 0}};
    isync_retry_policy p = {10, 600, 600, 3, 0};
    isync_exec x;
    fake f;
    isync_error e;

    /* backoffs of 300 ms: tries at 0, 310, 620 and 930; the next wait would end past 1000 */
    setup(&x, &f, answers, 1, &p, NULL);
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, EPOCH_MS + 1000, &e) == NULL);
    CHECK(e.kind == ISYNC_E_TIMEOUT && e.http_status == 500);
    CHECK(strstr(e.message, "deadline passed (last error: HTTP 500)") != NULL);
    CHECK(f.sent == 4 && x.retries == 3);
    CHECK(f.timeout_seen > 0 && f.timeout_seen <= 1000); /* each request is capped to the time left */

    /* the clock jumps during a backoff: the deadline passes while waiting, nothing more is sent */
    setup(&x, &f, answers, 1, &p, NULL);
    f.oversleep_ms = 5000;
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, EPOCH_MS + 1000, &e) == NULL);
    CHECK(e.kind == ISYNC_E_TIMEOUT && strstr(e.message, "last error: HTTP 500") != NULL);
    CHECK(f.sent == 1 && f.sleeps == 1);

    /* a deadline already past: nothing is sent, and no last error is named */
    setup(&x, &f, answers, 1, &p, NULL);
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, EPOCH_MS, &e) == NULL);
    CHECK(e.kind == ISYNC_E_TIMEOUT && strcmp(e.message, "the sync's deadline passed") == 0 && f.sent == 0);
}

/* An answer that leaves the window empty for the next 5 seconds. */
static const answer exhausted_window[] = {{200, ISYNC_OK, -1, 100, 0, 5}};

static void test_pacing(void)
{
    isync_exec x;
    fake f;
    isync_error e;
    setup(&x, &f, exhausted_window, 1, &default_policy, "pacing");
    isync_budget_reset(f.budget);
    isync_json *doc = isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e);
    CHECK(doc != NULL && f.sleeps == 0 && x.paced == 0); /* nothing known yet */
    isync_json_free(doc);

    long long reset_ms = (f.now / 1000 + 5) * 1000;
    long long before = f.now;
    doc = isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e);
    CHECK(doc != NULL && x.paced == 1 && f.sleeps == 1);
    CHECK(f.last_sleep == reset_ms - before); /* to the window's reset, jitter 0 */
    CHECK(f.in_flight_at_sleep == 1);         /* the slot is held while waiting for it */
    CHECK(isync_budget_in_flight(f.budget) == 0);
    isync_json_free(doc);

    /* a slot past the deadline: nothing is sent, the reservation is given back */
    size_t sent = f.sent;
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, f.now + 1000, &e) == NULL);
    CHECK(e.kind == ISYNC_E_TIMEOUT && f.sent == sent);
    CHECK(isync_budget_in_flight(f.budget) == 0);
}

static void test_interrupts(void)
{
    isync_exec x;
    fake f;
    isync_error e;
    isync_json *doc = NULL;
    setup(&x, &f, exhausted_window, 1, &default_policy, "interrupts");
    isync_budget_reset(f.budget);
    doc = isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e); /* learns the empty window */
    isync_json_free(doc);

    /* interrupted during the pacing wait: the slot is given back before the loop returns */
    f.interrupt_sleeps = 1;
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_INTERRUPTED && doc == NULL);
    CHECK(f.in_flight_at_sleep == 1);
    CHECK(isync_budget_in_flight(f.budget) == 0);
    /* resumed (Ruby did not raise): the slot is taken again and the wait goes on to its end */
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_DONE && doc != NULL);
    CHECK(f.in_flight_at_sleep == 1 && f.sleeps == 2);
    CHECK(isync_budget_in_flight(f.budget) == 0);
    isync_json_free(doc);

    /* interrupted during the transfer, then abandoned (Ruby raised): cancelled, nothing held */
    isync_budget_reset(f.budget);
    f.interrupt_runs = 1;
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_INTERRUPTED);
    CHECK(isync_budget_in_flight(f.budget) == 0 && f.transferring);
    isync_exec_cancel(&x);
    CHECK(!f.transferring && f.cancelled == 1);
    CHECK(isync_budget_in_flight(f.budget) == 0);
    isync_exec_cancel(&x); /* idempotent */
    CHECK(f.cancelled == 1);

    /* interrupted during a backoff and abandoned: no transfer to cancel */
    static const answer failing[] = {{500, ISYNC_OK, -1, 0, 0, 0}};
    setup(&x, &f, failing, 1, &default_policy, "interrupts");
    isync_budget_reset(f.budget);
    f.interrupt_sleeps = 1;
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_INTERRUPTED);
    CHECK(f.sent == 1 && isync_budget_in_flight(f.budget) == 0);
    isync_exec_cancel(&x);
    CHECK(f.cancelled == 0);
}

/* The trace: one entry per request (not per attempt), with what its last answer said. */
static void test_trace(void)
{
    static const answer answers[] = {{500, ISYNC_OK, -1, 100, 60, 10}, {0, ISYNC_E_CONNECTION, -1, 0, 0, 0},
                                      {201, ISYNC_OK, -1, 0, 0, 0}, {404, ISYNC_OK, -1, 100, 58, 10}};
    isync_exec x;
    fake f;
    isync_error e;
    static isync_trace trace; /* static: a REQUIRE that stops the case leaks nothing */
    isync_trace *t = &trace;
    setup(&x, &f, answers, 4, &default_policy, NULL);

    /* off (the default, and when nobody listens): nothing is kept */
    x.trace = t;
    isync_json_free(isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e));
    CHECK(t->len == 0 && t->dropped == 0);

    setup(&x, &f, answers, 4, &default_policy, NULL);
    x.trace = t;
    t->on = 1;
    isync_json *doc = isync_exec_call(&x, "GET", "/contacts/6650a1b2c3d4e5f6a7b8c9d0?per_page=2&email=ann@example.com",
                                      NULL, 0, 0, &e);
    CHECK(doc != NULL);
    isync_json_free(doc);
    CHECK(isync_exec_call(&x, "POST", "/contacts/search", "{}", 2, 0, &e) == NULL);
    REQUIRE(t->len == 2);
    const isync_trace_entry *ok = &t->entries[0], *failed = &t->entries[1];
    CHECK(strcmp(ok->method, "GET") == 0);
    CHECK(strcmp(ok->path, "/contacts/{id}") == 0);
    CHECK(ok->outcome == ISYNC_TRACE_OK && ok->status == 201 && ok->retries == 2);
    CHECK(ok->waited_ms == 100 + 200);
    CHECK(ok->limit == 100 && ok->remaining == 60); /* the transport failure had no headers */
    CHECK(ok->end_ns >= ok->start_ns && ok->start_ns > 0);
    CHECK(ok->error_class == ISYNC_EC_NONE);
    CHECK(strcmp(failed->path, "/contacts/search") == 0);
    CHECK(failed->outcome == ISYNC_TRACE_FAILED && failed->status == 404 && failed->retries == 0);
    CHECK(failed->error_class == ISYNC_EC_NOT_FOUND && !failed->out_of_memory);
    CHECK(failed->remaining == 58);

    /* abandoned after an interrupt: recorded as such, once */
    isync_trace_clear(t);
    setup(&x, &f, answers, 1, &default_policy, NULL);
    x.trace = t;
    f.interrupt_runs = 1;
    isync_exec_start(&x, "GET", "/contacts/1/companies/2", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_INTERRUPTED);
    CHECK(t->len == 0 && t->open);
    isync_exec_cancel(&x);
    isync_exec_cancel(&x);
    REQUIRE(t->len == 1);
    CHECK(t->entries[0].outcome == ISYNC_TRACE_INTERRUPTED);
    CHECK(strcmp(t->entries[0].path, "/contacts/{id}/companies/{id}") == 0);

    /* bounded: a server that makes a call run on keeps the first ISYNC_TRACE_MAX, counts the rest */
    static const answer fine[] = {{200, ISYNC_OK, -1, 0, 0, 0}};
    isync_trace_clear(t);
    setup(&x, &f, fine, 1, &default_policy, NULL);
    x.trace = t;
    for (int i = 0; i < ISYNC_TRACE_MAX + 3; i++) isync_json_free(isync_exec_call(&x, "GET", "/companies", NULL, 0, 0, &e));
    CHECK(t->len == ISYNC_TRACE_MAX && t->dropped == 3 && !t->open);

    isync_trace *fresh = isync_trace_new();
    CHECK(fresh && !fresh->on && fresh->len == 0);
    isync_trace_free(fresh);
    isync_trace_free(NULL);
}

/* A shared budget (another process's requests): asked before each attempt through the caller
 * (ISYNC_RUN_SHARED_BUDGET), its slot waited for when it is the later, told every answer's
 * window, and given back on every path. */
typedef struct fake_shared {
    long wait;           /* what reserve answers */
    int reserved, done, done_with_window;
    long last_remaining;
} fake_shared;

static long shared_reserve(void *ctx, long long now_ms, unsigned int random)
{
    (void)now_ms;
    (void)random;
    fake_shared *s = ctx;
    if (s->wait >= 0) s->reserved++;
    return s->wait;
}

static void shared_done(void *ctx, const isync_rate_limit *rl, long long now_ms)
{
    (void)now_ms;
    fake_shared *s = ctx;
    s->done++;
    if (rl && rl->present) {
        s->done_with_window++;
        s->last_remaining = rl->remaining;
    }
}

static void test_shared_budget(void)
{
    static const answer window[] = {{200, ISYNC_OK, -1, 100, 90, 10}};
    static const answer failing_once[] = {{503, ISYNC_OK, -1, 100, 80, 10}, {200, ISYNC_OK, -1, 100, 79, 10}};
    isync_exec x;
    fake f;
    isync_error e;
    fake_shared s = {250, 0, 0, 0, 0};
    isync_shared_budget shared = {shared_reserve, shared_done, &s};
    setup(&x, &f, window, 1, &default_policy, "shared");
    isync_budget_reset(f.budget);
    x.shared = 1;
    x.shared_budget = &shared;

    /* the loop asks the caller first, holding no slot of the process's meanwhile */
    isync_json *doc = NULL;
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_SHARED_BUDGET && doc == NULL);
    CHECK(x.shared_request.reserve && !x.shared_request.report && f.sent == 0);
    CHECK(isync_budget_in_flight(f.budget) == 0);
    /* the shared slot is later than the process's (none): waited for, then given back with the window */
    isync_exec_serve(&x, &shared);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_DONE && doc != NULL);
    CHECK(f.sleeps == 1 && f.last_sleep == 250 && x.paced == 1);
    CHECK(s.reserved == 1 && s.done == 0 && x.shared_request.report); /* reported by the caller */
    isync_exec_serve(&x, &shared);
    CHECK(s.done == 1 && s.done_with_window == 1 && s.last_remaining == 90);
    CHECK(!x.shared_reserved && isync_budget_in_flight(f.budget) == 0);
    isync_json_free(doc);

    /* unusable (Redis down): the process's budget alone paces, nothing to report */
    s.wait = ISYNC_SHARED_UNUSABLE;
    int sleeps = (int)f.sleeps;
    doc = isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e);
    CHECK(doc != NULL && f.sleeps == sleeps && s.reserved == 1 && s.done == 1);
    isync_json_free(doc);

    /* a retry: the failed attempt's slot is reported (its window) before the next is reserved */
    s.wait = 0;
    setup(&x, &f, failing_once, 2, &default_policy, "shared");
    isync_budget_reset(f.budget);
    x.shared = 1;
    x.shared_budget = &shared;
    doc = isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e);
    CHECK(doc != NULL && x.retries == 1);
    CHECK(s.reserved == 3 && s.done == 3 && s.last_remaining == 79);
    isync_json_free(doc);

    /* abandoned while the caller asks (Ruby raised in the budget): nothing held, nothing to report */
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_SHARED_BUDGET);
    isync_exec_cancel(&x);
    CHECK(!x.shared_request.reserve && !x.shared_request.report && isync_budget_in_flight(f.budget) == 0);

    /* interrupted in the transfer and abandoned: the shared slot is reported at cancel, once */
    f.interrupt_runs = 1;
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_SHARED_BUDGET);
    isync_exec_serve(&x, &shared);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_INTERRUPTED);
    CHECK(x.shared_reserved && !x.shared_request.report); /* kept while suspended */
    isync_exec_cancel(&x);
    isync_exec_cancel(&x);
    CHECK(x.shared_request.report && !x.shared_reserved && isync_budget_in_flight(f.budget) == 0);
    int done = s.done;
    isync_exec_serve(&x, &shared);
    CHECK(s.done == done + 1);

    /* a shared slot past the deadline: nothing sent, both slots back */
    s.wait = 60000;
    size_t sent = f.sent;
    done = s.done;
    CHECK(isync_exec_call(&x, "GET", "/me", NULL, 0, f.now + 1000, &e) == NULL);
    CHECK(e.kind == ISYNC_E_TIMEOUT && f.sent == sent && s.done == done + 1 && isync_budget_in_flight(f.budget) == 0);

    /* no pacing: the shared budget is not asked */
    setup(&x, &f, window, 1, &default_policy, NULL);
    x.shared = 1;
    x.shared_budget = &shared;
    int reserved = s.reserved;
    isync_json_free(isync_exec_call(&x, "GET", "/me", NULL, 0, 0, &e));
    CHECK(s.reserved == reserved);
}

int main(void)
{
    test_retry_then_success();
    test_retries_exhausted();
    test_rate_limited();
    test_deadline();
    test_pacing();
    test_interrupts();
    test_trace();
    test_shared_budget();
    printf("exec: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

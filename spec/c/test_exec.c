/*
 * The loop of retries, pacing and deadline (isync_exec.c) over a fake transport, a fake clock
 * that moves only when asked, and a fixed random source: every wait is exact. A program of its
 * own (no emulator), run by rake c:test, c:valgrind and c:asan.
 */
#include "exec_fake.h"
#include "isync_trace.h"

int test_passed, test_failed;

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

int main(void)
{
    test_retry_then_success();
    test_retries_exhausted();
    test_rate_limited();
    test_deadline();
    test_pacing();
    test_interrupts();
    test_trace();
    printf("exec: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

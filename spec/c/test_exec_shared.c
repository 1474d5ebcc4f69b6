/*
 * The loop (isync_exec.c) with a rate-limit budget shared by processes: asked through the
 * caller before each attempt, its slot waited for, every reservation reported back once, on
 * every path. A program of its own over the fake of exec_fake.h.
 */
#include "exec_fake.h"

int test_passed, test_failed;

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

    /* a retry: the failed attempt's slot is reported (its window) before the backoff, then the
     * next is reserved */
    s.wait = 0;
    setup(&x, &f, failing_once, 2, &default_policy, "shared");
    isync_budget_reset(f.budget);
    x.shared = 1;
    x.shared_budget = &shared;
    isync_exec_start(&x, "GET", "/me", NULL, 0, 0);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_SHARED_BUDGET); /* the first slot */
    isync_exec_serve(&x, &shared);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_SHARED_BUDGET); /* the 503: report it */
    CHECK(x.shared_request.report && !x.shared_request.reserve && f.sent == 1 && f.sleeps == 0);
    CHECK(x.shared_request.window.remaining == 80);
    isync_exec_serve(&x, &shared);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_SHARED_BUDGET); /* after the backoff, the next slot */
    CHECK(f.sleeps == 1 && x.shared_request.reserve && !x.shared_request.report);
    isync_exec_serve(&x, &shared);
    CHECK(isync_exec_run(&x, &doc, &e) == ISYNC_RUN_DONE && doc != NULL && x.retries == 1);
    isync_exec_serve(&x, &shared);
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
    test_shared_budget();
    printf("exec (shared budget): %d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

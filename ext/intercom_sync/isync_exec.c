/*
 * One request with retries, rate-limit pacing and the sync's deadline: the loop every request
 * of the gem runs through (Client#perform and each step of a sync).
 *
 * An attempt checks the deadline, reserves a slot in the workspace's budget (when pacing) and
 * waits for it, sends, and gives the slot back with what the answer said of the window. A
 * failure the retry policy (isync_retry.c) calls worth another try is waited out and repeated,
 * unless the wait would end past the deadline: then the request fails with ISYNC_E_TIMEOUT
 * naming the last error, so the caller sees why the sync ran out of time.
 *
 * The loop is resumable so that it can run without Ruby's GVL: an interrupt (Thread#kill,
 * Timeout) wakes any wait, isync_exec_run returns ISYNC_RUN_INTERRUPTED having given back its
 * reservation, and the caller resumes it or cancels it. Nothing here longjmps or knows Ruby.
 */
#include "isync_core.h"
#include "isync_trace.h"

#include <limits.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* The real io: the wall clock, xorshift, and isync_http */

static long long http_now(isync_exec *x)
{
    (void)x;
    return isync_now_ms();
}

static unsigned int xorshift(isync_exec *x)
{
    unsigned int v = x->random_state;
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    return x->random_state = v;
}

static isync_run_state http_sleep(isync_exec *x, long ms)
{
    return isync_http_sleep(x->http, ms);
}

static int http_begin(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                      long timeout_ms, isync_error *e)
{
    isync_http_set_request_timeout(x->http, timeout_ms);
    return isync_http_begin(x->http, method, path, body, body_len, e);
}

static isync_run_state http_run(isync_exec *x)
{
    return isync_http_run(x->http);
}

static isync_json *http_finish(isync_exec *x, isync_rate_limit *rl, isync_error *e)
{
    isync_json *doc = isync_http_finish(x->http, e) ? NULL : isync_http_decode(x->http, e);
    *rl = isync_http_response(x->http)->rate_limit;
    x->answer_status = isync_http_response(x->http)->status;
    return doc;
}

static void http_cancel(isync_exec *x)
{
    if (isync_http_in_progress(x->http)) isync_http_cancel(x->http);
}

const isync_exec_io isync_exec_http_io = {
    .now_ms = http_now,
    .random = xorshift,
    .sleep = http_sleep,
    .begin = http_begin,
    .run = http_run,
    .finish = http_finish,
    .cancel = http_cancel,
};

/* ---------------------------------------------------------------------------------------- */

void isync_exec_init(isync_exec *x, isync_http *http, const isync_retry_policy *retry, int pace,
                     isync_budget *budget, unsigned int seed)
{
    memset(x, 0, sizeof(*x));
    x->io = &isync_exec_http_io;
    x->http = http;
    x->retry = *retry;
    x->pace = pace && budget;
    x->budget = budget;
    x->random_state = seed ? seed : 1u;
    isync_error_clear(&x->last);
}

void isync_exec_start(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                      long long deadline_ms)
{
    x->method = method;
    x->path = path;
    x->body = body;
    x->body_len = body_len;
    x->deadline_ms = deadline_ms;
    x->retry_count = 0;
    x->reserved = 0;
    x->suspended = 0;
    x->wait_until = 0;
    x->shared_answered = 0;
    isync_error_clear(&x->last);
    x->phase = ISYNC_EXEC_ATTEMPT;
    isync_trace_begin(x->trace, method, path);
}

/* What one step of the loop leaves: more to do, the request over, or an interrupt. */
typedef enum step {
    STEP_GO_ON,
    STEP_FINISHED,
    STEP_SUSPENDED,
    STEP_SHARED      /* the caller serves x->shared_request first */
} step;

/* Gives the shared slot back (rl: the answer's window, or NULL): a report for the caller. */
static void release_shared(isync_exec *x, const isync_rate_limit *rl)
{
    if (!x->shared_reserved) return;
    x->shared_reserved = 0;
    isync_rate_limit none = {0, -1, -1, -1};
    x->shared_request.report = 1;
    x->shared_request.window = rl ? *rl : none;
    x->shared_request.now_ms = x->io->now_ms(x);
}

/* Gives the slots back, with what the answer said of the window (rl; NULL: nothing). */
static void release(isync_exec *x, const isync_rate_limit *rl)
{
    release_shared(x, rl);
    if (!x->reserved) return;
    isync_rate_limit none = {0, -1, -1, -1};
    isync_budget_done(x->budget, rl ? rl : &none, x->io->now_ms(x));
    x->reserved = 0;
}

/* The request is over: no slot, no transfer. */
static step finish(isync_exec *x)
{
    release(x, NULL);
    x->phase = ISYNC_EXEC_IDLE;
    return STEP_FINISHED;
}

/* e becomes ISYNC_E_TIMEOUT, naming x->last (the failure the deadline cut short, if any). */
static step deadline_passed(isync_exec *x, isync_error *e)
{
    isync_error previous = x->last;
    isync_error_clear(e);
    e->kind = ISYNC_E_TIMEOUT;
    e->http_status = previous.http_status;
    if (previous.kind != ISYNC_OK) {
        isync_error_set(e, ISYNC_E_TIMEOUT, "the sync's deadline passed (last error: %.400s)", previous.message);
    } else {
        isync_error_set(e, ISYNC_E_TIMEOUT, "the sync's deadline passed");
    }
    return finish(x);
}

/* Suspends: the slot goes back to the budget until isync_exec_run resumes. */
static step suspend(isync_exec *x)
{
    if (x->reserved) isync_budget_release(x->budget);
    x->suspended = 1;
    return STEP_SUSPENDED;
}

/* Waits until x->wait_until on the io's clock; a sleep that ends early without an interrupt
 * (a spurious wakeup) just goes on. */
static step wait_out(isync_exec *x)
{
    for (;;) {
        long long left = x->wait_until - x->io->now_ms(x);
        if (left <= 0) break;
        if (x->io->sleep(x, left > LONG_MAX ? LONG_MAX : (long)left) == ISYNC_RUN_INTERRUPTED) return suspend(x);
    }
    return STEP_GO_ON;
}

/* A failed attempt (e): wait and repeat it, or give up with e as it is, or with the deadline. */
static step failed(isync_exec *x, isync_error *e)
{
    release(x, NULL);
    if (e->kind == ISYNC_E_TIMEOUT && x->deadline_ms && x->io->now_ms(x) >= x->deadline_ms) {
        x->last = *e;
        return deadline_passed(x, e);
    }
    long delay = isync_retry_delay(&x->retry, e, x->retry_count, x->io->now_ms(x), x->io->random(x));
    if (delay < 0) return finish(x);
    if (x->deadline_ms && x->io->now_ms(x) + delay >= x->deadline_ms) {
        x->last = *e;
        return deadline_passed(x, e);
    }
    /* Repeating is safe for every request the gem makes: see "Why each write is safe to
     * repeat" in the sync engine. */
    x->last = *e;
    x->retries++;
    x->retry_count++;
    x->wait_until = x->io->now_ms(x) + delay;
    isync_trace_wait(x->trace, delay);
    x->phase = ISYNC_EXEC_BACKOFF;
    /* the shared slot goes back before the wait, not after: other processes count it meanwhile */
    return x->shared_request.report ? STEP_SHARED : STEP_GO_ON;
}

/* Starts the transfer, capped to the time left before the deadline. A request that cannot
 * start (a bad path, out of memory) fails like any other, for the policy to judge. */
static step start_transfer(isync_exec *x, isync_error *e)
{
    long long timeout = 0;
    if (x->deadline_ms) {
        timeout = x->deadline_ms - x->io->now_ms(x);
        if (timeout > LONG_MAX) timeout = LONG_MAX;
        if (timeout < 0) timeout = 0; /* past it: the configured timeout, as the http layer reads 0 */
    }
    isync_error_clear(e);
    if (x->io->begin(x, x->method, x->path, x->body, x->body_len, (long)timeout, e)) return failed(x, e);
    x->phase = ISYNC_EXEC_SENDING;
    return STEP_GO_ON;
}

/* The deadline, then the budget's slot: wait for it, or send now. */
static step attempt(isync_exec *x, isync_error *e)
{
    long long now = x->io->now_ms(x);
    if (x->deadline_ms && now >= x->deadline_ms) return deadline_passed(x, e);
    long wait = 0;
    if (x->pace) {
        if (x->shared && !x->shared_answered) {
            /* the shared slot first: the caller asks for it and runs the loop again (no slot of
             * the process's is held meanwhile) */
            x->shared_request.reserve = 1;
            x->shared_request.now_ms = now;
            x->shared_request.random = x->io->random(x);
            x->shared_asked_at = now;
            return STEP_SHARED;
        }
        wait = isync_budget_delay_ms(x->budget, now, x->io->random(x));
        x->reserved = 1;
        if (x->shared_answered) {
            x->shared_answered = 0;
            long long shared_left = x->shared_wait >= 0 ? x->shared_asked_at + x->shared_wait - now : 0;
            if (shared_left > wait) wait = shared_left > LONG_MAX ? LONG_MAX : (long)shared_left;
        }
    }
    if (wait <= 0) return start_transfer(x, e);
    /* the slot comes after the deadline: nothing is sent */
    if (x->deadline_ms && now + wait >= x->deadline_ms) return deadline_passed(x, e);
    x->paced++;
    x->wait_until = now + wait;
    isync_trace_wait(x->trace, wait);
    x->phase = ISYNC_EXEC_PACING;
    return STEP_GO_ON;
}

/* Runs the transfer to its answer, and gives the slot back with the answer's window. */
static step receive(isync_exec *x, isync_json **doc, isync_error *e)
{
    if (x->io->run(x) == ISYNC_RUN_INTERRUPTED) return suspend(x);
    isync_rate_limit rl = {0, -1, -1, -1};
    x->answer_status = 0;
    *doc = x->io->finish(x, &rl, e);
    isync_trace_answer(x->trace, x->answer_status, &rl);
    release(x, &rl);
    return *doc ? finish(x) : failed(x, e);
}

isync_run_state isync_exec_run(isync_exec *x, isync_json **doc, isync_error *e)
{
    *doc = NULL;
    if (x->suspended) {
        if (x->reserved) isync_budget_hold(x->budget);
        x->suspended = 0;
    }
    step s = STEP_GO_ON;
    while (s == STEP_GO_ON) {
        switch (x->phase) {
        case ISYNC_EXEC_IDLE:
            isync_error_set(e, ISYNC_E_CONFIG, "no request to run");
            s = STEP_FINISHED;
            break;
        case ISYNC_EXEC_ATTEMPT:
            s = attempt(x, e);
            break;
        case ISYNC_EXEC_PACING:
            s = wait_out(x);
            if (s == STEP_GO_ON) s = start_transfer(x, e);
            break;
        case ISYNC_EXEC_SENDING:
            s = receive(x, doc, e);
            break;
        case ISYNC_EXEC_BACKOFF:
            s = wait_out(x);
            if (s == STEP_GO_ON) x->phase = ISYNC_EXEC_ATTEMPT;
            break;
        }
    }
    if (s == STEP_SUSPENDED) return ISYNC_RUN_INTERRUPTED;
    if (s == STEP_SHARED) return ISYNC_RUN_SHARED_BUDGET;
    isync_trace_end(x->trace, *doc ? NULL : e, 0, x->retry_count);
    return ISYNC_RUN_DONE;
}

void isync_exec_cancel(isync_exec *x)
{
    if (x->phase != ISYNC_EXEC_IDLE) isync_trace_end(x->trace, NULL, 1, x->retry_count);
    if (x->phase == ISYNC_EXEC_SENDING) x->io->cancel(x);
    /* a suspended request gave its slot back already; one that never ran holds none; the
     * shared slot is kept while suspended, so it goes back now (a report for the caller) */
    release_shared(x, NULL);
    x->shared_request.reserve = 0;
    x->shared_answered = 0;
    x->reserved = 0;
    x->suspended = 0;
    x->phase = ISYNC_EXEC_IDLE;
}

void isync_exec_shared_answer(isync_exec *x, long wait)
{
    x->shared_answered = 1;
    x->shared_wait = wait >= 0 ? wait : ISYNC_SHARED_UNUSABLE;
    x->shared_reserved = wait >= 0;
}

void isync_exec_serve(isync_exec *x, const isync_shared_budget *b)
{
    isync_shared_request r = x->shared_request;
    memset(&x->shared_request, 0, sizeof(x->shared_request));
    if (r.report && b) b->done(b->ctx, r.window.present ? &r.window : NULL, r.now_ms);
    if (r.reserve) isync_exec_shared_answer(x, b ? b->reserve(b->ctx, r.now_ms, r.random) : ISYNC_SHARED_UNUSABLE);
}

isync_json *isync_exec_call(isync_exec *x, const char *method, const char *path, const char *body,
                            size_t body_len, long long deadline_ms, isync_error *e)
{
    isync_json *doc = NULL;
    isync_exec_start(x, method, path, body, body_len, deadline_ms);
    isync_run_state state;
    while ((state = isync_exec_run(x, &doc, e)) != ISYNC_RUN_DONE) {
        /* an interrupt: no one to hand it to, so carry on, as a Ruby thread that is not raising does */
        if (state == ISYNC_RUN_SHARED_BUDGET) isync_exec_serve(x, x->shared_budget);
    }
    if (x->shared) isync_exec_serve(x, x->shared_budget); /* the finished reservation's report */
    return doc;
}

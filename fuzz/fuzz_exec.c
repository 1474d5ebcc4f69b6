/*
 * libFuzzer harness: the loop of retries, pacing and deadline (isync_exec.c) over a transport,
 * a clock, a random source and a sleep that all read their next move from the input.
 *
 * Layout: 8 bytes of settings (max_retries, rate_limit_retries, flags: raise on 429 / pace /
 * deadline, base and max delay, deadline), then a stream every io call reads from as it needs:
 * a clock reading moves the clock on by a byte's worth of ms (0xFF: a minute); random takes 4
 * bytes; a sleep or a transfer may be interrupted (then the harness resumes or abandons the
 * request, as Ruby would after raising or not); an answer is a status, a transport failure, a
 * Retry-After and X-RateLimit-* headers, all of them fuzzed. Past the end of the input every
 * read is 0: no interrupts, 200 answers, so every run ends.
 *
 * It checks that nothing crashes or leaks, that every wait is positive and bounded, that no
 * budget slot is held once the loop returned (done or interrupted), that a request is tried at
 * most the policy's bound of times, and that the counters agree with what was sent.
 */
#include "isync_core.h"

#include <stdlib.h>
#include <string.h>

#define EPOCH_MS 1800000000000LL
#define MAX_REQUESTS 8
#define MAX_SANE_WAIT_MS (15LL * 60 * 1000 + 250) /* isync_retry.c: a reset or Retry-After, plus jitter */

typedef struct input {
    const unsigned char *data;
    size_t len, pos;
} input;

typedef struct harness {
    input in;
    long long now;
    long long max_wait_ms;  /* the longest wait the loop may ask for now */
    unsigned long begins;   /* requests started, this request */
    unsigned long sends;    /* requests answered */
    int transferring;
    isync_budget *budget;
    long shared_held;       /* shared-budget slots reserved and not reported back */
} harness;

static unsigned int byte(harness *h)
{
    return h->in.pos < h->in.len ? h->in.data[h->in.pos++] : 0;
}

static unsigned int word(harness *h)
{
    unsigned int v = byte(h);
    return v << 8 | byte(h);
}

static harness *of(isync_exec *x) { return x->ctx; }

static long long fz_now(isync_exec *x)
{
    harness *h = of(x);
    unsigned int step = byte(h);
    h->now += step == 0xFF ? 60000 : step; /* monotonic, as isync_now_ms is in practice */
    return h->now;
}

static unsigned int fz_random(isync_exec *x)
{
    harness *h = of(x);
    return word(h) << 16 | word(h);
}

static isync_run_state fz_sleep(isync_exec *x, long ms)
{
    harness *h = of(x);
    if (ms <= 0 || ms > h->max_wait_ms) abort(); /* a negative, zero or runaway wait */
    if (h->budget && isync_budget_in_flight(h->budget) > 1) abort(); /* one request at a time here */
    unsigned int how = byte(h);
    if (how & 1) {
        h->now += ms / 2;
        return ISYNC_RUN_INTERRUPTED;
    }
    h->now += ms + (how & 2 ? 1000 : 0); /* sometimes oversleeps (a suspended machine) */
    return ISYNC_RUN_DONE;
}

static int fz_begin(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                    long timeout_ms, isync_error *e)
{
    (void)method;
    (void)path;
    (void)body;
    (void)body_len;
    harness *h = of(x);
    if (timeout_ms < 0) abort();
    if (h->transferring) abort(); /* a transfer left behind */
    h->begins++;
    if (byte(h) == 0xEE) return isync_error_set(e, ISYNC_E_NOMEM, "out of memory building the URL");
    h->transferring = 1;
    return 0;
}

static isync_run_state fz_run(isync_exec *x)
{
    harness *h = of(x);
    h->now += byte(h);
    return byte(h) == 0xAA ? ISYNC_RUN_INTERRUPTED : ISYNC_RUN_DONE;
}

static isync_json *fz_finish(isync_exec *x, isync_rate_limit *rl, isync_error *e)
{
    static const long statuses[] = {200, 500, 429, 503, 404, 408, 501, 409, 502, 201};
    static const isync_err_kind transports[] = {ISYNC_E_CONNECTION, ISYNC_E_TIMEOUT, ISYNC_E_DNS, ISYNC_E_TLS,
                                                ISYNC_E_PARSE, ISYNC_E_TOO_LARGE};
    harness *h = of(x);
    h->transferring = 0;
    h->sends++;
    unsigned int what = byte(h);
    unsigned int headers = byte(h);
    if (headers & 1) {
        rl->present = 1;
        rl->limit = (long)word(h) - 1;
        rl->remaining = (long)word(h) - 1;
        /* a reset anywhere from the past to far future, or an absurd one */
        long long offset = (long long)(int)(word(h) << 16 | word(h));
        rl->reset = headers & 2 ? h->now / 1000 + offset : (long long)word(h) * 100000000000LL;
    }
    if (what >= 0xF0) {
        isync_error_set(e, transports[what % 6], "fuzzed transport failure");
        e->retry_after = -1;
        return NULL;
    }
    long status = statuses[what % 10];
    if (status < 300) return isync_json_parse("{}", 2, e);
    isync_error_set(e, ISYNC_E_HTTP, "HTTP %ld", status);
    e->http_status = status;
    e->retry_after = headers & 4 ? (long)word(h) - 1 : -1;
    e->rate_limit = *rl;
    return NULL;
}

static void fz_cancel(isync_exec *x)
{
    of(x)->transferring = 0;
}

static const isync_exec_io fuzz_io = {fz_now, fz_random, fz_sleep, fz_begin, fz_run, fz_finish, fz_cancel};

/* A shared budget (another process's requests) whose answers come from the input. */
static long fz_shared_reserve(void *ctx, long long now_ms, unsigned int random)
{
    (void)now_ms;
    (void)random;
    harness *h = ctx;
    unsigned int b = byte(h);
    if (b & 1) return ISYNC_SHARED_UNUSABLE;
    h->shared_held++;
    return (long)(b >> 1) * 10;
}

static void fz_shared_done(void *ctx, const isync_rate_limit *rl, long long now_ms)
{
    (void)rl;
    (void)now_ms;
    harness *h = ctx;
    if (h->shared_held <= 0) abort(); /* a slot reported twice, or never reserved */
    h->shared_held--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    harness h = {{data, size, 0}, EPOCH_MS, 0, 0, 0, 0, NULL};
    isync_retry_policy policy;
    policy.max_retries = (int)(byte(&h) % 8);
    policy.rate_limit_retries = (int)(byte(&h) % 8);
    unsigned int flags = byte(&h);
    policy.raise_on_rate_limit = flags & 1;
    policy.base_delay_ms = 1 + (long)word(&h);
    policy.max_delay_ms = policy.base_delay_ms + (long)byte(&h) * 1000;
    long long deadline_in = (long long)word(&h) * 10;

    h.budget = isync_budget_for("http://127.0.0.1:1|fuzz");
    isync_budget_reset(h.budget);
    isync_exec x;
    isync_exec_init(&x, NULL, &policy, (flags & 2) != 0, h.budget, 1);
    x.io = &fuzz_io;
    x.ctx = &h;
    isync_shared_budget shared = {fz_shared_reserve, fz_shared_done, &h};
    x.shared = (flags & 8) != 0;

    int bound = (policy.max_retries > policy.rate_limit_retries ? policy.max_retries : policy.rate_limit_retries) + 1;
    /* A backoff is at most max_delay or a sane reset; a pacing wait at most one window per slot
     * handed out and never used (an abandoned request's): at most every attempt of the input. */
    h.max_wait_ms = (policy.max_delay_ms > MAX_SANE_WAIT_MS ? policy.max_delay_ms : MAX_SANE_WAIT_MS) *
                    (1 + (long long)MAX_REQUESTS * bound);
    for (int r = 0; r < MAX_REQUESTS && h.in.pos < h.in.len; r++) {
        long long deadline = flags & 4 ? h.now + deadline_in : 0;
        unsigned long retries_before = x.retries;
        h.begins = 0;
        h.sends = 0;
        isync_error e;
        isync_json *doc = NULL;
        isync_exec_start(&x, "POST", "/contacts", "{}", 2, deadline);
        int abandoned = 0;
        isync_run_state state;
        while ((state = isync_exec_run(&x, &doc, &e)) != ISYNC_RUN_DONE) {
            if (doc) abort();
            if (isync_budget_in_flight(h.budget) != 0) abort(); /* suspended with a slot held */
            if (state == ISYNC_RUN_SHARED_BUDGET && !x.shared) abort();
            if (byte(&h) & 1) { /* Ruby raised (an interrupt, or in the budget): abandoned */
                isync_exec_cancel(&x);
                abandoned = 1;
                break;
            }
            if (state == ISYNC_RUN_SHARED_BUDGET) isync_exec_serve(&x, &shared);
        }
        isync_exec_serve(&x, &shared); /* the report of the slot the request held, if any */
        if (h.shared_held != 0 || x.shared_reserved) abort(); /* a shared slot kept after the request */
        if (isync_budget_in_flight(h.budget) != 0) abort();
        if (h.transferring) abort();
        if (h.begins > (unsigned long)bound) abort(); /* more tries than the policy allows */
        unsigned long retries = x.retries - retries_before;
        if (retries > h.begins || (h.begins > 0 && retries + 1 < h.begins)) abort();
        if (!abandoned) {
            if (state != ISYNC_RUN_DONE) abort();
            if (doc) {
                if (h.sends == 0) abort();
                isync_json_free(doc);
            } else {
                if (e.kind == ISYNC_OK) abort();
                if (!isync_utf8_valid(e.message, strlen(e.message))) abort();
                if (e.kind == ISYNC_E_TIMEOUT && !deadline && h.sends == 0) abort();
            }
        }
    }
    return 0;
}

/*
 * isync_retry.c: rate-limit budgets shared by the process, and the retry policy.
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_RETRY_H
#define ISYNC_RETRY_H

#ifndef ISYNC_CORE_H
#error "isync_retry.h is one part of isync_core.h: include isync_core.h"
#endif

/* What Intercom said about one app's current window, shared by every client and thread that
 * uses the same base URL and token. */
typedef struct isync_budget isync_budget;

/* The budget for a workspace (never freed; a process talks to few). NULL only on OOM. */
/* workspace_key: the caller's key of the workspace (base URL and a digest of the token; the
 * binding's comes from Configuration.workspace_key). Keys equal in their 64-bit FNV share a budget. */
isync_budget *isync_budget_for(const char *workspace_key);
/* Reserves the next request: how long to wait before sending it so the window's budget lasts
 * until its reset (0 when there is room, or nothing is known yet). Every reservation must be
 * followed by isync_budget_done, with the answer's X-RateLimit-* headers (or none). */
long isync_budget_delay_ms(isync_budget *b, long long now_ms, unsigned int random);
void isync_budget_done(isync_budget *b, const isync_rate_limit *rl, long long now_ms);
/* For tests and stats: the budget as last seen. */
isync_rate_limit isync_budget_snapshot(isync_budget *b);
void isync_budget_reset(isync_budget *b);

typedef struct isync_retry_policy {
    int max_retries;           /* transient failures: 5xx, transport, truncated or garbled bodies */
    long base_delay_ms;        /* first backoff; doubles per attempt */
    long max_delay_ms;         /* backoff cap */
    int rate_limit_retries;    /* 429s; 0 with raise_on_rate_limit */
    int raise_on_rate_limit;   /* 1: a 429 is returned at once, for the job to reschedule */
} isync_retry_policy;

/* Whether e is worth another attempt: a delay in ms (>= 0), or -1 to give up. attempt counts
 * the retries already made; random is any random number (for jitter). Pure. */
long isync_retry_delay(const isync_retry_policy *p, const isync_error *e, int attempt, long long now_ms,
                       unsigned int random);

long long isync_now_ms(void); /* wall clock, milliseconds */

/* For isync_exec.c: a reservation given back while its request is suspended, and
 * taken again on resume (isync_budget_done gives it back for good); the count, for tests. */
void isync_budget_hold(isync_budget *b);
void isync_budget_release(isync_budget *b);
long isync_budget_in_flight(isync_budget *b);

#endif /* ISYNC_RETRY_H */

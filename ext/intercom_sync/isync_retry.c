/*
 * Living within Intercom's rate limits, and deciding which failures to retry.
 *
 * Intercom spreads each app's per-minute budget over 10-second windows and reports the window
 * in X-RateLimit-Limit/Remaining/Reset on every response. The budget here is shared by every
 * client of the process for the same workspace, so threads pace each other: once the window
 * runs low, requests are spaced to last until the reset instead of running into 429s.
 */
#include "isync_core.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define MAX_BUDGETS 64
#define LOW_WATER_DIVISOR 4         /* pace once less than a quarter of the window is left */
#define RESET_JITTER_MS 250
#define MAX_SANE_RESET_S (15L * 60)  /* a reset further away than this is garbage: back off */

struct isync_budget {
    uint64_t key;
    long limit;          /* X-RateLimit-Limit; -1: unknown */
    long remaining;      /* the lowest X-RateLimit-Remaining seen in this window; -1: unknown */
    long long reset_ms;  /* the window's end; -1: unknown */
    long in_flight;      /* requests reserved or sent but not answered yet */
    long long next_slot; /* when paced, the earliest time the next request may go */
};

static pthread_mutex_t budgets_lock = PTHREAD_MUTEX_INITIALIZER;
static isync_budget budgets[MAX_BUDGETS];
static size_t budget_count;

long long isync_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}


/* Header numbers are the server's to choose (X-RateLimit-Reset: 99999999999999999): seconds to
 * milliseconds saturates instead of overflowing, and the sanity bounds then reject the value. */
static long long seconds_to_ms(long long s)
{
    if (s < 0) return -1;
    return s > LLONG_MAX / 1000 ? LLONG_MAX : s * 1000;
}

static void forget_window(isync_budget *b)
{
    b->remaining = -1;
    b->reset_ms = -1;
    b->next_slot = 0;
}

isync_budget *isync_budget_for(const char *workspace_key)
{
    /* the caller's key already hides the token; FNV only makes it a slot's number */
    uint64_t key = isync_fnv1a(ISYNC_FNV_OFFSET, workspace_key, strlen(workspace_key));
    isync_budget *found = NULL;
    pthread_mutex_lock(&budgets_lock);
    for (size_t i = 0; i < budget_count; i++) {
        if (budgets[i].key == key) found = &budgets[i];
    }
    if (!found) {
        /* past MAX_BUDGETS workspaces the last slot is shared: pacing gets conservative, not wrong */
        found = &budgets[budget_count < MAX_BUDGETS ? budget_count++ : MAX_BUDGETS - 1];
        memset(found, 0, sizeof(*found));
        found->key = key;
        found->limit = -1;
        forget_window(found);
    }
    pthread_mutex_unlock(&budgets_lock);
    return found;
}

void isync_budget_done(isync_budget *b, const isync_rate_limit *rl, long long now_ms)
{
    pthread_mutex_lock(&budgets_lock);
    if (b->in_flight > 0) b->in_flight--;
    long long reset_ms = seconds_to_ms(rl->reset);
    int sane = rl->present && rl->limit > 0 && rl->remaining >= 0 && reset_ms >= now_ms - 1000 &&
               reset_ms <= now_ms + (long long)MAX_SANE_RESET_S * 1000;
    if (sane) {
        if (reset_ms > b->reset_ms) { /* a newer window */
            b->limit = rl->limit;
            b->remaining = rl->remaining;
            b->reset_ms = reset_ms;
        } else if (reset_ms == b->reset_ms && rl->remaining < b->remaining) {
            /* answers of one window arrive out of order across threads: keep the lowest */
            b->remaining = rl->remaining;
        }
    }
    pthread_mutex_unlock(&budgets_lock);
}

/* Reserves the next request: requests in flight count against what the server last reported,
 * and once the window runs low the rest is handed out in evenly spaced slots until the reset,
 * one slot per request across all threads. */
long isync_budget_delay_ms(isync_budget *b, long long now_ms, unsigned int random)
{
    long long slot = now_ms;
    pthread_mutex_lock(&budgets_lock);
    if (b->reset_ms >= 0 && now_ms >= b->reset_ms) forget_window(b);
    if (b->remaining >= 0 && b->limit > 0) {
        long available = b->remaining - b->in_flight;
        long long left_ms = b->reset_ms - now_ms;
        if (available <= 0) {
            slot = b->reset_ms + (long long)(random % RESET_JITTER_MS);
        } else if (available <= b->limit / LOW_WATER_DIVISOR) {
            slot = b->next_slot > now_ms ? b->next_slot : now_ms;
            b->next_slot = slot + left_ms / (available + 1);
        }
    }
    b->in_flight++;
    pthread_mutex_unlock(&budgets_lock);
    return (long)(slot - now_ms);
}

/* A request suspended by an interrupt gives its slot back (Ruby may unwind from there and never
 * come back) and takes it again if it resumes: in_flight never counts a request nobody runs. */
void isync_budget_hold(isync_budget *b)
{
    pthread_mutex_lock(&budgets_lock);
    b->in_flight++;
    pthread_mutex_unlock(&budgets_lock);
}

void isync_budget_release(isync_budget *b)
{
    pthread_mutex_lock(&budgets_lock);
    if (b->in_flight > 0) b->in_flight--;
    pthread_mutex_unlock(&budgets_lock);
}

long isync_budget_in_flight(isync_budget *b)
{
    pthread_mutex_lock(&budgets_lock);
    long n = b->in_flight;
    pthread_mutex_unlock(&budgets_lock);
    return n;
}

isync_rate_limit isync_budget_snapshot(isync_budget *b)
{
    pthread_mutex_lock(&budgets_lock);
    isync_rate_limit rl = {b->limit > 0, b->limit, b->remaining, b->reset_ms < 0 ? -1 : b->reset_ms / 1000};
    pthread_mutex_unlock(&budgets_lock);
    return rl;
}

void isync_budget_reset(isync_budget *b)
{
    pthread_mutex_lock(&budgets_lock);
    b->limit = -1;
    b->in_flight = 0;
    forget_window(b);
    pthread_mutex_unlock(&budgets_lock);
}

/* The error table's (isync_errors.def) classification, the one Error#transient? and the job
 * follow too. A 429 never gets here: isync_retry_delay waits for its window by its own rules. */
int isync_error_transient(const isync_error *e)
{
    return isync_error_class_transient(isync_error_classify(e), e->http_status);
}

static long backoff(const isync_retry_policy *p, int attempt, unsigned int random)
{
    long delay = p->base_delay_ms;
    for (int i = 0; i < attempt && delay < p->max_delay_ms; i++) delay *= 2;
    if (delay > p->max_delay_ms) delay = p->max_delay_ms;
    /* "equal jitter": half fixed, half random, so retrying clients spread out */
    long half = delay / 2;
    return half + (half > 0 ? (long)(random % (unsigned long)(half + 1)) : 0);
}

long isync_retry_delay(const isync_retry_policy *p, const isync_error *e, int attempt, long long now_ms,
                       unsigned int random)
{
    if (e->kind == ISYNC_E_HTTP && e->http_status == 429) {
        if (p->raise_on_rate_limit || attempt >= p->rate_limit_retries) return -1;
        if (e->retry_after >= 0 && e->retry_after <= MAX_SANE_RESET_S) {
            return e->retry_after * 1000 + (long)(random % RESET_JITTER_MS);
        }
        long long reset_ms = seconds_to_ms(e->rate_limit.reset);
        if (reset_ms > now_ms && reset_ms - now_ms <= (long long)MAX_SANE_RESET_S * 1000) {
            return (long)(reset_ms - now_ms) + (long)(random % RESET_JITTER_MS);
        }
        /* no reset, one in the past, or one absurdly far: back off instead */
        return backoff(p, attempt, random);
    }
    if (!isync_error_transient(e) || attempt >= p->max_retries) return -1;
    return backoff(p, attempt, random);
}

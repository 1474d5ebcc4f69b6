/*
 * Tests of isync_http*.c against the emulator spec/c/emulator_for_c.rb starts (its /c/ paths
 * answer with a fixed fault each): keep-alive, error answers, broken bodies, interrupts,
 * timeouts, bad configurations.
 */
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

void test_http(const char *url)
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

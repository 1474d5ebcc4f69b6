/*
 * libFuzzer harness: the sync engine (planning and reconciliation) fed a snapshot and a run of
 * answers, all taken from the input. Layout: the snapshot, a NUL byte, then records of
 * [status byte][JSON body up to the next NUL]. Status 0 means 200 with the body; 0xFF means 200
 * with a huge list built from the body (an item repeated 2,500 times, issue 9); other values
 * pick an error (404, 409 with an id, 410 with an id, 429, 500, a transport error) whose message,
 * code and request id are the body's raw bytes as a hostile server would send them (0xFE: the
 * body repeated to a few KB, for long multibyte messages), filled in as the http layer does.
 * It checks that nothing crashes or leaks, that the engine always ends, and that every error
 * and the result are valid UTF-8 (the result valid JSON), on failure paths too.
 */
#include "isync_core.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN "tok_fuzz_secret"

static int valid(const char *s) { return isync_utf8_valid(s, strlen(s)); }

/* Every text of an error the engine hands out must be valid UTF-8, and free of the token once
 * redacted as the binding does before anything reaches Ruby (the engine knows no token: a
 * server may put it in an id the engine quotes, such as the external_id of a 409's contact). */
static void check_error(const isync_error *e)
{
    if (!valid(e->message) || !valid(e->code) || !valid(e->request_id) || !valid(e->resource_id)) abort();
    isync_buf shown;
    isync_buf_init(&shown);
    if (isync_redact_append(&shown, e->message, strlen(e->message), TOKEN) == 0 && shown.data &&
        strstr(shown.data, TOKEN)) {
        abort();
    }
    isync_buf_free(&shown);
}

static void outcome_for(unsigned char code, const char *body, size_t body_len, isync_error *o)
{
    static const long statuses[] = {404, 409, 410, 429, 500, 400};
    isync_error_clear(o);
    if (code % 7 == 6) {
        isync_error_set(o, ISYNC_E_CONNECTION, "reset");
        return;
    }
    o->kind = ISYNC_E_HTTP;
    o->http_status = statuses[code % 6];
    /* the server's own words, redacted then cut as isync_http_decode.c does */
    isync_buf said;
    isync_buf_init(&said);
    if (isync_redact_append(&said, body, strlen(body), TOKEN) == 0) {
        isync_error_set(o, ISYNC_E_HTTP, "GET /x: HTTP %ld %s: %s", o->http_status, code & 8 ? "already have" : "",
                        said.data ? said.data : "");
    }
    isync_buf_free(&said);
    if (code & 16) snprintf(o->code, sizeof(o->code), "company_not_found");
    else if (code & 32) snprintf(o->code, sizeof(o->code), "invalid_merge");
    else isync_redact_into(o->code, sizeof(o->code), body, TOKEN);
    isync_copy_request_id(o->request_id, sizeof(o->request_id), body, body_len); /* a raw header */
    if (code & 64) {
        /* the http layer extracts hex ids only; printable ASCII here also tries "..", "%2E" */
        size_t n = 0;
        while (n < 20 && body[n] > 0x20 && body[n] < 0x7f) n++;
        snprintf(o->resource_id, sizeof(o->resource_id), "%.*s", n ? (int)n : 6, n ? body : "abc123");
    }
    o->archived = (code & 128) != 0;
}

/* A 200 answer holding a huge list: the body's item (or a plain company) 2,500 times, as the
 * contact's companies, a page of companies or attributes, and a search page. */
static isync_json *huge_answer(const char *item, size_t item_len)
{
    isync_error ignored;
    isync_json *probe = isync_json_parse(item, item_len, &ignored);
    if (!probe) item = "{\"id\":\"c\",\"name\":\"n\",\"data_type\":\"string\",\"role\":\"lead\"}";
    isync_json_free(probe);
    isync_buf list;
    isync_buf_init(&list);
    for (int i = 0; i < 2500; i++) {
        char one[64];
        /* distinct ids, so sets grow: the item itself, then numbered plain ones */
        if (i % 2 == 0) snprintf(one, sizeof(one), "%s{\"id\":\"c%d\",\"role\":\"lead\",\"name\":\"a%d\",\"data_type\":\"string\"}",
                                  i ? "," : "", i, i);
        if (i % 2 == 0 ? isync_buf_append_str(&list, one) : (isync_buf_append_str(&list, ",") || isync_buf_append_str(&list, item))) {
            isync_buf_free(&list);
            return NULL;
        }
    }
    isync_buf doc;
    isync_buf_init(&doc);
    const char *l = list.data ? list.data : "";
    int rc = isync_buf_append_str(&doc, "{\"id\":\"u1\",\"external_id\":\"42\",\"role\":\"user\",\"data\":[") ||
             isync_buf_append_str(&doc, l) ||
             isync_buf_append_str(&doc, "],\"companies\":{\"has_more\":false,\"data\":[") || isync_buf_append_str(&doc, l) ||
             isync_buf_append_str(&doc, "]},\"pages\":{\"next\":{\"starting_after\":\"z\"}}}");
    isync_json *out = rc ? NULL : isync_json_parse(doc.data, doc.len, &ignored);
    isync_buf_free(&list);
    isync_buf_free(&doc);
    return out;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *p = (const char *)data;
    const char *end = p + size;
    const char *nul = memchr(p, '\0', size);
    size_t snap_len = nul ? (size_t)(nul - p) : size;

    isync_error e;
    isync_error_clear(&e);
    isync_sync *s = isync_sync_new(p, snap_len, size & 1, &e);
    if (!s) return 0;
    const char *cursor = nul ? nul + 1 : end;

    isync_sync_request req;
    int steps = 0;
    int rc;
    while ((rc = isync_sync_next(s, &req, &e)) == 1) {
        /* the engine must end: at most ~2,000 detaches, 100 merges, and the pages and teams */
        if (++steps > 10000) abort();
        unsigned char code = 0;
        const char *body = "";
        size_t body_len = 0;
        if (cursor < end) {
            code = (unsigned char)*cursor++;
            const char *stop = memchr(cursor, '\0', (size_t)(end - cursor));
            body_len = stop ? (size_t)(stop - cursor) : (size_t)(end - cursor);
            body = cursor;
            cursor += body_len + (stop ? 1 : 0);
        } else {
            code = 1; /* out of input: everything else fails */
        }
        /* 0xFE: a long message, the body repeated to ~4 KB (multibyte text cut anywhere) */
        size_t copies = code == 0xFE && body_len > 0 ? 4096 / body_len + 1 : 1;
        char *text = malloc(body_len * copies + 1);
        if (!text) break;
        for (size_t c = 0; c < copies; c++) memcpy(text + c * body_len, body, body_len);
        text[body_len * copies] = '\0';
        isync_json *doc = NULL;
        isync_error outcome;
        isync_error_clear(&outcome);
        if (code == 0) doc = isync_json_parse(text, body_len, &outcome);
        else if (code == 0xFF) doc = huge_answer(text, body_len);
        if (!doc && (code == 0 || code == 0xFF)) outcome_for(5, text, body_len, &outcome);
        else if (!doc) outcome_for(code, text, body_len * copies, &outcome);
        free(text);
        if (!doc) check_error(&outcome);
        if (isync_sync_feed(s, doc, doc ? NULL : &outcome, &e)) {
            check_error(&e);
            break;
        }
    }
    if (rc < 0) check_error(&e);
    isync_buf result;
    isync_buf_init(&result);
    /* the result is always generated (it holds the ids learned), as valid JSON, so valid UTF-8 */
    if (isync_sync_result(s, &result) != 0) abort();
    isync_error pe;
    isync_json *doc = isync_json_parse(result.data, result.len, &pe);
    if (!doc) abort();
    isync_json_free(doc);
    isync_buf_free(&result);
    isync_sync_free(s);
    return 0;
}

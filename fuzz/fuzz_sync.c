/*
 * libFuzzer harness: the sync engine (planning and reconciliation) fed a snapshot and a run of
 * answers, all taken from the input. Layout: the snapshot, a NUL byte, then records of
 * [status byte][JSON body up to the next NUL]. Status 0 means 200 with the body; other values
 * pick an error (404, 409 with an id, 410 with an id, 429, 500, a transport error).
 * It checks that nothing crashes or leaks and that the engine always ends.
 */
#include "isync_core.h"

#include <stdlib.h>
#include <string.h>

static void outcome_for(unsigned char code, const char *body, isync_error *o)
{
    static const long statuses[] = {404, 409, 410, 429, 500, 400};
    isync_error_clear(o);
    if (code % 7 == 6) {
        isync_error_set(o, ISYNC_E_CONNECTION, "reset");
        return;
    }
    o->kind = ISYNC_E_HTTP;
    o->http_status = statuses[code % 6];
    snprintf(o->message, sizeof(o->message), "HTTP %ld %s", o->http_status, code & 8 ? "already have" : "");
    snprintf(o->code, sizeof(o->code), "%s", code & 16 ? "company_not_found" : code & 32 ? "invalid_merge" : "x");
    if (code & 64) snprintf(o->resource_id, sizeof(o->resource_id), "%.20s", body[0] ? body : "abc123");
    o->archived = (code & 128) != 0;
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
        if (++steps > 500) abort(); /* the engine must end */
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
        char *text = malloc(body_len + 1);
        if (!text) break;
        memcpy(text, body, body_len);
        text[body_len] = '\0';
        isync_json *doc = NULL;
        isync_error outcome;
        isync_error_clear(&outcome);
        if (code == 0) doc = isync_json_parse(text, body_len, &outcome);
        if (!doc && code == 0) outcome_for(5, text, &outcome);
        else if (!doc) outcome_for(code, text, &outcome);
        free(text);
        if (isync_sync_feed(s, doc, doc ? NULL : &outcome, &e)) break;
    }
    isync_buf result;
    isync_buf_init(&result);
    if (isync_sync_result(s, &result) == 0) {
        isync_error pe;
        isync_json *doc = isync_json_parse(result.data, result.len, &pe);
        if (!doc) abort(); /* the result is always valid JSON */
        isync_json_free(doc);
    }
    isync_buf_free(&result);
    isync_sync_free(s);
    return 0;
}

/*
 * The answer of a finished request read into what the caller wants: the JSON document of a
 * 2xx, or a typed error: Intercom's error.list code and message (the token redacted), the ids
 * a 409 or a 410 names, the request id, the rate-limit headers.
 */
#include "isync_http_internal.h"

#include <stdio.h>
#include <string.h>

static int is_json_content_type(const char *ct)
{
    if (!*ct) return 1; /* absent: judge by the body */
    return strstr(ct, "json") != NULL;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Redirect";
    }
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src) return;
    snprintf(dst, cap, "%s", src);
}

/* Intercom names the existing contact only inside the 409 message:
 * "A contact matching those details already exists with id=5ba6..." (or "An archived contact"). */
static void extract_conflict_id(const char *message, isync_error *e)
{
    const char *p = strstr(message, "id=");
    if (!p) return;
    p += 3;
    size_t n = strspn(p, "0123456789abcdefABCDEF");
    if (n == 0 || n >= sizeof(e->resource_id)) return;
    memcpy(e->resource_id, p, n);
    e->resource_id[n] = '\0';
    e->archived = strstr(message, "archived") != NULL;
}

/* A merged contact answers 410 with  Link: </contacts/<canonical id>>; rel="canonical". */
static void extract_canonical_id(const char *link, isync_error *e)
{
    const char *p = strstr(link, "/contacts/");
    if (!p || !strstr(link, "canonical")) return;
    p += strlen("/contacts/");
    size_t n = strspn(p, "0123456789abcdefABCDEF");
    if (n == 0 || n >= sizeof(e->resource_id)) return;
    memcpy(e->resource_id, p, n);
    e->resource_id[n] = '\0';
}

/* The body's request_id (a JSON string, so UTF-8, but of any length): the same rule as the
 * header's, never a cut copy. */
static void body_request_id(char *dst, size_t cap, const isync_json *doc)
{
    const isync_json *v = isync_json_get(doc, "request_id");
    char id[sizeof(((isync_response *)0)->request_id)];
    if (!v || v->type != ISYNC_JSON_STRING) return;
    isync_copy_request_id(id, sizeof(id), v->u.str.ptr, v->u.str.len);
    if (id[0]) isync_text_copy(dst, cap, id, strlen(id)); /* else the header's stays */
}

/* Fills e from an error response; uses Intercom's error.list body when there is one. */
static void http_error(isync_http *h, isync_error *e)
{
    isync_response *r = &h->resp;
    isync_error ignored;
    const char *message = NULL;
    isync_json *doc = NULL;

    if (r->body.len > 0 && is_json_content_type(r->content_type)) {
        doc = isync_json_parse(r->body.data, r->body.len, &ignored);
    }
    const isync_json *errors = isync_json_get(doc, "errors");
    const isync_json *first = (errors && errors->type == ISYNC_JSON_ARRAY && errors->u.list.len > 0)
                                  ? errors->u.list.values[0] : NULL;
    e->kind = ISYNC_E_HTTP;
    e->http_status = r->status;
    /* server text: redacted first, then cut between characters (a cut first could leave a
     * piece of the token behind, and a byte cut can split a character) */
    isync_redact_into(e->code, sizeof(e->code), isync_json_get_str(first, "code"), h->token);
    message = isync_json_get_str(first, "message");
    body_request_id(e->request_id, sizeof(e->request_id), doc);
    if (!e->request_id[0]) copy_str(e->request_id, sizeof(e->request_id), r->request_id);

    e->rate_limit = r->rate_limit;
    e->retry_after = r->retry_after;
    if (r->status == 409 && message) extract_conflict_id(message, e);
    if (r->status == 410 || strcmp(e->code, "contact_merged") == 0) extract_canonical_id(r->link, e);

    if (e->code[0] || message) {
        isync_buf said;
        isync_buf_init(&said);
        int nomem = message && isync_redact_append(&said, message, strlen(message), h->token);
        isync_error_set(e, ISYNC_E_HTTP, "%s %s: HTTP %ld %s%s%s", h->method, h->path_for_errors, r->status,
                        e->code, e->code[0] && message ? ": " : "",
                        nomem ? "(message withheld: out of memory)" : said.data ? said.data : "");
        isync_buf_free(&said);
    } else {
        char ct[sizeof(r->content_type)];
        isync_redact_into(ct, sizeof(ct), r->content_type, h->token);
        isync_error_set(e, ISYNC_E_HTTP, "%s %s: HTTP %ld %s (%s%s%s)", h->method, h->path_for_errors, r->status,
                        reason_phrase(r->status),
                        !r->body.len ? "empty body" : doc ? "body is not an Intercom error.list" : "non-JSON body",
                        ct[0] ? ", " : "", ct);
    }
    isync_json_free(doc);
}

isync_json *isync_http_decode(isync_http *h, isync_error *e)
{
    isync_response *r = &h->resp;
    isync_json *doc = NULL;

    if (r->status < 200 || r->status >= 300) {
        http_error(h, e);
    } else if (r->body.len == 0) {
        isync_error_set(e, ISYNC_E_PARSE, "%s %s: HTTP %ld with an empty body (expected JSON)",
                        h->method, h->path_for_errors, r->status);
    } else if (!is_json_content_type(r->content_type)) {
        char ct[sizeof(r->content_type)];
        isync_redact_into(ct, sizeof(ct), r->content_type, h->token);
        isync_error_set(e, ISYNC_E_PARSE, "%s %s: HTTP %ld with a %s body (expected JSON)",
                        h->method, h->path_for_errors, r->status, ct);
    } else if (!(doc = isync_json_parse(r->body.data, r->body.len, e))) {
        char why[sizeof(e->message)];
        snprintf(why, sizeof(why), "%s", e->message);
        isync_error_set(e, e->kind, "%s %s: HTTP %ld, %s", h->method, h->path_for_errors,
                        r->status, why);
    } else if (doc->type != ISYNC_JSON_OBJECT) {
        isync_error_set(e, ISYNC_E_PARSE, "%s %s: HTTP %ld, expected a JSON object", h->method,
                        h->path_for_errors, r->status);
        isync_json_free(doc);
        doc = NULL;
    }
    if (!doc) {
        e->http_status = r->status;
        if (!e->request_id[0]) copy_str(e->request_id, sizeof(e->request_id), r->request_id);
    } else {
        body_request_id(r->request_id, sizeof(r->request_id), doc);
    }
    isync_buf_shrink(&r->body, ISYNC_RESPONSE_KEEP_BYTES);
    return doc;
}

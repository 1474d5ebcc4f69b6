/*
 * The core against a hostile server (issue 9), with canned answers: huge lists, ids that are
 * dot segments or hold a NUL, long multibyte messages. A program of its own (no emulator), run
 * by rake c:test, c:valgrind and c:asan.
 */
#include "isync_core.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int test_passed, test_failed;

/* A canned answer: the first rule whose method and path prefix match. Status 200 answers body;
 * any other status fails with code and message (message NULL: "HTTP <status>"). */
typedef struct rule {
    const char *method;
    const char *path_prefix;
    long status;
    const char *body;
    const char *code;
    const char *message;
} rule;

/* Runs the engine to the end; "METHOD path" lines go to trace, the result document to result. */
static int drive(const char *snapshot, const rule *rules, isync_buf *trace, isync_buf *result, isync_error *e)
{
    isync_buf_clear(trace);
    isync_buf_clear(result);
    isync_error_clear(e);
    isync_sync *s = isync_sync_new(snapshot, strlen(snapshot), 0, e);
    if (!s) return -2;
    isync_sync_request req;
    int rc;
    while ((rc = isync_sync_next(s, &req, e)) == 1) {
        isync_buf_append_str(trace, req.method);
        isync_buf_append_str(trace, " ");
        isync_buf_append_str(trace, req.path);
        isync_buf_append_str(trace, "\n");
        const rule *r = rules;
        while (r->method && !(strcmp(r->method, req.method) == 0 &&
                              strncmp(req.path, r->path_prefix, strlen(r->path_prefix)) == 0)) {
            r++;
        }
        isync_error outcome;
        isync_error_clear(&outcome);
        isync_json *doc = NULL;
        if (!r->method) {
            isync_error_set(&outcome, ISYNC_E_HTTP, "no canned answer");
            outcome.http_status = 599;
        } else if (r->status == 200) {
            doc = isync_json_parse(r->body, strlen(r->body), &outcome);
        } else {
            /* as the http layer fills it: the server's message after the status */
            isync_error_set(&outcome, ISYNC_E_HTTP, "%s %s: HTTP %ld %s: %s", req.method, req.path, r->status,
                            r->code, r->message ? r->message : "");
            outcome.http_status = r->status;
            snprintf(outcome.code, sizeof(outcome.code), "%s", r->code);
        }
        if (isync_sync_feed(s, doc, doc ? NULL : &outcome, e)) {
            rc = -1;
            break;
        }
    }
    if (isync_sync_result(s, result)) rc = -3; /* the result failed to generate (e.g. not UTF-8) */
    isync_sync_free(s);
    return rc;
}

/* Time limits hold for optimised builds; valgrind and ASan runs set ISYNC_NO_TIMING. */
static int timing(void) { return getenv("ISYNC_NO_TIMING") == NULL; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "<prefix>" + n copies of item (with %zu replaced by the index) joined by commas + "<suffix>". */
static char *repeat_json(const char *prefix, const char *item, size_t n, const char *suffix)
{
    isync_buf b;
    isync_buf_init(&b);
    isync_buf_append_str(&b, prefix);
    char one[256];
    for (size_t i = 0; i < n; i++) {
        snprintf(one, sizeof(one), item, i);
        if (i) isync_buf_append_str(&b, ",");
        isync_buf_append_str(&b, one);
    }
    isync_buf_append_str(&b, suffix);
    return b.data;
}

/* An older user (no lead search), looked up first: the hostile answers come to the lookup. */
static const char *USER =
    "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"name\":\"Ann\",\"signed_up_at\":100,\"now\":1000000,"
    "\"custom_attributes\":{},\"teams\":[],\"known_attributes\":{\"contact\":{},\"company\":{}},"
    "\"options\":{\"create_first\":\"never\"}}";

static int valid_utf8(const char *s) { return isync_utf8_valid(s, strlen(s)); }

/* Finding 1: huge lists are bounded and cheap. */
static void test_huge_lists(void)
{
    isync_buf trace, result;
    isync_error e;
    isync_buf_init(&trace);
    isync_buf_init(&result);

    /* 80,000 embedded companies: refused at once, no detach storm */
    char *contact = repeat_json("{\"id\":\"u1\",\"external_id\":\"42\",\"role\":\"user\",\"companies\":{\"data\":[",
                                "{\"id\":\"c%zu\"}", 80000, "],\"has_more\":false}}");
    rule big[] = {{"GET", "/contacts/find_by_external_id/42", 200, contact, 0, 0}, {0, 0, 0, 0, 0, 0}};
    double t = now_s();
    int rc = drive(USER, big, &trace, &result, &e);
    double took = now_s() - t;
    CHECK(rc == -1 && e.kind == ISYNC_E_TOO_LARGE && strstr(e.message, "more than 2000 companies"));
    CHECK(strcmp(trace.data, "GET /contacts/find_by_external_id/42\n") == 0);
    CHECK(!timing() || took < 1.0);
    printf("80,000 embedded companies: %.3f s\n", took);
    free(contact);

    /* exactly the bound is fine: one detach each (none of them is the user's team) */
    contact = repeat_json("{\"id\":\"u1\",\"external_id\":\"42\",\"role\":\"user\",\"companies\":{\"data\":[",
                          "{\"id\":\"c%zu\"}", 2000, "],\"has_more\":false}}");
    rule edge[] = {{"GET", "/contacts/find_by_external_id/42", 200, contact, 0, 0},
                   {"DELETE", "/contacts/u1/companies/", 200, "{}", 0, 0},
                   {"PUT", "/contacts/u1", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                   {0, 0, 0, 0, 0, 0}};
    rc = drive(USER, edge, &trace, &result, &e);
    CHECK(rc == 0 && strstr(result.data, "\"requests\":2002")); /* find, 2,000 detaches, the update */
    free(contact);

    /* companies beyond the bound across pages are refused too (1,500 + 1,000) */
    char *page = repeat_json("{\"data\":[", "{\"id\":\"p%zu\"}", 1500, "],\"pages\":{\"next\":\"x\"}}");
    char *page2 = repeat_json("{\"data\":[", "{\"id\":\"q%zu\"}", 1000, "],\"pages\":{\"next\":null}}");
    rule paged[] = {{"GET", "/contacts/find_by_external_id/42", 200,
                     "{\"id\":\"u1\",\"external_id\":\"42\",\"companies\":{\"data\":[],\"has_more\":true}}", 0, 0},
                    {"GET", "/contacts/u1/companies?per_page=60&page=1", 200, page, 0, 0},
                    {"GET", "/contacts/u1/companies?per_page=60&page=2", 200, page2, 0, 0},
                    {0, 0, 0, 0, 0, 0}};
    rc = drive(USER, paged, &trace, &result, &e);
    CHECK(rc == -1 && e.kind == ISYNC_E_TOO_LARGE);
    CHECK(strstr(trace.data, "DELETE") == NULL);
    free(page);
    free(page2);

    /* 80,000 data attributes: the first 2,000 kept, with a warning, quickly */
    const char *needs_list =
        "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"now\":1000,\"custom_attributes\":{\"plan\":\"pro\"},"
        "\"options\":{\"create_first\":\"never\"}}";
    char *attrs = repeat_json("{\"data\":[", "{\"name\":\"a%zu\",\"data_type\":\"string\"}", 80000, "]}");
    rule listed[] = {{"GET", "/data_attributes?model=contact", 200, attrs, 0, 0},
                     {"POST", "/data_attributes", 200, "{}", 0, 0},
                     {"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                     {"PUT", "/contacts/u1", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                     {0, 0, 0, 0, 0, 0}};
    t = now_s();
    rc = drive(needs_list, listed, &trace, &result, &e);
    took = now_s() - t;
    CHECK(rc == 0 && (!timing() || took < 1.0));
    printf("80,000 data attributes: %.3f s\n", took);
    CHECK(strstr(result.data, "more than 2000 contact data attributes") != NULL);
    isync_json *doc = isync_json_parse(result.data, result.len, &e);
    const isync_json *kept = isync_json_get(isync_json_get(doc, "attributes"), "contact");
    CHECK(kept && kept->u.list.len == 2001); /* the first 2,000 listed + plan, created */
    isync_json_free(doc);
    free(attrs);

    /* a cached definition list is bounded the same way */
    char *cached = repeat_json("{\"external_id\":\"42\",\"now\":1000,\"custom_attributes\":{},"
                               "\"options\":{\"create_first\":\"never\"},"
                               "\"known_attributes\":{\"company\":{},\"contact\":{",
                               "\"k%zu\":\"string\"", 5000, "}}}");
    rule found[] = {{"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                    {0, 0, 0, 0, 0, 0}};
    rc = drive(cached, found, &trace, &result, &e);
    doc = isync_json_parse(result.data, result.len, &e);
    kept = isync_json_get(isync_json_get(doc, "attributes"), "contact");
    CHECK(rc == 0 && kept && kept->u.list.len == 2000);
    isync_json_free(doc);
    free(cached);

    /* a lead search answering 60,000 leads (as many as a document's value bound lets through):
     * 1,000 merged, a warning, no more pages */
    const char *new_user = "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"signed_up_at\":990,\"now\":1000,"
                           "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";
    char *leads = repeat_json("{\"data\":[", "{\"id\":\"l%zu\",\"role\":\"lead\"}", 60000,
                              "],\"pages\":{\"next\":{\"starting_after\":\"more\"}}}");
    rule searched[] = {{"POST", "/contacts/search", 200, leads, 0, 0},
                       {"POST", "/contacts/merge", 200, "{}", 0, 0},
                       /* a fresh user is created first; "/contacts" is a prefix of the two above */
                       {"POST", "/contacts", 200,
                        "{\"id\":\"u1\",\"external_id\":\"42\",\"email\":\"a@b.co\",\"signed_up_at\":990}", 0, 0},
                       {0, 0, 0, 0, 0, 0}};
    t = now_s();
    rc = drive(new_user, searched, &trace, &result, &e);
    took = now_s() - t;
    CHECK(rc == 0 && (!timing() || took < 1.0));
    CHECK(strstr(result.data, "more than 1000 leads") != NULL);
    CHECK(strstr(result.data, "\"requests\":1002") != NULL); /* create, one search page, 1,000 merges */
    free(leads);

    isync_buf_free(&trace);
    isync_buf_free(&result);
}

/* Findings 2 and 5: long multibyte server text is cut between characters. */
static void test_multibyte_cuts(void)
{
    isync_buf trace, result;
    isync_error e;
    isync_buf_init(&trace);
    isync_buf_init(&result);

    char eacute[601];
    for (size_t i = 0; i < 300; i++) memcpy(eacute + 2 * i, "\xc3\xa9", 2);
    eacute[600] = '\0';

    /* a 400 invalid_merge with 300 x "é": the warning is cut at 400 bytes, the result valid */
    const char *new_user = "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"signed_up_at\":990,\"now\":1000,"
                           "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";
    for (int shift = 0; shift < 2; shift++) {
        char lead_body[128];
        snprintf(lead_body, sizeof(lead_body), "{\"data\":[{\"id\":\"%s\",\"role\":\"lead\"}]}", shift ? "l12" : "l1");
        rule merge[] = {{"POST", "/contacts/search", 200, lead_body, 0, 0},
                        {"POST", "/contacts/merge", 400, NULL, "invalid_merge", eacute},
                        {"POST", "/contacts", 200,
                         "{\"id\":\"u1\",\"external_id\":\"42\",\"email\":\"a@b.co\",\"signed_up_at\":990}", 0, 0},
                        {0, 0, 0, 0, 0, 0}};
        int rc = drive(new_user, merge, &trace, &result, &e);
        CHECK(rc == 0);
        CHECK(result.data && isync_utf8_valid(result.data, result.len) && strstr(result.data, "was not merged"));
    }

    /* a fatal error quoting it: the message stays valid, whatever the cut position */
    for (size_t pad = 0; pad < 4; pad++) {
        char msg[700];
        memset(msg, 'x', pad);
        memcpy(msg + pad, eacute, sizeof(eacute));
        rule fail[] = {{"GET", "/contacts/find_by_external_id/42", 400, NULL, "bad_request", msg},
                       {0, 0, 0, 0, 0, 0}};
        int rc = drive(USER, fail, &trace, &result, &e);
        CHECK(rc == -1 && strstr(e.message, "sync step") && valid_utf8(e.message));
        CHECK(valid_utf8(result.data));
    }

    /* isync_error_set itself cuts between characters */
    char long_text[1200];
    for (size_t i = 0; i < 399; i++) memcpy(long_text + 3 * i, "\xe2\x82\xac", 3); /* "€" */
    long_text[1197] = '\0';
    for (int pad = 0; pad < 3; pad++) {
        isync_error_set(&e, ISYNC_E_HTTP, "%.*s%s", pad, "ab", long_text);
        CHECK(valid_utf8(e.message) && strlen(e.message) >= sizeof(e.message) - 4);
    }

    isync_buf_free(&trace);
    isync_buf_free(&result);
}

/* Findings 10 and 11: ids that are dot segments, or carry a NUL, never reach a path. */
static void test_hostile_ids(void)
{
    isync_buf trace, result;
    isync_error e;
    isync_buf_init(&trace);
    isync_buf_init(&result);
    rule any[] = {{"GET", "/", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                  {"DELETE", "/", 200, "{}", 0, 0},
                  {0, 0, 0, 0, 0, 0}};

    /* from the app: a stored Intercom id or an external id "." / ".." (or encoding them) */
    const char *app_ids[] = {".", "..", "%2E", "%2e%2E", "%252E%252E"};
    for (size_t i = 0; i < sizeof(app_ids) / sizeof(app_ids[0]); i++) {
        char snapshot[512];
        snprintf(snapshot, sizeof(snapshot),
                 "{\"external_id\":\"42\",\"intercom_id\":\"%s\",\"now\":1,\"custom_attributes\":{},"
                 "\"known_attributes\":{\"contact\":{},\"company\":{}}}", app_ids[i]);
        int rc = drive(snapshot, any, &trace, &result, &e);
        CHECK(rc == -2 && e.kind == ISYNC_E_INPUT && strstr(e.message, "dot segment")); /* nothing sent */
        snprintf(snapshot, sizeof(snapshot),
                 "{\"external_id\":\"%s\",\"now\":1,\"custom_attributes\":{},"
                 "\"known_attributes\":{\"contact\":{},\"company\":{}}}", app_ids[i]);
        rc = drive(snapshot, any, &trace, &result, &e);
        CHECK(rc == -2 && e.kind == ISYNC_E_INPUT && strstr(e.message, "dot segment"));
    }

    /* from the app: an id with a NUL is refused, never cut */
    const char *nul_snap = "{\"external_id\":\"4\\u00002\",\"now\":1,\"custom_attributes\":{}}";
    int rc = drive(nul_snap, any, &trace, &result, &e);
    CHECK(rc == -2 && e.kind == ISYNC_E_INPUT && strstr(e.message, "NUL"));

    /* from the server: a contact whose id is ".." or holds a NUL */
    const char *contacts[] = {"{\"id\":\"..\",\"external_id\":\"42\"}", "{\"id\":\"u\\u0000/x\",\"external_id\":\"42\"}"};
    for (size_t i = 0; i < 2; i++) {
        rule r[] = {{"GET", "/contacts/find_by_external_id/42", 200, contacts[i], 0, 0}, {0, 0, 0, 0, 0, 0}};
        rc = drive(USER, r, &trace, &result, &e);
        CHECK(rc == -1 && e.kind == ISYNC_E_PARSE);
        CHECK(strcmp(trace.data, "GET /contacts/find_by_external_id/42\n") == 0);
    }

    /* from the server: companies of the contact with such ids are skipped, with a warning */
    rule companies[] = {{"GET", "/contacts/find_by_external_id/42", 200,
                         "{\"id\":\"u1\",\"external_id\":\"42\",\"companies\":{\"data\":["
                         "{\"id\":\"c\\u0000../../admins\"},{\"id\":\"..\"},{\"id\":\"%2e\"},{\"id\":\"ok\"}],"
                         "\"has_more\":false}}", 0, 0},
                        {"DELETE", "/contacts/u1/companies/", 200, "{}", 0, 0},
                        {"PUT", "/contacts/u1", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                        {0, 0, 0, 0, 0, 0}};
    rc = drive(USER, companies, &trace, &result, &e);
    CHECK(rc == 0);
    CHECK(strcmp(trace.data, "GET /contacts/find_by_external_id/42\nDELETE /contacts/u1/companies/ok\nPUT /contacts/u1\n") == 0);
    CHECK(strstr(result.data, "a NUL byte; ignored") && strstr(result.data, "dot segment; ignored"));

    /* a company upsert answering such an id is an error, not a shortened id */
    const char *owner = "{\"external_id\":\"42\",\"now\":1,\"custom_attributes\":{},"
                        "\"known_attributes\":{\"contact\":{},\"company\":{}},"
                        "\"owned_teams\":[{\"id\":\"7\",\"company\":{\"name\":\"acme\"}}],"
                        "\"options\":{\"create_first\":\"never\"}}";
    rule upsert[] = {{"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u1\",\"external_id\":\"42\"}", 0, 0},
                     {"POST", "/companies", 200, "{\"id\":\"c\\u0000x\"}", 0, 0},
                     {0, 0, 0, 0, 0, 0}};
    rc = drive(owner, upsert, &trace, &result, &e);
    CHECK(rc == -1 && e.kind == ISYNC_E_PARSE && strstr(e.message, "NUL"));

    /* leads with such ids are not merged */
    const char *new_user = "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"signed_up_at\":990,\"now\":1000,"
                           "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";
    rule leads[] = {{"POST", "/contacts/search", 200,
                     "{\"data\":[{\"id\":\"l\\u0000x\",\"role\":\"lead\"},{\"id\":\"l2\",\"role\":\"lead\"}]}", 0, 0},
                    {"POST", "/contacts/merge", 200, "{}", 0, 0},
                    {"POST", "/contacts", 200,
                     "{\"id\":\"u1\",\"external_id\":\"42\",\"email\":\"a@b.co\",\"signed_up_at\":990}", 0, 0},
                    {0, 0, 0, 0, 0, 0}};
    rc = drive(new_user, leads, &trace, &result, &e);
    CHECK(rc == 0 && strstr(result.data, "\"leads_merged\":[\"l2\"]"));

    /* the path check refuses encoded dot segments whatever built the path */
    CHECK(isync_url_check_path("/contacts/%2E%2E", &e) == -1);
    CHECK(isync_url_check_path("/contacts/%252e/companies", &e) == -1);
    CHECK(isync_url_check_path("/contacts/%2E%2Ex", &e) == 0);

    isync_buf_free(&trace);
    isync_buf_free(&result);
}

int main(void)
{
    /* ISYNC_SKIP_HUGE: for running the rest against a core without bounds, which takes hours */
    if (!getenv("ISYNC_SKIP_HUGE")) test_huge_lists();
    test_multibyte_cuts();
    test_hostile_ids();
    printf("hostile: %d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

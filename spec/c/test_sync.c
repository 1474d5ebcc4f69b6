/*
 * The sync engine (isync_sync.c) driven with canned answers: no network, so every path can be
 * walked under valgrind and ASan, including failures halfway.
 */
#include "isync_core.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A canned answer: the first rule whose method and path prefix match. */
typedef struct rule {
    const char *method;
    const char *path_prefix;
    long status;          /* 200: body is the document; else an error with code and resource */
    const char *body;
    const char *code;
    const char *resource_id;
} rule;

/* Runs the engine to the end; writes "METHOD path" lines into trace. Returns the feed/next rc. */
static int drive(const char *snapshot, int dry_run, const rule *rules, isync_buf *trace, isync_buf *result,
                 isync_error *e)
{
    isync_error_clear(e);
    isync_sync *s = isync_sync_new(snapshot, strlen(snapshot), dry_run, e);
    if (!s) return -2;
    isync_sync_request req;
    int rc;
    while ((rc = isync_sync_next(s, &req, e)) == 1) {
        isync_buf_append_str(trace, req.method);
        isync_buf_append_str(trace, " ");
        isync_buf_append_str(trace, req.path);
        isync_buf_append_str(trace, "\n");
        const rule *r = rules;
        while (r->method && !(strcmp(r->method, req.method) == 0 && strncmp(req.path, r->path_prefix, strlen(r->path_prefix)) == 0)) r++;
        isync_error outcome;
        isync_error_clear(&outcome);
        isync_json *doc = NULL;
        if (!r->method) {
            isync_error_set(&outcome, ISYNC_E_HTTP, "no canned answer");
            outcome.http_status = 599;
        } else if (r->status == 200) {
            doc = isync_json_parse(r->body, strlen(r->body), &outcome);
        } else {
            isync_error_set(&outcome, ISYNC_E_HTTP, "%s %s: HTTP %ld %s", req.method, req.path, r->status, r->code);
            outcome.http_status = r->status;
            snprintf(outcome.code, sizeof(outcome.code), "%s", r->code);
            if (r->resource_id) snprintf(outcome.resource_id, sizeof(outcome.resource_id), "%s", r->resource_id);
        }
        if (isync_sync_feed(s, doc, doc ? NULL : &outcome, e)) {
            rc = -1;
            break;
        }
    }
    isync_sync_result(s, result);
    isync_sync_free(s);
    return rc;
}

/* drive() on emptied trace and result buffers, for the next case of a test. */
static int rerun(const char *snapshot, int dry_run, const rule *rules, isync_buf *trace, isync_buf *result,
                 isync_error *e)
{
    isync_buf_clear(trace);
    isync_buf_clear(result);
    return drive(snapshot, dry_run, rules, trace, result, e);
}

static const char *NEW_USER =
    "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"name\":\"Ann\",\"signed_up_at\":100,\"now\":1000,"
    "\"custom_attributes\":{\"plan\":\"pro\",\"seats\":2.0,\"deleted\":false},"
    "\"teams\":[{\"id\":\"7\"},{\"id\":\"8\",\"intercom_company_id\":\"c8\"}],"
    "\"owned_teams\":[{\"id\":\"7\",\"company\":{\"name\":\"acme.com\",\"monthly_spend\":5,"
    "\"custom_attributes\":{\"deleted\":false}}}]}";

static const rule HAPPY[] = {
    {"GET", "/data_attributes?model=contact", 200,
     "{\"data\":[{\"name\":\"email\",\"data_type\":\"string\",\"custom\":false},"
     "{\"name\":\"seats\",\"data_type\":\"integer\",\"custom\":true}]}", 0, 0},
    {"GET", "/data_attributes?model=company", 200, "{\"data\":[]}", 0, 0},
    {"POST", "/data_attributes", 200, "{\"type\":\"data_attribute\"}", 0, 0},
    {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
    {"POST", "/contacts/search", 200,
     "{\"data\":[{\"id\":\"lead1\",\"role\":\"lead\"},{\"id\":\"u1\",\"role\":\"user\"}],\"pages\":{}}", 0, 0},
    {"POST", "/contacts/merge", 200, "{\"id\":\"u1\",\"phone\":\"+1\"}", 0, 0},
    {"POST", "/contacts/u1/companies", 200, "{\"id\":\"x\"}", 0, 0},
    {"POST", "/contacts", 200, "{\"id\":\"u1\",\"external_id\":\"42\",\"companies\":{\"data\":[],\"has_more\":false}}", 0, 0},
    {"POST", "/companies", 200, "{\"id\":\"c7\"}", 0, 0},
    {0, 0, 0, 0, 0, 0}};

void test_sync_engine(void)
{
    isync_buf trace, result;
    isync_error e;
    isync_buf_init(&trace);
    isync_buf_init(&result);

    /* a new user: attributes, lookup, create, upsert, attach both teams, leads */
    int rc = drive(NEW_USER, 0, HAPPY, &trace, &result, &e);
    CHECK(rc == 0);
    CHECK(strcmp(trace.data,
                 "GET /data_attributes?model=contact\n"
                 "GET /data_attributes?model=company\n"
                 "POST /data_attributes\nPOST /data_attributes\nPOST /data_attributes\n"
                 "GET /contacts/find_by_external_id/42\n"
                 "POST /contacts\n"
                 "POST /companies\n"
                 "POST /contacts/u1/companies\nPOST /contacts/u1/companies\n"
                 "POST /contacts/search\n"
                 "POST /contacts/merge\n") == 0);
    if (rc != 0 || !strstr(trace.data, "merge")) fprintf(stderr, "trace:\n%s(%s)\n", trace.data, e.message);
    isync_json *doc = isync_json_parse(result.data, result.len, &e);
    CHECK(doc && strcmp(isync_json_get_str(doc, "contact_id"), "u1") == 0);
    CHECK(isync_json_get(doc, "created")->type == ISYNC_JSON_TRUE);
    CHECK(strcmp(isync_json_get_str(isync_json_get(doc, "user"), "intercom_user_id"), "u1") == 0);
    CHECK(strcmp(isync_json_get_str(isync_json_get(doc, "user"), "phone"), "+1") == 0); /* from the lead */
    CHECK(isync_json_get(doc, "leads_merged")->u.list.len == 1);
    CHECK(isync_json_get(doc, "teams")->u.list.len == 1); /* team 7 learned its id; 8 had one */
    isync_json_free(doc);

    /* the same run, dry: reads only, writes recorded */
    rc = rerun(NEW_USER, 1, HAPPY, &trace, &result, &e);
    CHECK(rc == 0);
    CHECK(strstr(trace.data, "POST /contacts\n") == NULL && strstr(trace.data, "POST /contacts/search") != NULL);
    doc = isync_json_parse(result.data, result.len, &e);
    CHECK(doc && isync_json_get(doc, "planned")->u.list.len >= 6);
    isync_json_free(doc);

    /* a failure halfway: the error names the step, the result keeps the contact id */
    static const rule FAIL_UPSERT[] = {
        {"GET", "/data_attributes", 200, "{\"data\":[]}", 0, 0},
        {"POST", "/data_attributes", 200, "{}", 0, 0},
        {"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u9\",\"external_id\":\"42\"}", 0, 0},
        {"POST", "/companies", 500, NULL, "server_error", NULL},
        {0, 0, 0, 0, 0, 0}};
    rc = rerun(NEW_USER, 0, FAIL_UPSERT, &trace, &result, &e);
    CHECK(rc == -1 && e.http_status == 500 && strstr(e.message, "upsert owned team company"));
    CHECK(strstr(result.data, "\"intercom_user_id\":\"u9\"") != NULL);

    /* 409 on create: adopt the existing contact (unarchiving it), then update it */
    static const rule CONFLICT[] = {
        {"GET", "/data_attributes", 200,
         "{\"data\":[{\"name\":\"plan\",\"data_type\":\"string\"},{\"name\":\"seats\",\"data_type\":\"integer\"},"
         "{\"name\":\"deleted\",\"data_type\":\"boolean\"}]}", 0, 0},
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts/u5/unarchive", 200, "{\"archived\":false}", 0, 0},
        {"GET", "/contacts/u5", 200, "{\"id\":\"u5\",\"external_id\":\"42\",\"name\":\"Old\"}", 0, 0},
        {"PUT", "/contacts/u5", 200, "{\"id\":\"u5\",\"external_id\":\"42\"}", 0, 0},
        {"POST", "/contacts", 409, NULL, "conflict", "u5"},
        {"POST", "/companies", 200, "{\"id\":\"c7\"}", 0, 0},
        {"POST", "/contacts/u5/companies", 200, "{}", 0, 0},
        {"POST", "/contacts/search", 200, "{\"data\":[]}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    const char *known = "{\"external_id\":\"42\",\"name\":\"Ann\",\"now\":1,\"signed_up_at\":100,"
                        "\"custom_attributes\":{\"plan\":\"pro\"}}";
    rc = rerun(known, 0, CONFLICT, &trace, &result, &e);
    CHECK(rc == 0);
    CHECK(strstr(trace.data, "POST /contacts\nGET /contacts/u5\nPUT /contacts/u5\n") != NULL);
    CHECK(strstr(result.data, "\"created\":false") != NULL);

    /* a contact from a bulk page stands in for the lookup: an unchanged user sends nothing */
    static const char *PREFETCHED =
        "{\"external_id\":\"42\",\"intercom_id\":\"old\",\"email\":\"a@b.co\",\"now\":1000000,"
        "\"custom_attributes\":{},\"teams\":[],\"known_attributes\":{\"contact\":{},\"company\":{}},"
        "\"contact\":{\"id\":\"u7\",\"role\":\"user\",\"external_id\":\"42\",\"email\":\"a@b.co\","
        "\"companies\":{\"data\":[{\"id\":\"cx\"}],\"has_more\":false}}}";
    static const rule NOTHING[] = {
        {"DELETE", "/contacts/u7/companies/cx", 200, "{\"id\":\"cx\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    rc = rerun(PREFETCHED, 0, NOTHING, &trace, &result, &e);
    CHECK(rc == 0);
    CHECK(strcmp(trace.data, "DELETE /contacts/u7/companies/cx\n") == 0); /* no GET: the page had it */
    CHECK(strstr(result.data, "\"intercom_user_id\":\"u7\"") != NULL);  /* the stored id is replaced */
    CHECK(strstr(result.data, "\"requests\":1") != NULL);

    /* no "teams" (the app's model has none): membership is left alone, no paging, no detach */
    static const char *NO_TEAMS =
        "{\"external_id\":\"42\",\"intercom_id\":\"u7\",\"email\":\"a@b.co\",\"now\":1000000,"
        "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}},"
        "\"contact\":{\"id\":\"u7\",\"role\":\"user\",\"external_id\":\"42\",\"email\":\"a@b.co\","
        "\"companies\":{\"data\":[{\"id\":\"cx\"}],\"has_more\":true}}}";
    rc = rerun(NO_TEAMS, 0, NOTHING, &trace, &result, &e);
    CHECK(rc == 0);
    CHECK(trace.len == 0);
    CHECK(strstr(result.data, "\"requests\":0") != NULL);

    /* someone else's contact (or a lead) is not used: the usual lookup runs */
    static const char *FOREIGN =
        "{\"external_id\":\"42\",\"now\":1000000,\"custom_attributes\":{},"
        "\"known_attributes\":{\"contact\":{},\"company\":{}},"
        "\"contact\":{\"id\":\"l1\",\"role\":\"lead\",\"external_id\":\"42\"}}";
    static const rule LOOKUP[] = {
        {"GET", "/contacts/find_by_external_id/42", 200,
         "{\"id\":\"u8\",\"role\":\"user\",\"external_id\":\"42\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = rerun(FOREIGN, 0, LOOKUP, &trace, &result, &e);
    CHECK(rc == 0 && strcmp(trace.data, "GET /contacts/find_by_external_id/42\n") == 0);
    CHECK(strstr(result.data, "not this user's") != NULL);

    /* known absent (a full read of the contacts lacked the user): create without a lookup */
    static const char *ABSENT =
        "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"now\":1000000,\"known_absent\":true,"
        "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";
    static const rule CREATED[] = {
        {"POST", "/contacts", 200, "{\"id\":\"u3\",\"external_id\":\"42\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    rc = rerun(ABSENT, 0, CREATED, &trace, &result, &e);
    CHECK(rc == 0 && strcmp(trace.data, "POST /contacts\n") == 0);
    CHECK(strstr(result.data, "\"created\":true") != NULL);

    /* ... and it exists after all: the 409 names it, it is adopted */
    static const rule EXISTS[] = {
        {"POST", "/contacts", 409, NULL, "conflict", "u4"},
        {"GET", "/contacts/u4", 200, "{\"id\":\"u4\",\"external_id\":\"42\",\"email\":\"a@b.co\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = rerun(ABSENT, 0, EXISTS, &trace, &result, &e);
    CHECK(rc == 0 && strcmp(trace.data, "POST /contacts\nGET /contacts/u4\n") == 0);
    CHECK(strstr(result.data, "\"created\":false") != NULL);

    /* ... or a 409 names no contact: look the user up after all */
    static const rule UNNAMED[] = {
        {"POST", "/contacts", 409, NULL, "conflict", NULL},
        {"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u5\",\"external_id\":\"42\",\"email\":\"a@b.co\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = rerun(ABSENT, 0, UNNAMED, &trace, &result, &e);
    CHECK(rc == 0 && strcmp(trace.data, "POST /contacts\nGET /contacts/find_by_external_id/42\n") == 0);
    CHECK(strstr(result.data, "\"intercom_user_id\":\"u5\"") != NULL);

    /* a stored id wins over the hint: the contact may be archived, not absent */
    static const char *ABSENT_STORED =
        "{\"external_id\":\"42\",\"intercom_id\":\"u6\",\"now\":1000000,\"known_absent\":true,"
        "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";
    static const rule STORED[] = {
        {"GET", "/contacts/u6", 200, "{\"id\":\"u6\",\"external_id\":\"42\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    rc = rerun(ABSENT_STORED, 0, STORED, &trace, &result, &e);
    CHECK(rc == 0 && strcmp(trace.data, "GET /contacts/u6\n") == 0);

    /* unusable snapshots are refused before any request */
    const char *bad[] = {"", "[]", "{\"now\":1}", "{\"external_id\":\"\",\"now\":1}",
                         "{\"external_id\":\"1\"}", "{\"external_id\":\"1\",\"now\":1,\"teams\":{}}",
                         "{\"external_id\":\"1\",\"now\":1,\"teams\":[{}]}",
                         "{\"external_id\":\"1\",\"now\":1,\"email\":5}",
                         "{\"external_id\":\"1\",\"now\":1,\"contact\":[]}",
                         "{\"external_id\":\"1\",\"now\":1,\"options\":{\"unknown_attributes\":\"maybe\"}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        isync_error_clear(&e);
        isync_sync *s = isync_sync_new(bad[i], strlen(bad[i]), 0, &e);
        CHECK(s == NULL && e.kind == ISYNC_E_INPUT);
        isync_sync_free(s);
    }

    isync_buf_free(&trace);
    isync_buf_free(&result);
}

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
    const char *body;     /* for an error: Intercom's message, when it matters (an archived 409) */
    const char *code;
    const char *resource_id;
} rule;

/* The body of the last PUT a run sent (the contact update), for the cases that check it. */
static isync_buf last_put;

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
        if (strcmp(req.method, "PUT") == 0) {
            isync_buf_clear(&last_put);
            isync_buf_append(&last_put, req.body, req.body_len);
        }
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
            outcome.archived = r->body && strstr(r->body, "archived") != NULL; /* as isync_http reads it */
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

/* What the cases share: the trace and result of the last run, its error. Owned by
 * test_sync_engine, so a case that stops early (REQUIRE) leaks nothing. */
static isync_buf trace, result;
static isync_error e;

/* drive() on emptied trace and result buffers. */
static int run(const char *snapshot, int dry_run, const rule *rules)
{
    isync_buf_clear(&trace);
    isync_buf_clear(&result);
    isync_buf_clear(&last_put);
    return drive(snapshot, dry_run, rules, &trace, &result, &e);
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

/* a new user: attributes, lookup, create, upsert, attach both teams, leads */
static void case_new_user(void)
{
    int rc = run(NEW_USER, 0, HAPPY);
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
    REQUIRE(doc);
    CHECK(str_is(isync_json_get_str(doc, "contact_id"), "u1"));
    CHECK(type_is(isync_json_get(doc, "created"), ISYNC_JSON_TRUE));
    CHECK(str_is(isync_json_get_str(isync_json_get(doc, "user"), "intercom_user_id"), "u1"));
    CHECK(str_is(isync_json_get_str(isync_json_get(doc, "user"), "phone"), "+1")); /* from the lead */
    CHECK(len_of(isync_json_get(doc, "leads_merged")) == 1);
    CHECK(len_of(isync_json_get(doc, "teams")) == 1); /* team 7 learned its id; 8 had one */
    isync_json_free(doc);
}

/* the same run, dry: reads only, every write recorded (none sent) */
static void case_dry_run(void)
{
    int rc = run(NEW_USER, 1, HAPPY);
    CHECK(rc == 0);
    CHECK(strstr(trace.data, "POST /contacts\n") == NULL && strstr(trace.data, "POST /contacts/search") != NULL);
    isync_json *doc = isync_json_parse(result.data, result.len, &e);
    REQUIRE(doc);
    const isync_json *planned = isync_json_get(doc, "planned");
    static const char *const want[] = {
        "POST /data_attributes", "POST /data_attributes", "POST /data_attributes", "POST /contacts",
        "POST /companies", "POST /contacts/new-contact/companies", "POST /contacts/new-contact/companies",
        "POST /contacts/merge"};
    size_t n = sizeof(want) / sizeof(want[0]);
    CHECK(len_of(planned) == (long)n);
    for (size_t i = 0; i < n && len_of(planned) == (long)n; i++) {
        const isync_json *w = planned->u.list.values[i];
        char line[128];
        snprintf(line, sizeof(line), "%s %s", isync_json_get_str(w, "method") ? isync_json_get_str(w, "method") : "?",
                 isync_json_get_str(w, "path") ? isync_json_get_str(w, "path") : "?");
        CHECK(strcmp(line, want[i]) == 0);
        if (strcmp(line, want[i]) != 0) fprintf(stderr, "  planned[%zu] = %s\n", i, line);
    }
    isync_json_free(doc);
}

/* a failure halfway: the error names the step, the result keeps the contact id */
static void case_failure_halfway(void)
{
    static const rule FAIL_UPSERT[] = {
        {"GET", "/data_attributes", 200, "{\"data\":[]}", 0, 0},
        {"POST", "/data_attributes", 200, "{}", 0, 0},
        {"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u9\",\"external_id\":\"42\"}", 0, 0},
        {"POST", "/companies", 500, NULL, "server_error", NULL},
        {0, 0, 0, 0, 0, 0}};
    int rc = run(NEW_USER, 0, FAIL_UPSERT);
    CHECK(rc == -1 && e.http_status == 500 && strstr(e.message, "upsert owned team company"));
    CHECK(strstr(result.data, "\"intercom_user_id\":\"u9\"") != NULL);
}

static const char *KNOWN_ATTRS_USER = "{\"external_id\":\"42\",\"name\":\"Ann\",\"now\":1,\"signed_up_at\":100,"
                                      "\"custom_attributes\":{\"plan\":\"pro\"}}";

/* 409 on create: adopt the existing, archived, contact (unarchiving it), then update it */
static void case_conflict_adopts(void)
{
    static const rule CONFLICT[] = {
        {"GET", "/data_attributes", 200,
         "{\"data\":[{\"name\":\"plan\",\"data_type\":\"string\"},{\"name\":\"seats\",\"data_type\":\"integer\"},"
         "{\"name\":\"deleted\",\"data_type\":\"boolean\"}]}", 0, 0},
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts/u5/unarchive", 200, "{\"archived\":false}", 0, 0},
        {"GET", "/contacts/u5", 200, "{\"id\":\"u5\",\"external_id\":\"42\",\"name\":\"Old\",\"custom_attributes\":{}}", 0, 0},
        {"PUT", "/contacts/u5", 200, "{\"id\":\"u5\",\"external_id\":\"42\"}", 0, 0},
        {"POST", "/contacts", 409, "An archived contact matching those details already exists with id=u5", "conflict", "u5"},
        {0, 0, 0, 0, 0, 0}};
    int rc = run(KNOWN_ATTRS_USER, 0, CONFLICT);
    CHECK(rc == 0);
    CHECK(strstr(trace.data, "POST /contacts\nPOST /contacts/u5/unarchive\nGET /contacts/u5\nPUT /contacts/u5\n") != NULL);
    CHECK(strstr(result.data, "\"created\":false") != NULL);
    CHECK(strstr(result.data, "\"fields_pushed\":[\"name\",\"signed_up_at\",\"custom_attributes\"]") != NULL);
}

/* 409 naming a contact with our email and no external_id (made by the Messenger, a CSV import,
 * a teammate): adopted like our own, our external_id and the changed fields in the one PUT */
static const char *EMAIL_USER = "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"name\":\"Ann\",\"now\":1000000,"
                                "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";

static void case_email_only_adopted(void)
{
    static const rule EMAIL_ONLY[] = {
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts", 409, "A contact matching those details already exists with id=e1", "conflict", "e1"},
        {"GET", "/contacts/e1", 200,
         "{\"id\":\"e1\",\"role\":\"user\",\"external_id\":null,\"email\":\"a@b.co\",\"name\":\"A\"}", 0, 0},
        {"PUT", "/contacts/e1", 200, "{\"id\":\"e1\",\"external_id\":\"42\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    int rc = run(EMAIL_USER, 0, EMAIL_ONLY);
    CHECK(rc == 0);
    CHECK(strcmp(trace.data, "GET /contacts/find_by_external_id/42\nPOST /contacts\nGET /contacts/e1\nPUT /contacts/e1\n") == 0);
    CHECK(str_is(last_put.data, "{\"name\":\"Ann\",\"external_id\":\"42\"}"));
    CHECK(strstr(result.data, "\"created\":false") != NULL);
    CHECK(strstr(result.data, "\"intercom_user_id\":\"e1\"") != NULL);
    CHECK(strstr(result.data, "\"fields_pushed\":[\"name\",\"external_id\"]") != NULL);
    if (rc) fprintf(stderr, "  %s\n", e.message);

    /* archived: unarchived first; an empty external_id is none */
    static const rule ARCHIVED[] = {
        {"POST", "/contacts/e2/unarchive", 200, "{\"archived\":false}", 0, 0},
        {"POST", "/contacts", 409, "An archived contact matching those details already exists with id=e2", "conflict", "e2"},
        {"GET", "/contacts/e2", 200,
         "{\"id\":\"e2\",\"role\":\"user\",\"external_id\":\"\",\"email\":\"a@b.co\",\"name\":\"Ann\"}", 0, 0},
        {"PUT", "/contacts/e2", 200, "{\"id\":\"e2\",\"external_id\":\"42\"}", 0, 0},
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {0, 0, 0, 0, 0, 0}};
    rc = run(EMAIL_USER, 0, ARCHIVED);
    CHECK(rc == 0);
    CHECK(strstr(trace.data, "POST /contacts\nPOST /contacts/e2/unarchive\nGET /contacts/e2\nPUT /contacts/e2\n") != NULL);
    CHECK(str_is(last_put.data, "{\"external_id\":\"42\"}"));

    /* a lead with that email (Intercom does not count leads as duplicates of a user, so this is
     * not expected): it becomes our user in the same PUT, lead to user being the one role change
     * Intercom allows */
    static const rule LEAD[] = {
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts", 409, NULL, "conflict", "e3"},
        {"GET", "/contacts/e3", 200, "{\"id\":\"e3\",\"role\":\"lead\",\"email\":\"a@b.co\",\"name\":\"Ann\"}", 0, 0},
        {"PUT", "/contacts/e3", 200, "{\"id\":\"e3\",\"role\":\"user\",\"external_id\":\"42\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = run(EMAIL_USER, 0, LEAD);
    CHECK(rc == 0);
    CHECK(str_is(last_put.data, "{\"external_id\":\"42\",\"role\":\"user\"}"));

    /* a 409 naming a contact without an external_id whose email is not ours (a confused or
     * hostile server) is a conflict: that contact is never written; the email matches in any case */
    static const rule OTHER_EMAIL[] = {
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts", 409, NULL, "conflict", "e4"},
        {"GET", "/contacts/e4", 200, "{\"id\":\"e4\",\"role\":\"user\",\"email\":\"someone@else.co\"}", 0, 0},
        {"PUT", "/contacts/e4", 200, "{\"id\":\"e4\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = run(EMAIL_USER, 0, OTHER_EMAIL);
    CHECK(rc == -1 && e.kind == ISYNC_E_HTTP && e.http_status == 409 && str_is(e.resource_id, "e4"));
    CHECK(strcmp(trace.data, "GET /contacts/find_by_external_id/42\nPOST /contacts\nGET /contacts/e4\n") == 0);
    static const rule UPPER_EMAIL[] = {
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts", 409, NULL, "conflict", "e5"},
        {"GET", "/contacts/e5", 200, "{\"id\":\"e5\",\"role\":\"user\",\"email\":\"A@B.CO\",\"name\":\"Ann\"}", 0, 0},
        {"PUT", "/contacts/e5", 200, "{\"id\":\"e5\",\"external_id\":\"42\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = run(EMAIL_USER, 0, UPPER_EMAIL);
    CHECK(rc == 0);
    CHECK(str_is(last_put.data, "{\"email\":\"a@b.co\",\"external_id\":\"42\"}")); /* ours, as we spell it */
}

/* ... but a contact whose external_id is set and is another's is someone else: ConflictError,
 * and nothing is written to it */
static void case_conflict_other_user(void)
{
    static const rule OTHER[] = {
        {"GET", "/contacts/find_by_external_id/42", 404, NULL, "not_found", NULL},
        {"POST", "/contacts", 409, NULL, "conflict", "o1"},
        {"GET", "/contacts/o1", 200, "{\"id\":\"o1\",\"role\":\"user\",\"external_id\":\"99\",\"email\":\"a@b.co\"}", 0, 0},
        {"PUT", "/contacts/o1", 200, "{\"id\":\"o1\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    int rc = run(EMAIL_USER, 0, OTHER);
    CHECK(rc == -1 && e.kind == ISYNC_E_HTTP && e.http_status == 409 && str_is(e.code, "conflict"));
    CHECK(strstr(e.message, "external_id 99") != NULL && str_is(e.resource_id, "o1"));
    CHECK(strcmp(trace.data, "GET /contacts/find_by_external_id/42\nPOST /contacts\nGET /contacts/o1\n") == 0);
    CHECK(strstr(result.data, "\"intercom_user_id\"") == NULL); /* not stored as ours */
}

/* a contact from a bulk page stands in for the lookup: an unchanged user sends nothing */
static void case_prefetched(void)
{
    static const char *PREFETCHED =
        "{\"external_id\":\"42\",\"intercom_id\":\"old\",\"email\":\"a@b.co\",\"now\":1000000,"
        "\"custom_attributes\":{},\"teams\":[],\"known_attributes\":{\"contact\":{},\"company\":{}},"
        "\"contact\":{\"id\":\"u7\",\"role\":\"user\",\"external_id\":\"42\",\"email\":\"a@b.co\","
        "\"companies\":{\"data\":[{\"id\":\"cx\"}],\"has_more\":false}}}";
    static const rule NOTHING[] = {
        {"DELETE", "/contacts/u7/companies/cx", 200, "{\"id\":\"cx\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    int rc = run(PREFETCHED, 0, NOTHING);
    CHECK(rc == 0);
    CHECK(strcmp(trace.data, "DELETE /contacts/u7/companies/cx\n") == 0); /* no GET: the page had it */
    CHECK(strstr(result.data, "\"intercom_user_id\":\"u7\"") != NULL);  /* the stored id is replaced */
    CHECK(strstr(result.data, "\"requests\":1") != NULL);
}

/* no "teams" (the app's model has none): membership is left alone, no paging, no detach */
static void case_no_teams_leaves_membership(void)
{
    static const char *NO_TEAMS =
        "{\"external_id\":\"42\",\"intercom_id\":\"u7\",\"email\":\"a@b.co\",\"now\":1000000,"
        "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}},"
        "\"contact\":{\"id\":\"u7\",\"role\":\"user\",\"external_id\":\"42\",\"email\":\"a@b.co\","
        "\"companies\":{\"data\":[{\"id\":\"cx\"}],\"has_more\":true}}}";
    static const rule NOTHING[] = {
        {"DELETE", "/contacts/u7/companies/cx", 200, "{\"id\":\"cx\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    int rc = run(NO_TEAMS, 0, NOTHING);
    CHECK(rc == 0);
    CHECK(trace.len == 0);
    CHECK(strstr(result.data, "\"requests\":0") != NULL);
}

/* someone else's contact (or a lead) is not used: the usual lookup runs */
static void case_prefetched_foreign(void)
{
    static const char *FOREIGN =
        "{\"external_id\":\"42\",\"now\":1000000,\"custom_attributes\":{},"
        "\"known_attributes\":{\"contact\":{},\"company\":{}},"
        "\"contact\":{\"id\":\"l1\",\"role\":\"lead\",\"external_id\":\"42\"}}";
    static const rule LOOKUP[] = {
        {"GET", "/contacts/find_by_external_id/42", 200,
         "{\"id\":\"u8\",\"role\":\"user\",\"external_id\":\"42\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    int rc = run(FOREIGN, 0, LOOKUP);
    CHECK(rc == 0 && strcmp(trace.data, "GET /contacts/find_by_external_id/42\n") == 0);
    CHECK(strstr(result.data, "not this user's") != NULL);
}

static const char *ABSENT =
    "{\"external_id\":\"42\",\"email\":\"a@b.co\",\"now\":1000000,\"known_absent\":true,"
    "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";

/* known absent (a full read of the contacts lacked the user): create without a lookup */
static void case_known_absent(void)
{
    static const rule CREATED[] = {
        {"POST", "/contacts", 200, "{\"id\":\"u3\",\"external_id\":\"42\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    int rc = run(ABSENT, 0, CREATED);
    CHECK(rc == 0 && strcmp(trace.data, "POST /contacts\n") == 0);
    CHECK(strstr(result.data, "\"created\":true") != NULL);

    /* ... and it exists after all: the 409 names it, it is adopted */
    static const rule EXISTS[] = {
        {"POST", "/contacts", 409, NULL, "conflict", "u4"},
        {"GET", "/contacts/u4", 200, "{\"id\":\"u4\",\"external_id\":\"42\",\"email\":\"a@b.co\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = run(ABSENT, 0, EXISTS);
    CHECK(rc == 0 && strcmp(trace.data, "POST /contacts\nGET /contacts/u4\n") == 0);
    CHECK(strstr(result.data, "\"created\":false") != NULL);

    /* ... or a 409 names no contact: look the user up after all */
    static const rule UNNAMED[] = {
        {"POST", "/contacts", 409, NULL, "conflict", NULL},
        {"GET", "/contacts/find_by_external_id/42", 200, "{\"id\":\"u5\",\"external_id\":\"42\",\"email\":\"a@b.co\"}", 0, 0},
        {0, 0, 0, 0, 0, 0}};
    rc = run(ABSENT, 0, UNNAMED);
    CHECK(rc == 0 && strcmp(trace.data, "POST /contacts\nGET /contacts/find_by_external_id/42\n") == 0);
    CHECK(strstr(result.data, "\"intercom_user_id\":\"u5\"") != NULL);

    /* a stored id wins over the hint: the contact may be archived, not absent */
    static const char *ABSENT_STORED =
        "{\"external_id\":\"42\",\"intercom_id\":\"u6\",\"now\":1000000,\"known_absent\":true,"
        "\"custom_attributes\":{},\"known_attributes\":{\"contact\":{},\"company\":{}}}";
    static const rule STORED[] = {
        {"GET", "/contacts/u6", 200, "{\"id\":\"u6\",\"external_id\":\"42\"}", 0, 0}, {0, 0, 0, 0, 0, 0}};
    rc = run(ABSENT_STORED, 0, STORED);
    CHECK(rc == 0 && strcmp(trace.data, "GET /contacts/u6\n") == 0);
}

/* unusable snapshots are refused before any request */
static void case_bad_snapshots(void)
{
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
}

void test_sync_engine(void)
{
    isync_buf_init(&trace);
    isync_buf_init(&result);
    isync_buf_init(&last_put);
    case_new_user();
    case_dry_run();
    case_failure_halfway();
    case_conflict_adopts();
    case_email_only_adopted();
    case_conflict_other_user();
    case_prefetched();
    case_no_teams_leaves_membership();
    case_prefetched_foreign();
    case_known_absent();
    case_bad_snapshots();
    isync_buf_free(&trace);
    isync_buf_free(&result);
    isync_buf_free(&last_put);
}

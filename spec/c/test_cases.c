/*
 * The sync engine's canned exchanges, as data (in the spirit of msgpack-ruby's spec/cases.json):
 * each spec/c/cases/NAME.json file is an array of cases, each case a snapshot, a dry_run flag, the
 * exchanges in the order the engine must ask for them (the request expected, the answer given)
 * and what to check at the end. The fixtures are read with the core's own parser and the engine
 * is driven through isync_core.h's public functions only, so it can be rebuilt behind them.
 * tasks/fuzz.rake turns the same fixtures into fuzz_sync seeds (fuzz/corpus/sync/case_*.bin).
 *
 * A case (every member but "snapshot" optional):
 *   "name":      what it shows, printed in its FAIL lines
 *   "snapshot":  an object (sent as compact JSON) or a string (sent as is: malformed input, or a
 *                number whose spelling matters, such as 2.0 for a float)
 *   "dry_run":   true or false (default)
 *   "exchanges": [{"request": {"method", "path", "body"?}, "answer": A}], where A is
 *                {"status": 200, "body": doc} or an Intercom error {"status", "code"?,
 *                "message"? (one with "archived" names an archived contact, as isync_http reads
 *                it), "resource_id"?, "headers"? {"x-request-id", "retry-after"}}, or a transport
 *                failure {"error": "connection" | "timeout" | ...}
 *   "expect":    {"rc": "ok" | "failed" | "refused",
 *                 "error": {"kind", "http_status", "code", "request_id", "resource_id", "message_has"},
 *                 "result": members the result must have (objects recursively; others equal),
 *                 "lengths": {member: n}, "result_has" / "result_lacks": [substring],
 *                 "last_put": the body of the last PUT (as the engine spells it, key order too),
 *                 "planned": ["METHOD path"] (a dry run's recorded writes)}
 * A request the exchanges do not expect ends the run with a FAIL line (no answer is guessed).
 */
#include "isync_core.h"
#include "test.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a run ended: as the engine's next/feed said, or refused by isync_sync_new, or stopped
 * by the runner at a request the case does not expect. */
typedef enum { RAN_OK, RAN_FAILED, RAN_REFUSED, RAN_STOPPED } ran_rc;

static const char *const RAN_NAMES[] = {"ok", "failed", "refused", "stopped (unexpected request)"};

/* What one run leaves for the checks. */
typedef struct ran {
    ran_rc rc;
    isync_error e;
    isync_buf result;   /* isync_sync_result's JSON text */
    isync_buf last_put; /* the body of the last PUT sent */
} ran;

/* The label of the case being run ("spec/c/cases/x.json #2 (name)"); checks add their subject. */
static char case_label[384];

static void where(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void where(const char *fmt, ...)
{
    char subject[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(subject, sizeof(subject), fmt, ap);
    va_end(ap);
    snprintf(test_where_buf(), TEST_WHERE_MAX, " in %s: %s", case_label, subject);
}

/* Compact JSON text of v appended to out; 0, or -1 (never for a parsed fixture). */
static int gen_into(isync_buf *out, const isync_json *v)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return -1;
    const char *text = NULL;
    size_t len = 0;
    int rc = isync_json_gen_value(g, v);
    if (rc == 0) {
        isync_json_gen_result(g, &text, &len);
        rc = isync_buf_append(out, text, len);
    }
    isync_json_gen_free(g);
    return rc;
}

/* A text check with both sides printed on failure. */
static void check_text(const char *subject, const char *want, const char *got)
{
    where("%s", subject);
    CHECK(str_is(got, want));
    if (!str_is(got, want)) fprintf(stderr, "  want: %s\n  got:  %s\n", want ? want : "(nothing)", got ? got : "(nothing)");
}

/* Checks that the request is the one exchange x expects. */
static void check_request(size_t i, const isync_json *x, const isync_sync_request *req)
{
    const isync_json *want = isync_json_get(x, "request");
    char subject[64];
    snprintf(subject, sizeof(subject), "exchange %zu method", i);
    check_text(subject, isync_json_get_str(want, "method"), req->method);
    snprintf(subject, sizeof(subject), "exchange %zu path", i);
    check_text(subject, isync_json_get_str(want, "path"), req->path);
    const isync_json *body = isync_json_get(want, "body");
    if (!body) return;
    isync_buf want_text, got_text;
    isync_buf_init(&want_text);
    isync_buf_init(&got_text);
    gen_into(&want_text, body);
    isync_buf_append(&got_text, req->body ? req->body : "", req->body ? req->body_len : 0);
    snprintf(subject, sizeof(subject), "exchange %zu body", i);
    check_text(subject, want_text.data, got_text.data);
    isync_buf_free(&want_text);
    isync_buf_free(&got_text);
}

/* The answer A of a case as the engine receives it: *doc for a 200, else outcome filled as the
 * http layer does. */
static void answer(const isync_json *a, const isync_sync_request *req, isync_json **doc, isync_error *outcome)
{
    isync_error_clear(outcome);
    *doc = NULL;
    const char *failure = isync_json_get_str(a, "error");
    if (failure) {
        isync_err_kind kind = ISYNC_E_CONNECTION;
        for (int k = ISYNC_E_CONFIG; k <= ISYNC_E_INPUT; k++) {
            if (strcmp(isync_err_kind_name((isync_err_kind)k), failure) == 0) kind = (isync_err_kind)k;
        }
        isync_error_set(outcome, kind, "%s %s: %s (canned)", req->method, req->path, failure);
        return;
    }
    double status = 0;
    isync_json_number(isync_json_get(a, "status"), &status);
    if (status == 200) {
        isync_buf text;
        isync_buf_init(&text);
        if (gen_into(&text, isync_json_get(a, "body")) == 0) *doc = isync_json_parse(text.data, text.len, outcome);
        isync_buf_free(&text);
        return;
    }
    const char *code = isync_json_get_str(a, "code");
    const char *message = isync_json_get_str(a, "message");
    const char *resource = isync_json_get_str(a, "resource_id");
    const isync_json *headers = isync_json_get(a, "headers");
    isync_error_set(outcome, ISYNC_E_HTTP, "%s %s: HTTP %ld %s", req->method, req->path, (long)status, code ? code : "");
    outcome->http_status = (long)status;
    if (code) snprintf(outcome->code, sizeof(outcome->code), "%s", code);
    if (resource) snprintf(outcome->resource_id, sizeof(outcome->resource_id), "%s", resource);
    outcome->archived = message && strstr(message, "archived") != NULL;
    const char *request_id = isync_json_get_str(headers, "x-request-id");
    if (request_id) snprintf(outcome->request_id, sizeof(outcome->request_id), "%s", request_id);
    const char *retry_after = isync_json_get_str(headers, "retry-after");
    if (retry_after) outcome->retry_after = strtol(retry_after, NULL, 10);
}

/* Runs the engine over the case's exchanges, one request after the other. */
static void drive(const isync_json *c, const char *snapshot, size_t len, ran *r)
{
    isync_sync *s = isync_sync_new(snapshot, len, type_is(isync_json_get(c, "dry_run"), ISYNC_JSON_TRUE), &r->e);
    if (!s) {
        r->rc = RAN_REFUSED;
        return;
    }
    const isync_json *exchanges = isync_json_get(c, "exchanges");
    size_t n = len_of(exchanges) > 0 ? (size_t)len_of(exchanges) : 0, i = 0;
    isync_sync_request req;
    int rc;
    while ((rc = isync_sync_next(s, &req, &r->e)) == 1) {
        int expected = i < n;
        where("request %zu", i);
        CHECK(expected);
        if (!expected) {
            fprintf(stderr, "  unexpected: %s %s (step \"%s\")\n", req.method, req.path, req.step ? req.step : "");
            r->rc = RAN_STOPPED;
            break;
        }
        const isync_json *x = exchanges->u.list.values[i];
        check_request(i, x, &req);
        if (strcmp(req.method, "PUT") == 0) {
            isync_buf_clear(&r->last_put);
            isync_buf_append(&r->last_put, req.body ? req.body : "", req.body ? req.body_len : 0);
        }
        isync_json *doc;
        isync_error outcome;
        answer(isync_json_get(x, "answer"), &req, &doc, &outcome);
        i++;
        if (isync_sync_feed(s, doc, doc ? NULL : &outcome, &r->e)) {
            rc = -1;
            break;
        }
    }
    if (r->rc != RAN_STOPPED) {
        r->rc = rc == 0 ? RAN_OK : RAN_FAILED;
        where("exchanges used");
        CHECK(i == n); /* an answer the engine never asked for is a case that no longer tests anything */
        if (i != n) fprintf(stderr, "  %zu of %zu requested\n", i, n);
    }
    where("result");
    CHECK(isync_sync_result(s, &r->result) == 0);
    isync_sync_free(s);
}

/* want's members found, recursively, in got (path names the member for the FAIL line). */
static void check_members(const char *path, const isync_json *want, const isync_json *got)
{
    if (!want) return;
    if (type_is(want, ISYNC_JSON_OBJECT) && want->u.list.len > 0) {
        for (size_t i = 0; i < want->u.list.len; i++) {
            char sub[128];
            snprintf(sub, sizeof(sub), "%s.%s", path, want->u.list.keys[i].ptr);
            check_members(sub, want->u.list.values[i], isync_json_get(got, want->u.list.keys[i].ptr));
        }
        return;
    }
    where("%s", path);
    int same = type_is(want, ISYNC_JSON_OBJECT) ? type_is(got, ISYNC_JSON_OBJECT) : got && isync_json_equal(want, got);
    CHECK(same);
    if (!same) {
        isync_buf w, g;
        isync_buf_init(&w);
        isync_buf_init(&g);
        gen_into(&w, want);
        if (got) gen_into(&g, got);
        fprintf(stderr, "  want: %s\n  got:  %s\n", w.data ? w.data : "", g.data ? g.data : "(absent)");
        isync_buf_free(&w);
        isync_buf_free(&g);
    }
}

/* expect.planned: the dry run's recorded writes, as "METHOD path" lines. */
static void check_planned(const isync_json *want, const isync_json *planned)
{
    where("result.planned length");
    CHECK(len_of(planned) == len_of(want));
    for (long i = 0; i < len_of(want) && i < len_of(planned); i++) {
        const isync_json *w = planned->u.list.values[i];
        char line[256], subject[64];
        snprintf(line, sizeof(line), "%s %s", isync_json_get_str(w, "method") ? isync_json_get_str(w, "method") : "?",
                 isync_json_get_str(w, "path") ? isync_json_get_str(w, "path") : "?");
        snprintf(subject, sizeof(subject), "result.planned[%ld]", i);
        check_text(subject, want->u.list.values[i]->type == ISYNC_JSON_STRING ? want->u.list.values[i]->u.str.ptr : NULL, line);
    }
}

/* expect.result_has / result_lacks: substrings of the result text. */
static void check_substrings(const isync_json *list, const char *text, int present)
{
    for (long i = 0; i < len_of(list); i++) {
        const isync_json *s = list->u.list.values[i];
        if (!type_is(s, ISYNC_JSON_STRING)) continue;
        where("result %s %s", present ? "has" : "lacks", s->u.str.ptr);
        CHECK((strstr(text, s->u.str.ptr) != NULL) == present);
    }
}

static void check_error(const isync_json *want, const isync_error *e)
{
    if (!want) return;
    const char *kind = isync_json_get_str(want, "kind");
    if (kind) check_text("error.kind", kind, isync_err_kind_name(e->kind));
    double status;
    if (isync_json_number(isync_json_get(want, "http_status"), &status)) {
        where("error.http_status %ld, got %ld", (long)status, e->http_status);
        CHECK(e->http_status == (long)status);
    }
    if (isync_json_get_str(want, "code")) check_text("error.code", isync_json_get_str(want, "code"), e->code);
    if (isync_json_get_str(want, "request_id")) {
        check_text("error.request_id", isync_json_get_str(want, "request_id"), e->request_id);
    }
    if (isync_json_get_str(want, "resource_id")) {
        check_text("error.resource_id", isync_json_get_str(want, "resource_id"), e->resource_id);
    }
    const char *has = isync_json_get_str(want, "message_has");
    if (has) {
        where("error.message has \"%s\"", has);
        CHECK(strstr(e->message, has) != NULL);
        if (!strstr(e->message, has)) fprintf(stderr, "  message: %s\n", e->message);
    }
}

/* Everything under "expect", once the run is over. */
static void check_expectations(const isync_json *expect, const ran *r)
{
    const char *rc = isync_json_get_str(expect, "rc");
    check_text("rc", rc ? rc : "ok", RAN_NAMES[r->rc]);
    if (r->e.message[0] && !str_is(rc, RAN_NAMES[r->rc])) fprintf(stderr, "  error: %s\n", r->e.message);
    check_error(isync_json_get(expect, "error"), &r->e);
    const isync_json *put = isync_json_get(expect, "last_put");
    if (put) {
        isync_buf want;
        isync_buf_init(&want);
        gen_into(&want, put);
        check_text("last PUT body", want.data, r->last_put.data ? r->last_put.data : "");
        isync_buf_free(&want);
    }
    if (r->rc == RAN_REFUSED) return; /* no engine, no result */
    const char *text = r->result.data ? r->result.data : "";
    check_substrings(isync_json_get(expect, "result_has"), text, 1);
    check_substrings(isync_json_get(expect, "result_lacks"), text, 0);
    isync_error pe;
    isync_json *doc = isync_json_parse(text, strlen(text), &pe);
    where("result is JSON");
    REQUIRE(doc);
    check_members("result", isync_json_get(expect, "result"), doc);
    const isync_json *lengths = isync_json_get(expect, "lengths");
    for (long i = 0; i < len_of(lengths) && type_is(lengths, ISYNC_JSON_OBJECT); i++) {
        double n = -1;
        isync_json_number(lengths->u.list.values[i], &n);
        where("result.%s has %ld members", lengths->u.list.keys[i].ptr, (long)n);
        CHECK(len_of(isync_json_get(doc, lengths->u.list.keys[i].ptr)) == (long)n);
    }
    if (isync_json_get(expect, "planned")) check_planned(isync_json_get(expect, "planned"), isync_json_get(doc, "planned"));
    isync_json_free(doc);
}

/* One case: its snapshot as text, the run, the checks. */
static void run_case(const char *file, long index, const isync_json *c)
{
    const char *name = isync_json_get_str(c, "name");
    snprintf(case_label, sizeof(case_label), "%s #%ld (%s)", file, index, name ? name : "unnamed");
    ran r = {.rc = RAN_OK};
    isync_error_clear(&r.e);
    isync_buf_init(&r.result);
    isync_buf_init(&r.last_put);
    isync_buf snapshot;
    isync_buf_init(&snapshot);
    const isync_json *given = isync_json_get(c, "snapshot");
    if (type_is(given, ISYNC_JSON_STRING)) isync_buf_append(&snapshot, given->u.str.ptr, given->u.str.len);
    else gen_into(&snapshot, given);
    drive(c, snapshot.data ? snapshot.data : "", snapshot.len, &r);
    check_expectations(isync_json_get(c, "expect"), &r);
    isync_buf_free(&snapshot);
    isync_buf_free(&r.result);
    isync_buf_free(&r.last_put);
}

/* Every case of one fixture file; returns how many it holds. */
static long run_file(const char *path)
{
    snprintf(case_label, sizeof(case_label), "%s", path);
    where("readable JSON array");
    isync_buf text;
    isync_buf_init(&text);
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t got;
    while (f && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) isync_buf_append(&text, chunk, got);
    if (f) fclose(f);
    isync_error e;
    isync_json *cases = text.data ? isync_json_parse(text.data, text.len, &e) : NULL;
    isync_buf_free(&text);
    CHECK(type_is(cases, ISYNC_JSON_ARRAY));
    if (!type_is(cases, ISYNC_JSON_ARRAY)) fprintf(stderr, "  %s\n", cases || !f ? "not an array, or unreadable" : e.message);
    long n = type_is(cases, ISYNC_JSON_ARRAY) ? len_of(cases) : 0;
    for (long i = 0; i < n; i++) run_case(path, i, cases->u.list.values[i]);
    isync_json_free(cases);
    test_where_buf()[0] = '\0';
    return n;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void test_sync_cases(const char *dir)
{
    char *names[64];
    size_t count = 0;
    DIR *d = opendir(dir);
    const struct dirent *entry;
    while (d && (entry = readdir(d)) != NULL && count < sizeof(names) / sizeof(names[0])) {
        size_t len = strlen(entry->d_name);
        if (len > 5 && strcmp(entry->d_name + len - 5, ".json") == 0) {
            size_t size = strlen(dir) + len + 2;
            names[count] = malloc(size);
            if (names[count]) snprintf(names[count++], size, "%s/%s", dir, entry->d_name);
        }
    }
    if (d) closedir(d);
    qsort(names, count, sizeof(names[0]), by_name); /* the same order on every machine */
    long cases = 0;
    for (size_t i = 0; i < count; i++) {
        cases += run_file(names[i]);
        free(names[i]);
    }
    CHECK(cases > 0); /* an empty or missing directory must not pass as "all green" */
    if (cases == 0) fprintf(stderr, "  no cases under %s\n", dir);
}

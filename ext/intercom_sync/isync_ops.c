/*
 * The sync of one app user (and the teams they belong to and own) with Intercom 2.x, as a
 * state machine with no I/O: it asks for requests (isync_sync_next) and is fed their outcomes
 * (isync_sync_feed). This file holds the OPS[] table, one row per step, and the driver; the
 * steps' functions live in the file of their concern (see README.md beside this file).
 *
 * The order of work follows the minimal-call plan: attribute definitions (only when a custom
 * attribute is not known yet), find or create the contact, the contact's companies beyond the
 * ten embedded, company upserts (only for changed owned teams and member teams without an
 * id), attach/detach, one PUT with only the changed fields, then leads inside the new-user
 * window. Planning steps are queue entries too, so each decision is made once the reads it
 * depends on have answered. Each write is safe to repeat after a lost answer: the files of the
 * steps say why.
 */
#include "isync_engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_ignore(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    (void)s, (void)o, (void)e;
    isync_json_free(doc);
    return 0;
}

enum { READ = 0, WRITE = 1 };
enum { NO_BODY = 0, BODY = 1 };

/* step name, method (NULL: planning), dry run records it, body, build, success, failure */
const op_row OPS[OP_COUNT] = {
    [OP_LIST_ATTRS] = {"list data attributes", "GET", READ, NO_BODY, build_list_attrs, on_list_attrs, NULL},
    [OP_PLAN_ATTRS] = {"plan data attributes", NULL, READ, NO_BODY, plan_attributes, NULL, NULL},
    [OP_CREATE_ATTR] = {"create data attribute", "POST", WRITE, BODY, build_create_attr, on_create_attr,
                        create_attr_failed},
    [OP_FIND] = {"find contact", NULL, READ, NO_BODY, plan_find, NULL, NULL},
    [OP_GET_CONTACT] = {"retrieve contact", "GET", READ, NO_BODY, build_get_contact, on_get_contact,
                        get_contact_failed},
    [OP_FIND_EXTERNAL] = {"find contact by external id", "GET", READ, NO_BODY, build_find_external,
                          on_find_external, find_external_failed},
    [OP_CREATE_CONTACT] = {"create contact", "POST", WRITE, BODY, build_create_contact, on_create_contact,
                           create_contact_failed},
    /* only after a real 409, so never in a dry run */
    [OP_UNARCHIVE] = {"unarchive contact", "POST", READ, NO_BODY, build_unarchive, on_ignore, NULL},
    [OP_LIST_COMPANIES] = {"list contact companies", "GET", READ, NO_BODY, build_list_companies,
                           on_list_companies, NULL},
    [OP_PLAN_COMPANIES] = {"plan companies", NULL, READ, NO_BODY, plan_companies, NULL, NULL},
    [OP_UPSERT_OWNED] = {"upsert owned team company", "POST", WRITE, BODY, build_upsert_owned, on_upsert_owned,
                         NULL},
    [OP_UPSERT_MEMBER] = {"upsert member team company", "POST", WRITE, BODY, build_upsert_member,
                          on_upsert_member, NULL},
    [OP_PLAN_MEMBERSHIP] = {"plan memberships", NULL, READ, NO_BODY, plan_membership, NULL, NULL},
    [OP_ATTACH] = {"attach company", "POST", WRITE, BODY, build_attach, on_attach, attach_failed},
    [OP_DETACH] = {"detach company", "DELETE", WRITE, NO_BODY, build_detach, on_detach, detach_failed},
    [OP_PLAN_CONTACT] = {"plan contact update", NULL, READ, NO_BODY, plan_contact, NULL, NULL},
    [OP_UPDATE_CONTACT] = {"update contact", "PUT", WRITE, BODY, build_update_contact, on_update_contact, NULL},
    /* a read, made in dry runs too */
    [OP_SEARCH_LEADS] = {"search leads", "POST", READ, BODY, build_search_leads, on_search_leads, NULL},
    [OP_MERGE] = {"merge lead", "POST", WRITE, BODY, build_merge, on_merge, merge_failed},
};

/* ---------------------------------------------------------------------------------------- */
/* Shared helpers */

int fail_nomem(isync_error *e) { return isync_error_set(e, ISYNC_E_NOMEM, "out of memory in the sync engine"); }

int warn(isync_sync *s, isync_error *e, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    isync_text_vformat(text, sizeof(text), fmt, ap); /* quotes servers: cut between characters */
    va_end(ap);
    return strvec_add_unique(&s->warnings, text) ? fail_nomem(e) : 0;
}

int set_path(isync_sync *s, isync_error *e, const char *prefix, const char *segment, const char *suffix)
{
    /* "." and ".." (or what decodes to them) would be a dot segment to a normalising server:
     * /contacts/%2E%2E is /. Refused before any request, whoever gave us the id. */
    if (segment && isync_url_dot_segment(segment, strlen(segment))) {
        return isync_error_set(e, ISYNC_E_INPUT, "the id \"%s\" cannot be used in a request path (a dot segment)",
                               segment);
    }
    isync_buf_clear(&s->path);
    if (isync_buf_append_str(&s->path, prefix) ||
        (segment && isync_url_escape_segment(&s->path, segment, strlen(segment))) ||
        (suffix && isync_buf_append_str(&s->path, suffix))) {
        return fail_nomem(e);
    }
    return 0;
}

int take_body(isync_sync *s, isync_json_gen *g, isync_error *e)
{
    const char *text;
    size_t len;
    isync_json_gen_result(g, &text, &len);
    isync_buf_clear(&s->body);
    return isync_buf_append(&s->body, text, len) ? fail_nomem(e) : 0;
}

int gen_key_str(isync_json_gen *g, const char *key, const char *value)
{
    return isync_json_gen_cstr(g, key) || isync_json_gen_cstr(g, value);
}

int is_status(const isync_error *outcome, long status)
{
    return outcome->kind == ISYNC_E_HTTP && outcome->http_status == status;
}

const char *contact_path_id(const isync_sync *s) { return s->contact_id ? s->contact_id : "new-contact"; }

/* e->step = the current step, and e->message = "sync step "<step>" failed: " + the message,
 * cut between characters (it may quote a server, already redacted by the http layer). Once:
 * an error a handler already named keeps its step. */
void name_step(isync_sync *s, isync_error *e)
{
    if (e->step) return;
    const char *step = OPS[s->current.kind].step;
    char original[sizeof(e->message)];
    snprintf(original, sizeof(original), "%s", e->message);
    /* what the prefix leaves of the message, cut between characters */
    size_t prefix = strlen("sync step \"\" failed: ") + strlen(step);
    size_t room = prefix < sizeof(e->message) ? sizeof(e->message) - 1 - prefix : 0;
    int kept = (int)isync_utf8_prefix(original, strlen(original), room);
    isync_text_format(e->message, sizeof(e->message), "sync step \"%s\" failed: %.*s", step, kept, original);
    e->step = step;
}

int fatal(isync_sync *s, const isync_error *outcome, isync_error *e)
{
    *e = *outcome;
    name_step(s, e);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* The queue */

static void op_clear(op *o)
{
    free((char *)o->arg); /* the queue's own copies */
    free((char *)o->arg2);
    memset(o, 0, sizeof(*o));
}

int queue(isync_sync *s, queue_end end, op o, isync_error *e)
{
    if (s->nops == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        op *ops = realloc(s->ops, cap * sizeof(*ops));
        if (!ops) return fail_nomem(e);
        s->ops = ops;
        s->cap = cap;
    }
    const char *arg = o.arg, *arg2 = o.arg2;
    o.arg = dup_str(arg);
    o.arg2 = dup_str(arg2);
    if ((arg && !o.arg) || (arg2 && !o.arg2)) {
        op_clear(&o);
        return fail_nomem(e);
    }
    if (end == QUEUE_FRONT) {
        memmove(s->ops + 1, s->ops, s->nops * sizeof(*s->ops));
        s->ops[0] = o;
    } else {
        s->ops[s->nops] = o;
    }
    s->nops++;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Construction */

isync_sync *isync_sync_new(const char *snapshot_json, size_t len, int dry_run, isync_error *e)
{
    isync_sync *s = calloc(1, sizeof(*s));
    if (!s) {
        fail_nomem(e);
        return NULL;
    }
    isync_buf_init(&s->path);
    isync_buf_init(&s->body);
    s->dry_run = dry_run;
    if (snapshot_parse(&s->snap, snapshot_json, len, e)) goto fail;

    size_t n_member = s->snap.n_member, n_owned = s->snap.n_owned;
    s->member_ids = calloc(n_member + 1, sizeof(char *));
    s->member_learned = calloc(n_member + 1, sizeof(int));
    s->owned_ids = calloc(n_owned + 1, sizeof(char *));
    s->owned_digests = calloc(n_owned + 1, sizeof(char *));
    s->owned_learned = calloc(n_owned + 1, sizeof(int));
    if (!s->member_ids || !s->member_learned || !s->owned_ids || !s->owned_digests || !s->owned_learned) {
        fail_nomem(e);
        goto fail;
    }
    if (attrs_load_known(s, e)) goto fail;
    for (int model = 0; model < MODEL_COUNT; model++) {
        int need;
        if (attrs_need_list(s, model, &need, e)) goto fail;
        if (need && queue(s, QUEUE_BACK, (op){.kind = OP_LIST_ATTRS, .model = model}, e)) goto fail;
    }
    if (queue(s, QUEUE_BACK, (op){.kind = OP_PLAN_ATTRS}, e) ||
        queue(s, QUEUE_BACK, (op){.kind = OP_FIND}, e)) {
        goto fail;
    }
    return s;
fail:
    isync_sync_free(s);
    return NULL;
}

void isync_sync_free(isync_sync *s)
{
    if (!s) return;
    isync_json_free(s->contact);
    for (int m = 0; m < MODEL_COUNT; m++) {
        attr_set_free(&s->attrs[m]);
        strvec_free(&s->skipped[m]);
    }
    for (size_t i = 0; i < s->nops; i++) op_clear(&s->ops[i]);
    free(s->ops);
    op_clear(&s->current);
    isync_buf_free(&s->path);
    isync_buf_free(&s->body);
    isync_json_free(s->planned);
    isync_json_free(s->result);
    free(s->contact_id);
    strvec *vecs[] = {&s->attached, &s->pushed, &s->pulled, &s->upserted, &s->attached_now,
                      &s->detached_now, &s->merged, &s->warnings, &s->pending_fields, &s->leads};
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) strvec_free(vecs[i]);
    for (size_t j = 0; s->member_ids && j < s->snap.n_member; j++) free(s->member_ids[j]);
    for (size_t i = 0; s->owned_ids && s->owned_digests && i < s->snap.n_owned; i++) {
        free(s->owned_ids[i]);
        free(s->owned_digests[i]);
    }
    free(s->member_ids);
    free(s->member_learned);
    free(s->owned_ids);
    free(s->owned_digests);
    free(s->owned_learned);
    free(s->pull_name);
    free(s->pull_phone);
    snapshot_free(&s->snap);
    free(s);
}

void isync_sync_count_retries(isync_sync *s, unsigned long retries) { s->retries = retries; }

/* ---------------------------------------------------------------------------------------- */
/* The driver */

static step_result prepare(isync_sync *s, isync_sync_request *req, isync_error *e)
{
    const op_row *row = &OPS[s->current.kind];
    if (row->build(s, &s->current, e)) return STEP_FAILED;
    if (!row->method) return STEP_PLANNED;
    req->method = row->method;
    req->path = s->path.data;
    req->body = row->has_body ? s->body.data : NULL;
    req->body_len = row->has_body ? s->body.len : 0;
    if (row->is_write && s->dry_run) return result_add_planned(s, row, e) ? STEP_FAILED : STEP_RECORDED;
    return STEP_REQUEST;
}

int isync_sync_next(isync_sync *s, isync_sync_request *req, isync_error *e)
{
    for (;;) {
        if (s->has_current) return isync_error_set(e, ISYNC_E_INPUT, "the last request was not fed back");
        if (s->nops == 0) return 0;
        s->current = s->ops[0];
        memmove(s->ops, s->ops + 1, (s->nops - 1) * sizeof(*s->ops));
        s->nops--;
        s->has_current = 1;
        memset(req, 0, sizeof(*req));
        req->step = OPS[s->current.kind].step;
        step_result r = prepare(s, req, e);
        if (r == STEP_REQUEST) {
            s->requests++;
            return 1;
        }
        /* a planning step, or a write recorded by a dry run: no request to make */
        s->has_current = 0;
        if (r == STEP_RECORDED && OPS[s->current.kind].on_success(s, &s->current, NULL, e)) r = STEP_FAILED;
        op_clear(&s->current);
        if (r == STEP_FAILED) return -1;
    }
}

int isync_sync_feed(isync_sync *s, isync_json *doc, const isync_error *outcome, isync_error *e)
{
    if (!s->has_current) {
        isync_json_free(doc);
        return isync_error_set(e, ISYNC_E_INPUT, "no request is waiting for an answer");
    }
    if (!doc && !outcome) return isync_error_set(e, ISYNC_E_INPUT, "an answer needs a document or an error");
    s->has_current = 0;
    const op_row *row = &OPS[s->current.kind];
    int rc;
    if (doc) {
        /* the success handler takes doc over; its errors (a server's answer we cannot use)
         * name the step, HTTP ones already say what failed */
        rc = row->on_success(s, &s->current, doc, e);
        if (rc && e->kind != ISYNC_E_HTTP) name_step(s, e);
    } else {
        recovery r = row->on_failure ? row->on_failure(s, &s->current, outcome, e) : NOT_RECOVERED;
        rc = r == RECOVERED ? 0 : r == RECOVERY_FAILED ? -1 : fatal(s, outcome, e);
    }
    op_clear(&s->current);
    return rc;
}

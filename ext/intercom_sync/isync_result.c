/*
 * The result of a sync, as an isync_json document the binding turns straight into a Hash (and
 * the C tests and fuzzers read as JSON text): what was pushed, pulled, upserted, attached,
 * detached and merged; the local updates of the user and its teams (only what changed); the
 * attribute definitions seen on the server (for the process-wide cache); and, in a dry run, the
 * writes that were planned instead of sent, with the contact as it was read (null when none was
 * found), so a plan can be shown as a diff of our values against Intercom's. A real sync leaves
 * the contact out: a bulk run would copy every user's contact for nothing.
 *
 * The document is built by hand (calloc'd nodes, which isync_json_free frees one by one); its
 * strings are checked as UTF-8 here, as the generator used to check them, so a result that
 * cannot be written is refused in one place.
 */
#include "isync_engine.h"

#include <stdlib.h>
#include <string.h>

static isync_json *node(isync_json_type type)
{
    isync_json *v = calloc(1, sizeof(*v));
    if (v) v->type = type;
    return v;
}

static isync_json *string_node(const char *s)
{
    size_t len = strlen(s);
    if (!isync_utf8_valid(s, len)) return NULL;
    isync_json *v = node(ISYNC_JSON_STRING);
    if (v && !(v->u.str.ptr = dup_str(s))) {
        free(v);
        return NULL;
    }
    if (v) v->u.str.len = len;
    return v;
}

static isync_json *bool_node(int value) { return node(value ? ISYNC_JSON_TRUE : ISYNC_JSON_FALSE); }

static isync_json *integer_node(long long value)
{
    isync_json *v = node(ISYNC_JSON_INTEGER);
    if (v) v->u.integer = value;
    return v;
}

static isync_json *opt_string_node(const char *s) { return s ? string_node(s) : node(ISYNC_JSON_NULL); }

/* The room for a list of n items: the next power of two (the node keeps no capacity, so it is
 * implied by the length; an attribute list of 80,000 grows 17 times, not 80,000). */
static size_t room_for(size_t n)
{
    size_t cap = 4;
    while (cap < n) cap *= 2;
    return cap;
}

/* Makes room in list for item n (values and, for an object, keys); 0, or -1 leaving the list
 * to be freed (every caller frees the document on failure). */
static int grow_list(isync_json *list, size_t n)
{
    if (list->u.list.values && room_for(n + 1) == room_for(n)) return 0;
    const size_t value_size = sizeof(isync_json *); /* the list holds pointers to nodes */
    isync_json **values = realloc(list->u.list.values, room_for(n + 1) * value_size);
    if (!values) return -1;
    list->u.list.values = values;
    if (list->type != ISYNC_JSON_OBJECT) return 0;
    isync_json_str *keys = realloc(list->u.list.keys, room_for(n + 1) * sizeof(isync_json_str));
    if (!keys) return -1;
    list->u.list.keys = keys;
    return 0;
}

/* Appends child (taken over, freed on failure; NULL is a failure) to an array or, under key,
 * to an object. */
static int add(isync_json *parent, const char *key, isync_json *child)
{
    size_t n = parent->u.list.len;
    char *k = NULL;
    if (!child || grow_list(parent, n) || (key && (!isync_utf8_valid(key, strlen(key)) || !(k = dup_str(key))))) {
        isync_json_free(child);
        return -1;
    }
    if (k) {
        parent->u.list.keys[n].ptr = k;
        parent->u.list.keys[n].len = strlen(k);
    }
    parent->u.list.values[n] = child;
    parent->u.list.len = n + 1;
    return 0;
}

static isync_json *strvec_node(const strvec *v)
{
    isync_json *a = node(ISYNC_JSON_ARRAY);
    for (size_t i = 0; a && i < v->len; i++) {
        if (add(a, NULL, string_node(v->items[i]))) {
            isync_json_free(a);
            return NULL;
        }
    }
    return a;
}

static int add_summary(isync_sync *s, isync_json *r)
{
    const isync_json *location = isync_json_get(s->contact, "location");
    const char *timezone = nonempty_str(isync_json_get(location, "timezone"));
    return add(r, "contact_id", opt_string_node(s->contact_id)) || add(r, "created", bool_node(s->created)) ||
           add(r, "dry_run", bool_node(s->dry_run)) ||
           add(r, "requests", integer_node(s->requests + (long long)s->retries)) ||
           add(r, "retries", integer_node((long long)s->retries)) ||
           add(r, "fields_pushed", strvec_node(&s->pushed)) || add(r, "fields_pulled", strvec_node(&s->pulled)) ||
           add(r, "companies_upserted", strvec_node(&s->upserted)) ||
           add(r, "companies_attached", strvec_node(&s->attached_now)) ||
           add(r, "companies_detached", strvec_node(&s->detached_now)) ||
           add(r, "leads_merged", strvec_node(&s->merged)) || add(r, "warnings", strvec_node(&s->warnings)) ||
           add(r, "remote_timezone", opt_string_node(timezone));
}

/* Local updates of the user: only what changed. */
static isync_json *user_node(isync_sync *s)
{
    const char *stored = s->snap.intercom_id;
    isync_json *u = node(ISYNC_JSON_OBJECT);
    int rc = !u;
    if (!rc && s->contact_id && !s->dry_run && (!stored || strcmp(stored, s->contact_id) != 0)) {
        rc = add(u, "intercom_user_id", string_node(s->contact_id));
    }
    if (!rc && s->pull_name) rc = add(u, "name", string_node(s->pull_name));
    if (!rc && s->pull_phone) rc = add(u, "phone", string_node(s->pull_phone));
    if (!rc && s->has_last_request) rc = add(u, "last_request_at", integer_node(s->last_request_at));
    if (rc) isync_json_free(u);
    return rc ? NULL : u;
}

static isync_json *team_node(const char *id, int owned, const char *company_id, const char *digest)
{
    isync_json *t = node(ISYNC_JSON_OBJECT);
    if (t && (add(t, "id", string_node(id)) || add(t, "owned", bool_node(owned)) ||
              add(t, "intercom_company_id", opt_string_node(company_id)) ||
              (owned && add(t, "intercom_company_digest", opt_string_node(digest))))) {
        isync_json_free(t);
        return NULL;
    }
    return t;
}

/* Local updates of teams: ids learned and digests of what was pushed (none in a dry run). */
static isync_json *teams_node(isync_sync *s)
{
    isync_json *a = node(ISYNC_JSON_ARRAY);
    int rc = !a;
    for (size_t i = 0; !rc && !s->dry_run && i < s->snap.n_owned; i++) {
        if (s->owned_learned[i]) rc = add(a, NULL, team_node(s->snap.owned[i].id, 1, s->owned_ids[i], s->owned_digests[i]));
    }
    for (size_t j = 0; !rc && !s->dry_run && j < s->snap.n_member; j++) {
        if (s->member_learned[j]) rc = add(a, NULL, team_node(s->snap.members[j].id, 0, s->member_ids[j], NULL));
    }
    if (rc) isync_json_free(a);
    return rc ? NULL : a;
}

/* Attribute definitions seen on the server, for the process-wide cache. */
static isync_json *attributes_node(isync_sync *s)
{
    isync_json *a = node(ISYNC_JSON_OBJECT);
    int rc = !a;
    for (int m = 0; !rc && m < MODEL_COUNT; m++) {
        isync_json *defs = node(ISYNC_JSON_OBJECT);
        for (size_t i = 0; defs && !rc && i < s->attrs[m].len; i++) {
            if (s->attrs[m].items[i].from_server) rc = add(defs, s->attrs[m].items[i].name, string_node(s->attrs[m].items[i].type));
        }
        if (rc) isync_json_free(defs);
        rc = rc || add(a, isync_model_names[m], defs);
    }
    if (rc) isync_json_free(a);
    return rc ? NULL : a;
}

/* Records a write a dry run planned instead of sending it: {method, path, step[, body]}. */
int result_add_planned(isync_sync *s, const op_row *row, isync_error *e)
{
    isync_json *body = NULL;
    isync_error pe;
    /* the body is our own generator's text: it parses, unless memory runs out */
    if (row->has_body && !(body = isync_json_parse(s->body.data, s->body.len, &pe))) return fail_nomem(e);
    isync_json *w = node(ISYNC_JSON_OBJECT);
    if (!s->planned) s->planned = node(ISYNC_JSON_ARRAY);
    if (!w || !s->planned || add(w, "method", string_node(row->method)) || add(w, "path", string_node(s->path.data)) ||
        add(w, "step", string_node(row->step))) {
        isync_json_free(body);
        isync_json_free(w);
        return fail_nomem(e);
    }
    if (body && add(w, "body", body)) { /* (add frees what it was given) */
        isync_json_free(w);
        return fail_nomem(e);
    }
    return add(s->planned, NULL, w) ? fail_nomem(e) : 0;
}

const isync_json *isync_sync_result_doc(isync_sync *s)
{
    isync_json_free(s->result);
    isync_json *r = s->result = node(ISYNC_JSON_OBJECT);
    if (!r) return NULL;
    isync_json *planned = s->planned ? isync_json_clone(s->planned) : node(ISYNC_JSON_ARRAY);
    int rc = add_summary(s, r) || add(r, "user", user_node(s)) || add(r, "teams", teams_node(s)) ||
             add(r, "attributes", attributes_node(s)) ||
             (s->dry_run && add(r, "contact", s->contact ? isync_json_clone(s->contact) : node(ISYNC_JSON_NULL)));
    if (rc) {
        isync_json_free(planned);
    } else {
        rc = add(r, "planned", planned);
    }
    if (rc) {
        isync_json_free(r);
        s->result = NULL;
    }
    return s->result;
}

int isync_sync_result(isync_sync *s, isync_buf *out)
{
    const isync_json *doc = isync_sync_result_doc(s);
    isync_json_gen *g = doc ? isync_json_gen_new() : NULL;
    if (!g) return -1;
    const char *text;
    size_t len;
    int rc = isync_json_gen_value(g, doc);
    if (!rc) {
        isync_json_gen_result(g, &text, &len);
        rc = isync_buf_append(out, text, len);
    }
    isync_json_gen_free(g);
    return rc ? -1 : 0;
}

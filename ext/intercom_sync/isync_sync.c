/*
 * The sync of one app user (and the teams they belong to and own) with Intercom 2.x, as a
 * state machine with no I/O: it asks for requests and is fed their outcomes.
 *
 * Snapshot (JSON, built by the Ruby layer from the app's user):
 *   {"external_id": "42", "intercom_id": "5f..."|null, "email", "name", "phone": str|null,
 *    "signed_up_at": int|null, "last_seen_at": int|null, "from_oauth": bool, "now": int,
 *    "custom_attributes": {...},
 *    "teams": [{"id": "7", "intercom_company_id": str|null}],
 *    "owned_teams": [{"id": "7", "intercom_company_id": str|null, "digest": str|null,
 *                     "company": {"name", "remote_created_at", "monthly_spend", "custom_attributes"}}],
 *    "known_attributes": {"contact": {"name": "type"}, "company": {...}} (optional cache),
 *    "contact": {...}|null (optional: the user's contact from a bulk GET /contacts page),
 *    "known_absent": bool (optional: a full read of the contacts just now did not have the user),
 *    "options": {"unknown_attributes": "create"|"skip"|"raise", "lead_window": 86400,
 *                "max_pages": 50}}
 *
 * The order of work follows the minimal-call plan: attribute definitions (only when a custom
 * attribute is not known yet), find or create the contact, the contact's companies beyond the
 * ten embedded, company upserts (only for changed owned teams and member teams without an
 * id), attach/detach, one PUT with only the changed fields, then leads inside the new-user
 * window. Planning steps are queue entries too, so each decision is made once the reads it
 * depends on have answered.
 *
 * Why each write is safe to repeat (a retry after a lost answer must not duplicate):
 *   create contact: strict create; a repeat answers 409 naming the existing contact, which we
 *                   adopt (unarchiving it if needed) instead of creating another;
 *   upsert company: keyed by company_id, a repeat writes the same values;
 *   attach:         attaching an attached company changes nothing;
 *   detach:         a repeat answers 404 (or 200), both mean "not attached";
 *   update contact: a PUT of absolute values;
 *   merge:          a repeat finds the lead gone (404/410) and is skipped;
 *   create attribute: a repeat answers "already have", which means it exists.
 */
#include "isync_core.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MODEL_CONTACT = 0, MODEL_COMPANY = 1 };
static const char *const model_names[] = {"contact", "company"};

/* ---------------------------------------------------------------------------------------- */
/* Small containers */

/* An ordered list of strings with a hash index: lookups are O(1) whatever a server lists. */
typedef struct strvec {
    char **items;
    size_t len, cap;
    isync_set index;  /* item -> position; keys point into items */
} strvec;

static char *dup_str(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static int strvec_push(strvec *v, const char *s)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        char **items = realloc(v->items, cap * sizeof(*items));
        if (!items) return -1;
        v->items = items;
        v->cap = cap;
    }
    char *copy = dup_str(s);
    if (!copy) return -1;
    size_t len = strlen(copy);
    if (!isync_set_get(&v->index, copy, len, NULL) && isync_set_put(&v->index, copy, len, v->len)) {
        free(copy);
        return -1;
    }
    v->items[v->len++] = copy;
    return 0;
}

static int strvec_has(const strvec *v, const char *s)
{
    return isync_set_get(&v->index, s, strlen(s), NULL);
}

static int strvec_add_unique(strvec *v, const char *s)
{
    return strvec_has(v, s) ? 0 : strvec_push(v, s);
}

static void strvec_free(strvec *v)
{
    for (size_t i = 0; i < v->len; i++) free(v->items[i]);
    free(v->items);
    isync_set_free(&v->index);
    memset(v, 0, sizeof(*v));
}

typedef struct attr_def {
    char *name;
    char *type;       /* "string", "integer", ...; "standard" for Intercom's own fields */
    int from_server;  /* listed or created by Intercom (not only planned in a dry run) */
} attr_def;

#define STANDARD_TYPE "standard"

typedef struct attr_set {
    attr_def *items;
    size_t len, cap;
    isync_set index;  /* name -> position in items */
    int fresh;        /* listed from Intercom during this sync */
} attr_set;

static attr_def *attr_find(attr_set *set, const char *name)
{
    size_t i;
    return isync_set_get(&set->index, name, strlen(name), &i) ? &set->items[i] : NULL;
}

static int attr_put(attr_set *set, const char *name, const char *type, int from_server)
{
    attr_def *d = attr_find(set, name);
    if (d) {
        char *t = dup_str(type);
        if (!t) return -1;
        free(d->type);
        d->type = t;
        d->from_server |= from_server;
        return 0;
    }
    if (set->len == set->cap || !set->items) { /* (items is NULL only while cap is 0) */
        size_t cap = set->cap ? set->cap * 2 : 16;
        attr_def *items = realloc(set->items, cap * sizeof(*items));
        if (!items) return -1;
        set->items = items;
        set->cap = cap;
    }
    attr_def *n = &set->items[set->len];
    n->name = dup_str(name);
    n->type = dup_str(type);
    n->from_server = from_server;
    if (!n->name || !n->type || isync_set_put(&set->index, n->name, strlen(n->name), set->len)) {
        free(n->name);
        free(n->type);
        return -1;
    }
    set->len++;
    return 0;
}

static void attr_set_free(attr_set *set)
{
    for (size_t i = 0; i < set->len; i++) {
        free(set->items[i].name);
        free(set->items[i].type);
    }
    free(set->items);
    isync_set_free(&set->index);
    memset(set, 0, sizeof(*set));
}

/* ---------------------------------------------------------------------------------------- */
/* The work queue */

typedef enum op_kind {
    OP_LIST_ATTRS,
    OP_PLAN_ATTRS,
    OP_CREATE_ATTR,
    OP_FIND,
    OP_GET_CONTACT,
    OP_FIND_EXTERNAL,
    OP_CREATE_CONTACT,
    OP_UNARCHIVE,
    OP_LIST_COMPANIES,
    OP_PLAN_COMPANIES,
    OP_UPSERT_OWNED,
    OP_UPSERT_MEMBER,
    OP_PLAN_MEMBERSHIP,
    OP_ATTACH,
    OP_DETACH,
    OP_PLAN_CONTACT,
    OP_UPDATE_CONTACT,
    OP_SEARCH_LEADS,
    OP_MERGE
} op_kind;

static const char *const op_steps[] = {
    "list data attributes", "plan data attributes", "create data attribute", "find contact",
    "retrieve contact", "find contact by external id", "create contact", "unarchive contact",
    "list contact companies", "plan companies", "upsert owned team company",
    "upsert member team company", "plan memberships", "attach company", "detach company",
    "plan contact update", "update contact", "search leads", "merge lead"};

typedef struct op {
    op_kind kind;
    int model;      /* OP_*_ATTRS */
    long index;     /* team index, page number */
    int attempt;    /* retries of a recovering step */
    char *arg;      /* an id, attribute name or cursor */
    char *arg2;     /* attribute type */
} op;

struct isync_sync {
    isync_json *snap;
    int dry_run;
    char policy[16];
    long long lead_window;
    long max_pages;

    attr_set attrs[2];
    strvec skipped[2];          /* custom attributes left out (unknown with policy "skip") */

    op *ops;
    size_t nops, cap;
    op current;
    int has_current;

    isync_buf path, body;

    isync_json *contact;        /* the contact as Intercom last returned it */
    char *contact_id;
    int created;
    int hops;                   /* merged-contact redirects followed */
    strvec attached;            /* Intercom ids of attached companies */

    size_t n_member, n_owned;
    isync_set owned_by_id;      /* owned team id -> index (keys point into the snapshot) */
    char **member_ids;          /* Intercom company id per member team, NULL when unknown */
    char **owned_ids;           /* per owned team */
    char **owned_digests;       /* digest of what was pushed, per owned team */
    int *owned_learned;         /* owned team ids or digests changed: report for local save */
    int *member_learned;

    strvec pushed, pulled, upserted, attached_now, detached_now, merged, warnings;
    strvec pending_fields;      /* fields of the PUT in flight */
    strvec leads;               /* leads found, to merge */
    isync_buf planned;          /* dry run: comma-separated JSON objects */
    char *pull_name, *pull_phone;
    int has_last_request;
    long long last_request_at;
    long requests;
};

static int fail_nomem(isync_error *e)
{
    return isync_error_set(e, ISYNC_E_NOMEM, "out of memory in the sync engine");
}

static void op_clear(op *o)
{
    free(o->arg);
    free(o->arg2);
    memset(o, 0, sizeof(*o));
}

/* Queues an op at the back, or at the front for follow-ups that must run next. */
static int queue(isync_sync *s, int front, op_kind kind, int model, long index, int attempt,
                 const char *arg, const char *arg2)
{
    if (s->nops == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        op *ops = realloc(s->ops, cap * sizeof(*ops));
        if (!ops) return -1;
        s->ops = ops;
        s->cap = cap;
    }
    op o = {kind, model, index, attempt, dup_str(arg), dup_str(arg2)};
    if ((arg && !o.arg) || (arg2 && !o.arg2)) {
        op_clear(&o);
        return -1;
    }
    if (front) {
        memmove(s->ops + 1, s->ops, s->nops * sizeof(*s->ops));
        s->ops[0] = o;
    } else {
        s->ops[s->nops] = o;
    }
    s->nops++;
    return 0;
}

#define Q(front, kind, model, index, attempt, arg, arg2)                                     \
    do {                                                                                   \
        if (queue(s, front, kind, model, index, attempt, arg, arg2)) return fail_nomem(e); \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* Snapshot access */

static const isync_json *snap(const isync_sync *s, const char *key) { return isync_json_get(s->snap, key); }

static const char *nonempty_str(const isync_json *v)
{
    return (v && v->type == ISYNC_JSON_STRING && v->u.str.len > 0) ? v->u.str.ptr : NULL;
}

/* A string with a NUL inside (JSON allows \u0000) would be cut short as a C string. */
static int has_nul(const isync_json *v)
{
    return v && v->type == ISYNC_JSON_STRING && strlen(v->u.str.ptr) != v->u.str.len;
}

/* An id a server gave us that we may put in a request: a non-empty string, whole as a C string
 * (an id "c\u0000../x" must never become "c"), and not a dot segment once decoded. */
static const char *usable_id(const isync_json *v)
{
    const char *id = nonempty_str(v);
    if (!id || has_nul(v) || isync_url_dot_segment(id, v->u.str.len)) return NULL;
    return id;
}

/* Why usable_id refused v, for messages. */
static const char *unusable_why(const isync_json *v)
{
    if (!nonempty_str(v)) return "no id";
    return has_nul(v) ? "an id with a NUL byte" : "an id that is a dot segment";
}

static int get_int(const isync_json *v, long long *out)
{
    if (!v) return 0;
    if (v->type == ISYNC_JSON_INTEGER) {
        *out = v->u.integer;
        return 1;
    }
    if (v->type == ISYNC_JSON_DOUBLE && isfinite(v->u.dbl) && fabs(v->u.dbl) < 9e15) {
        *out = (long long)v->u.dbl;
        return 1;
    }
    return 0;
}

static const isync_json *array_at(const isync_json *a, size_t i)
{
    return (a && a->type == ISYNC_JSON_ARRAY && i < a->u.list.len) ? a->u.list.values[i] : NULL;
}

static size_t array_len(const isync_json *a)
{
    return (a && a->type == ISYNC_JSON_ARRAY) ? a->u.list.len : 0;
}

static const isync_json *member_team(const isync_sync *s, size_t i) { return array_at(snap(s, "teams"), i); }
static const isync_json *owned_team(const isync_sync *s, size_t i) { return array_at(snap(s, "owned_teams"), i); }

/* A snapshot without "teams" comes from a model that cannot tell the user's teams: its
 * membership is left alone (never read as "no teams", which would detach every company). */
static int knows_membership(const isync_sync *s)
{
    const isync_json *teams = snap(s, "teams");
    return teams && teams->type != ISYNC_JSON_NULL;
}

static const char *team_id(const isync_json *team) { return nonempty_str(isync_json_get(team, "id")); }

static const isync_json *custom_of(const isync_sync *s, int model, size_t owned_index)
{
    if (model == MODEL_CONTACT) return snap(s, "custom_attributes");
    return isync_json_get(isync_json_get(owned_team(s, owned_index), "company"), "custom_attributes");
}

static int warn(isync_sync *s, isync_error *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int warn(isync_sync *s, isync_error *e, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    isync_text_vformat(text, sizeof(text), fmt, ap); /* quotes servers: cut between characters */
    va_end(ap);
    return strvec_add_unique(&s->warnings, text) ? fail_nomem(e) : 0;
}

/* Checks the snapshot's shape once, so the rest can rely on it. */
static int validate_snapshot(isync_sync *s, isync_error *e)
{
    if (!s->snap || s->snap->type != ISYNC_JSON_OBJECT) {
        return isync_error_set(e, ISYNC_E_INPUT, "snapshot must be a JSON object");
    }
    const char *ext = nonempty_str(snap(s, "external_id"));
    if (!ext) return isync_error_set(e, ISYNC_E_INPUT, "the user has no id to use as external_id");
    long long n;
    if (!get_int(snap(s, "now"), &n)) return isync_error_set(e, ISYNC_E_INPUT, "snapshot lacks \"now\"");
    const char *keys[] = {"email", "name", "phone", "intercom_id", "external_id"};
    for (size_t i = 0; i < 5; i++) {
        const isync_json *v = snap(s, keys[i]);
        if (v && v->type != ISYNC_JSON_STRING && v->type != ISYNC_JSON_NULL) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s must be a string or null", keys[i]);
        }
        if (has_nul(v)) return isync_error_set(e, ISYNC_E_INPUT, "%s contains a NUL byte", keys[i]);
        /* the two that go into paths: refused before any request, even the attribute lists */
        if (i >= 3 && v && v->type == ISYNC_JSON_STRING && isync_url_dot_segment(v->u.str.ptr, v->u.str.len)) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s \"%s\" cannot be used in a request path (a dot segment)",
                                   keys[i], v->u.str.ptr);
        }
    }
    const isync_json *contact = snap(s, "contact");
    if (contact && contact->type != ISYNC_JSON_OBJECT && contact->type != ISYNC_JSON_NULL) {
        return isync_error_set(e, ISYNC_E_INPUT, "contact must be an object or null");
    }
    const isync_json *custom = snap(s, "custom_attributes");
    if (custom && custom->type != ISYNC_JSON_OBJECT && custom->type != ISYNC_JSON_NULL) {
        return isync_error_set(e, ISYNC_E_INPUT, "custom_attributes must be an object");
    }
    const char *lists[] = {"teams", "owned_teams"};
    for (size_t l = 0; l < 2; l++) {
        const isync_json *a = snap(s, lists[l]);
        if (a && a->type != ISYNC_JSON_ARRAY && a->type != ISYNC_JSON_NULL) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s must be an array", lists[l]);
        }
        for (size_t i = 0; i < array_len(a); i++) {
            const isync_json *team = array_at(a, i);
            if (!team_id(team)) return isync_error_set(e, ISYNC_E_INPUT, "%s[%zu] has no id", lists[l], i);
            if (has_nul(isync_json_get(team, "id")) || has_nul(isync_json_get(team, "intercom_company_id"))) {
                return isync_error_set(e, ISYNC_E_INPUT, "%s[%zu] has an id with a NUL byte", lists[l], i);
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Custom attribute values: inference and coercion to Intercom's types */

static const char *infer_type(const isync_json *v)
{
    switch (v->type) {
    case ISYNC_JSON_INTEGER:
    case ISYNC_JSON_BIGNUM: return "integer";
    case ISYNC_JSON_DOUBLE: return "float";
    case ISYNC_JSON_TRUE:
    case ISYNC_JSON_FALSE: return "boolean";
    case ISYNC_JSON_NULL: return NULL; /* nothing to infer from */
    default: return "string";          /* strings; arrays and objects travel as JSON text */
    }
}

static isync_json *new_string(const char *text, size_t len)
{
    isync_json *v = calloc(1, sizeof(*v));
    if (!v) return NULL;
    v->type = ISYNC_JSON_STRING;
    v->u.str.ptr = malloc(len + 1);
    if (!v->u.str.ptr) {
        free(v);
        return NULL;
    }
    memcpy(v->u.str.ptr, text, len);
    v->u.str.ptr[len] = '\0';
    v->u.str.len = len;
    return v;
}

static isync_json *new_integer(long long n)
{
    isync_json *v = calloc(1, sizeof(*v));
    if (v) {
        v->type = ISYNC_JSON_INTEGER;
        v->u.integer = n;
    }
    return v;
}

/* The JSON text of v as a string value (arrays, objects, numbers, booleans as text). */
static isync_json *as_text(const isync_json *v)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return NULL;
    isync_json *out = NULL;
    if (isync_json_gen_value(g, v) == 0) {
        const char *text;
        size_t len;
        isync_json_gen_result(g, &text, &len);
        out = new_string(text, len);
    }
    isync_json_gen_free(g);
    return out;
}

typedef enum { COERCE_AS_IS, COERCE_NEW, COERCE_DROP, COERCE_NOMEM } coerce_result;

/* Fits v to the attribute's type: strings take any scalar as text, integers and dates take
 * whole numbers (floats are truncated), floats take numbers, booleans only booleans. */
static coerce_result coerce(const char *type, const isync_json *v, isync_json **out)
{
    *out = NULL;
    if (v->type == ISYNC_JSON_NULL) return COERCE_AS_IS;
    if (strcmp(type, "string") == 0 || strcmp(type, "options") == 0) {
        if (v->type == ISYNC_JSON_STRING) return COERCE_AS_IS;
        return (*out = as_text(v)) ? COERCE_NEW : COERCE_NOMEM;
    }
    if (strcmp(type, "integer") == 0 || strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0) {
        if (v->type == ISYNC_JSON_INTEGER || v->type == ISYNC_JSON_BIGNUM) return COERCE_AS_IS;
        long long n;
        if (v->type == ISYNC_JSON_DOUBLE && get_int(v, &n)) {
            return (*out = new_integer(n)) ? COERCE_NEW : COERCE_NOMEM;
        }
        return COERCE_DROP;
    }
    if (strcmp(type, "float") == 0) {
        double d;
        return isync_json_number(v, &d) ? COERCE_AS_IS : COERCE_DROP;
    }
    if (strcmp(type, "boolean") == 0) {
        return (v->type == ISYNC_JSON_TRUE || v->type == ISYNC_JSON_FALSE) ? COERCE_AS_IS : COERCE_DROP;
    }
    return COERCE_AS_IS; /* a type we do not know: let Intercom judge */
}

/* Writes the custom attributes of one record as a JSON object into g, coerced to Intercom's
 * types. With compare_to (the record's current custom attributes), only changed values are
 * written, and *changed counts them. */
static int gen_custom(isync_sync *s, isync_json_gen *g, int model, const isync_json *values,
                      const isync_json *compare_to, size_t *changed, isync_error *e)
{
    if (isync_json_gen_map_open(g)) goto gen_error;
    for (size_t i = 0; values && values->type == ISYNC_JSON_OBJECT && i < values->u.list.len; i++) {
        const char *name = values->u.list.keys[i].ptr;
        const isync_json *v = values->u.list.values[i];
        if (strvec_has(&s->skipped[model], name)) continue;
        attr_def *def = attr_find(&s->attrs[model], name);
        if (!def) continue; /* a null value for an attribute that does not exist: nothing to send */
        if (strcmp(def->type, STANDARD_TYPE) == 0) {
            /* a custom attribute cannot share a name with one of Intercom's own fields */
            if (warn(s, e, "'%s' is a standard Intercom %s field, not a custom attribute; not sent",
                     name, model_names[model])) {
                return -1;
            }
            continue;
        }
        isync_json *fitted;
        coerce_result r = coerce(def->type, v, &fitted);
        if (r == COERCE_NOMEM) return fail_nomem(e);
        if (r == COERCE_DROP) {
            if (warn(s, e, "custom attribute '%s' is a %s in Intercom; this value cannot be stored "
                           "there and was not sent", name, def->type)) {
                return -1;
            }
            continue;
        }
        const isync_json *value = r == COERCE_NEW ? fitted : v;
        int send = 1;
        if (compare_to) {
            send = !isync_json_equal(value, isync_json_get(compare_to, name));
            if (send) (*changed)++;
        }
        int rc = send ? (isync_json_gen_cstr(g, name) || isync_json_gen_value(g, value)) : 0;
        isync_json_free(fitted);
        if (rc) goto gen_error;
    }
    if (isync_json_gen_map_close(g)) goto gen_error;
    return 0;
gen_error:
    return isync_error_set(e, ISYNC_E_ENCODE, "custom attributes: %s", isync_json_gen_error(g));
}

/* ---------------------------------------------------------------------------------------- */
/* Requests */

static int set_path(isync_sync *s, isync_error *e, const char *prefix, const char *segment, const char *suffix)
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

/* Copies the generator's document into s->body. */
static int take_body(isync_sync *s, isync_json_gen *g, isync_error *e)
{
    const char *text;
    size_t len;
    isync_json_gen_result(g, &text, &len);
    isync_buf_clear(&s->body);
    return isync_buf_append(&s->body, text, len) ? fail_nomem(e) : 0;
}

static int gen_key_str(isync_json_gen *g, const char *key, const char *value)
{
    return isync_json_gen_cstr(g, key) || isync_json_gen_cstr(g, value);
}

/* The create-contact body: everything step 6 would push, in one request. */
static int build_create_body(isync_sync *s, isync_json_gen *g, isync_error *e)
{
    long long n;
    strvec_free(&s->pending_fields);
    const char *sent[] = {"email", "phone", "name", "signed_up_at", "last_seen_at"};
    for (size_t i = 0; i < 5; i++) {
        const isync_json *v = snap(s, sent[i]);
        if (v && v->type != ISYNC_JSON_NULL && !(v->type == ISYNC_JSON_STRING && v->u.str.len == 0) &&
            strvec_push(&s->pending_fields, sent[i])) {
            return fail_nomem(e);
        }
    }
    const isync_json *custom = custom_of(s, MODEL_CONTACT, 0);
    if (custom && custom->type == ISYNC_JSON_OBJECT && custom->u.list.len > 0 &&
        strvec_push(&s->pending_fields, "custom_attributes")) {
        return fail_nomem(e);
    }
    if (isync_json_gen_map_open(g) || gen_key_str(g, "role", "user") ||
        gen_key_str(g, "external_id", nonempty_str(snap(s, "external_id")))) {
        goto gen_error;
    }
    const char *fields[][2] = {{"email", "email"}, {"phone", "phone"}, {"name", "name"}};
    for (size_t i = 0; i < 3; i++) {
        const char *v = nonempty_str(snap(s, fields[i][0]));
        if (v && gen_key_str(g, fields[i][1], v)) goto gen_error;
    }
    if (get_int(snap(s, "signed_up_at"), &n) &&
        (isync_json_gen_cstr(g, "signed_up_at") || isync_json_gen_integer(g, n))) {
        goto gen_error;
    }
    if (get_int(snap(s, "last_seen_at"), &n) &&
        (isync_json_gen_cstr(g, "last_seen_at") || isync_json_gen_integer(g, n))) {
        goto gen_error;
    }
    if (isync_json_gen_cstr(g, "custom_attributes")) goto gen_error;
    if (gen_custom(s, g, MODEL_CONTACT, custom_of(s, MODEL_CONTACT, 0), NULL, NULL, e)) return -1;
    if (isync_json_gen_map_close(g)) goto gen_error;
    return take_body(s, g, e);
gen_error:
    return isync_error_set(e, ISYNC_E_ENCODE, "contact: %s", isync_json_gen_error(g));
}

/* The upsert body of owned team i (also the input of its digest). */
static int build_owned_body(isync_sync *s, size_t i, isync_json_gen *g, isync_error *e)
{
    const isync_json *team = owned_team(s, i);
    const isync_json *company = isync_json_get(team, "company");
    if (isync_json_gen_map_open(g) || gen_key_str(g, "company_id", team_id(team))) goto gen_error;
    const char *keys[] = {"name", "remote_created_at", "monthly_spend"};
    for (size_t k = 0; k < 3; k++) {
        const isync_json *v = isync_json_get(company, keys[k]);
        if (!v || v->type == ISYNC_JSON_NULL) continue;
        if (isync_json_gen_cstr(g, keys[k]) || isync_json_gen_value(g, v)) goto gen_error;
    }
    if (isync_json_gen_cstr(g, "custom_attributes")) goto gen_error;
    if (gen_custom(s, g, MODEL_COMPANY, custom_of(s, MODEL_COMPANY, i), NULL, NULL, e)) return -1;
    if (isync_json_gen_map_close(g)) goto gen_error;
    return take_body(s, g, e);
gen_error:
    return isync_error_set(e, ISYNC_E_ENCODE, "company: %s", isync_json_gen_error(g));
}

/* FNV-1a, 64 bits: remembers what was pushed for a team, not a security measure. */
static void digest_of(const char *data, size_t len, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* ---------------------------------------------------------------------------------------- */
/* Planning steps (queue entries that make no request) */

/* The custom attribute names of a model that Intercom does not know yet. */
static int unknown_attributes(isync_sync *s, int model, strvec *out, isync_error *e)
{
    size_t records = model == MODEL_CONTACT ? 1 : s->n_owned;
    for (size_t r = 0; r < records; r++) {
        const isync_json *values = custom_of(s, model, r);
        for (size_t i = 0; values && values->type == ISYNC_JSON_OBJECT && i < values->u.list.len; i++) {
            const char *name = values->u.list.keys[i].ptr;
            if (values->u.list.values[i]->type == ISYNC_JSON_NULL) continue;
            if (attr_find(&s->attrs[model], name)) continue;
            if (strvec_add_unique(out, name)) return fail_nomem(e);
        }
    }
    return 0;
}

/* The first non-null value of a custom attribute, to infer its type from. */
static const isync_json *sample_value(isync_sync *s, int model, const char *name)
{
    size_t records = model == MODEL_CONTACT ? 1 : s->n_owned;
    for (size_t r = 0; r < records; r++) {
        const isync_json *v = isync_json_get(custom_of(s, model, r), name);
        if (v && v->type != ISYNC_JSON_NULL) return v;
    }
    return NULL;
}

static int plan_attributes(isync_sync *s, isync_error *e)
{
    for (int model = MODEL_COMPANY; model >= MODEL_CONTACT; model--) {
        strvec unknown = {0};
        if (unknown_attributes(s, model, &unknown, e)) {
            strvec_free(&unknown);
            return -1;
        }
        for (size_t i = 0; i < unknown.len; i++) {
            const char *name = unknown.items[i];
            if (strcmp(s->policy, "raise") == 0) {
                isync_error_set(e, ISYNC_E_ATTRIBUTE,
                                "custom %s attribute '%s' is not defined in Intercom "
                                "(unknown_attributes is :raise)", model_names[model], name);
                strvec_free(&unknown);
                return -1;
            }
            if (strcmp(s->policy, "skip") == 0) {
                if (strvec_push(&s->skipped[model], name) ||
                    warn(s, e, "custom %s attribute '%s' is not defined in Intercom; not sent",
                         model_names[model], name)) {
                    strvec_free(&unknown);
                    return -1;
                }
                continue;
            }
            const char *type = infer_type(sample_value(s, model, name));
            if (queue(s, 1, OP_CREATE_ATTR, model, 0, 0, name, type)) {
                strvec_free(&unknown);
                return fail_nomem(e);
            }
        }
        strvec_free(&unknown);
    }
    return 0;
}

static int plan_companies(isync_sync *s, isync_error *e)
{
    isync_json_gen *g = NULL;
    for (size_t i = 0; i < s->n_owned; i++) {
        const isync_json *team = owned_team(s, i);
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        if (build_owned_body(s, i, g, e)) {
            isync_json_gen_free(g);
            return -1;
        }
        isync_json_gen_free(g);
        char digest[17];
        digest_of(s->body.data, s->body.len, digest);
        const char *stored_id = nonempty_str(isync_json_get(team, "intercom_company_id"));
        const char *stored_digest = nonempty_str(isync_json_get(team, "digest"));
        free(s->owned_digests[i]);
        if (!(s->owned_digests[i] = dup_str(digest))) return fail_nomem(e);
        if (stored_id && !(s->owned_ids[i] = dup_str(stored_id))) return fail_nomem(e);
        if (stored_id && stored_digest && strcmp(stored_digest, digest) == 0) continue;
        Q(0, OP_UPSERT_OWNED, 0, (long)i, 0, NULL, NULL);
    }
    for (size_t j = 0; j < s->n_member; j++) {
        const isync_json *team = member_team(s, j);
        const char *stored = nonempty_str(isync_json_get(team, "intercom_company_id"));
        if (stored) {
            if (!(s->member_ids[j] = dup_str(stored))) return fail_nomem(e);
            continue;
        }
        const char *tid = team_id(team);
        if (!isync_set_get(&s->owned_by_id, tid, strlen(tid), NULL)) Q(0, OP_UPSERT_MEMBER, 0, (long)j, 0, NULL, NULL);
    }
    Q(0, OP_PLAN_MEMBERSHIP, 0, 0, 0, NULL, NULL);
    return 0;
}

/* The Intercom id a member team resolves to: its own, or its owned twin's. */
static const char *member_company_id(isync_sync *s, size_t j)
{
    if (s->member_ids[j]) return s->member_ids[j];
    const char *tid = team_id(member_team(s, j));
    size_t i;
    return isync_set_get(&s->owned_by_id, tid, strlen(tid), &i) ? s->owned_ids[i] : NULL;
}

static int plan_membership(isync_sync *s, isync_error *e)
{
    strvec desired = {0};
    if (!knows_membership(s)) {
        Q(0, OP_PLAN_CONTACT, 0, 0, 0, NULL, NULL);
        return 0;
    }
    for (size_t j = 0; j < s->n_member; j++) {
        const char *id = member_company_id(s, j);
        if (id && strvec_add_unique(&desired, id)) goto nomem;
        if (!id || !strvec_has(&s->attached, id)) {
            if (queue(s, 0, OP_ATTACH, 0, (long)j, 0, NULL, NULL)) goto nomem;
        }
    }
    for (size_t k = 0; k < s->attached.len; k++) {
        if (strvec_has(&desired, s->attached.items[k])) continue;
        if (queue(s, 0, OP_DETACH, 0, 0, 0, s->attached.items[k], NULL)) goto nomem;
    }
    strvec_free(&desired);
    Q(0, OP_PLAN_CONTACT, 0, 0, 0, NULL, NULL);
    return 0;
nomem:
    strvec_free(&desired);
    return fail_nomem(e);
}

static int trimmed_chars(const isync_json *v)
{
    if (!v || v->type != ISYNC_JSON_STRING) return 0;
    const char *p = v->u.str.ptr, *end = p + v->u.str.len;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) end--;
    int n = 0;
    for (; p < end; p++) n += (((unsigned char)*p & 0xC0) != 0x80);
    return n;
}

/* Steps 4 and 5, the pulls: Intercom's name (longer than one character) and phone fill the
 * app's blanks, unless the user came through OAuth. Run again after lead merges, which can
 * bring a name or phone to the contact. */
static int plan_pulls(isync_sync *s, isync_error *e)
{
    const isync_json *c = s->contact;
    const isync_json *oauth = snap(s, "from_oauth");
    if (!c || (oauth && oauth->type == ISYNC_JSON_TRUE)) return 0;
    const isync_json *their_name = isync_json_get(c, "name");
    if (!s->pull_name && !nonempty_str(snap(s, "name")) && trimmed_chars(their_name) > 1) {
        if (!(s->pull_name = dup_str(their_name->u.str.ptr)) || strvec_push(&s->pulled, "name")) return fail_nomem(e);
    }
    const char *their_phone = nonempty_str(isync_json_get(c, "phone"));
    if (!s->pull_phone && !nonempty_str(snap(s, "phone")) && their_phone) {
        if (!(s->pull_phone = dup_str(their_phone)) || strvec_push(&s->pulled, "phone")) return fail_nomem(e);
    }
    return 0;
}

/* Steps 4-6: push what differs, in one PUT. */
static int plan_contact(isync_sync *s, isync_error *e)
{
    const isync_json *c = s->contact;
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    strvec_free(&s->pending_fields);

    if (isync_json_gen_map_open(g)) goto gen_error;

    /* name and phone: ours are pushed when we have them (pulls are in plan_pulls) */
    const char *our_name = nonempty_str(snap(s, "name"));
    if (our_name && !s->created && !isync_json_equal(snap(s, "name"), isync_json_get(c, "name"))) {
        if (gen_key_str(g, "name", our_name) || strvec_push(&s->pending_fields, "name")) goto gen_error;
    }
    const char *our_phone = nonempty_str(snap(s, "phone"));
    const char *their_phone = nonempty_str(isync_json_get(c, "phone"));
    if (our_phone && !s->created && (!their_phone || strcmp(our_phone, their_phone) != 0)) {
        if (gen_key_str(g, "phone", our_phone) || strvec_push(&s->pending_fields, "phone")) goto gen_error;
    }
    if (plan_pulls(s, e)) {
        isync_json_gen_free(g);
        return -1;
    }

    const char *our_email = nonempty_str(snap(s, "email"));
    const char *their_email = nonempty_str(isync_json_get(c, "email"));
    if (!s->created && our_email && (!their_email || strcmp(our_email, their_email) != 0)) {
        if (gen_key_str(g, "email", our_email) || strvec_push(&s->pending_fields, "email")) goto gen_error;
    }

    /* An adopted email-only contact gets our external_id, so it is found by it from now on; a
     * lead (not expected: Intercom does not count leads as duplicates of a user) also becomes a
     * user, the one role change Intercom allows. Every other path found the contact by our id. */
    const char *ours_ext = nonempty_str(snap(s, "external_id"));
    const char *their_ext = nonempty_str(isync_json_get(c, "external_id"));
    if (!s->created && (!their_ext || strcmp(ours_ext, their_ext) != 0)) {
        if (gen_key_str(g, "external_id", ours_ext) || strvec_push(&s->pending_fields, "external_id")) goto gen_error;
    }
    const char *their_role = nonempty_str(isync_json_get(c, "role"));
    if (!s->created && their_role && strcmp(their_role, "user") != 0) {
        if (gen_key_str(g, "role", "user") || strvec_push(&s->pending_fields, "role")) goto gen_error;
    }

    long long ours, theirs;
    if (!s->created && get_int(snap(s, "signed_up_at"), &ours) &&
        (!get_int(isync_json_get(c, "signed_up_at"), &theirs) || theirs != ours)) {
        if (isync_json_gen_cstr(g, "signed_up_at") || isync_json_gen_integer(g, ours) ||
            strvec_push(&s->pending_fields, "signed_up_at")) {
            goto gen_error;
        }
    }

    /* last seen: the later of ours and theirs, on both sides */
    int have_ours = get_int(snap(s, "last_seen_at"), &ours);
    int have_theirs = get_int(isync_json_get(c, "last_seen_at"), &theirs);
    if (have_ours || have_theirs) {
        long long latest = have_ours && have_theirs ? (ours > theirs ? ours : theirs) : have_ours ? ours : theirs;
        if (!s->created && (!have_theirs || theirs != latest)) {
            if (isync_json_gen_cstr(g, "last_seen_at") || isync_json_gen_integer(g, latest) ||
                strvec_push(&s->pending_fields, "last_seen_at")) {
                goto gen_error;
            }
        }
        if (!have_ours || ours != latest) {
            s->has_last_request = 1;
            s->last_request_at = latest;
            if (strvec_push(&s->pulled, "last_request_at")) goto nomem;
        }
    }

    if (!s->created) {
        /* generate into a side document first: only changed custom attributes are sent */
        isync_json_gen *cg = isync_json_gen_new();
        size_t changed = 0;
        if (!cg) goto nomem;
        if (gen_custom(s, cg, MODEL_CONTACT, custom_of(s, MODEL_CONTACT, 0),
                       isync_json_get(c, "custom_attributes"), &changed, e)) {
            isync_json_gen_free(cg);
            isync_json_gen_free(g);
            return -1;
        }
        if (changed) {
            const char *text;
            size_t len;
            isync_json_gen_result(cg, &text, &len);
            isync_error pe;
            isync_json *doc = isync_json_parse(text, len, &pe);
            int rc = !doc || isync_json_gen_cstr(g, "custom_attributes") || isync_json_gen_value(g, doc) ||
                     strvec_push(&s->pending_fields, "custom_attributes");
            isync_json_free(doc);
            if (rc) {
                isync_json_gen_free(cg);
                goto gen_error;
            }
        }
        isync_json_gen_free(cg);
    }
    if (isync_json_gen_map_close(g)) goto gen_error;
    if (s->pending_fields.len > 0) {
        if (take_body(s, g, e)) {
            isync_json_gen_free(g);
            return -1;
        }
        isync_json_gen_free(g);
        Q(0, OP_UPDATE_CONTACT, 0, 0, 0, NULL, NULL);
    } else {
        isync_json_gen_free(g);
    }

    /* step 7: a user created in the last 24 hours absorbs the leads with the same email */
    long long now, signed_up;
    if (our_email && get_int(snap(s, "now"), &now) && get_int(snap(s, "signed_up_at"), &signed_up) &&
        now - signed_up < s->lead_window) {
        Q(0, OP_SEARCH_LEADS, 0, 1, 0, NULL, NULL);
    }
    return 0;
nomem:
    isync_json_gen_free(g);
    return fail_nomem(e);
gen_error:
    isync_error_set(e, ISYNC_E_ENCODE, "contact update: %s", isync_json_gen_error(g));
    isync_json_gen_free(g);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Construction */

static void load_known_attributes(isync_sync *s, isync_error *e, int *rc)
{
    const isync_json *known = snap(s, "known_attributes");
    for (int model = 0; model < 2 && *rc == 0; model++) {
        const isync_json *defs = isync_json_get(known, model_names[model]);
        for (size_t i = 0; defs && defs->type == ISYNC_JSON_OBJECT && i < defs->u.list.len; i++) {
            const isync_json *type = defs->u.list.values[i];
            if (type->type != ISYNC_JSON_STRING) continue;
            if (s->attrs[model].len >= ISYNC_MAX_ATTRIBUTES) break; /* the cache is bounded too */
            if (attr_put(&s->attrs[model], defs->u.list.keys[i].ptr, type->u.str.ptr, 1)) {
                *rc = fail_nomem(e);
            }
        }
    }
}

isync_sync *isync_sync_new(const char *snapshot_json, size_t len, int dry_run, isync_error *e)
{
    isync_sync *s = calloc(1, sizeof(*s));
    if (!s) {
        fail_nomem(e);
        return NULL;
    }
    isync_buf_init(&s->path);
    isync_buf_init(&s->body);
    isync_buf_init(&s->planned);
    s->dry_run = dry_run;
    if (!(s->snap = isync_json_parse(snapshot_json, len, e))) {
        char why[sizeof(e->message)];
        snprintf(why, sizeof(why), "%s", e->message);
        isync_error_set(e, ISYNC_E_INPUT, "snapshot: %s", why); /* cut between characters */
        goto fail;
    }
    if (validate_snapshot(s, e)) goto fail;

    const isync_json *options = snap(s, "options");
    const char *policy = nonempty_str(isync_json_get(options, "unknown_attributes"));
    snprintf(s->policy, sizeof(s->policy), "%s", policy ? policy : "create");
    if (strcmp(s->policy, "create") != 0 && strcmp(s->policy, "skip") != 0 && strcmp(s->policy, "raise") != 0) {
        isync_error_set(e, ISYNC_E_INPUT, "unknown_attributes must be create, skip or raise");
        goto fail;
    }
    long long n;
    s->lead_window = get_int(isync_json_get(options, "lead_window"), &n) ? n : 86400;
    s->max_pages = get_int(isync_json_get(options, "max_pages"), &n) && n > 0 ? (long)n : 50;

    s->n_member = array_len(snap(s, "teams"));
    s->n_owned = array_len(snap(s, "owned_teams"));
    s->member_ids = calloc(s->n_member + 1, sizeof(char *));
    s->member_learned = calloc(s->n_member + 1, sizeof(int));
    s->owned_ids = calloc(s->n_owned + 1, sizeof(char *));
    s->owned_digests = calloc(s->n_owned + 1, sizeof(char *));
    s->owned_learned = calloc(s->n_owned + 1, sizeof(int));
    if (!s->member_ids || !s->member_learned || !s->owned_ids || !s->owned_digests || !s->owned_learned) {
        fail_nomem(e);
        goto fail;
    }

    /* teams are looked up by id once per member team: an index, not a scan of the owned ones
     * (the first of duplicate ids wins, as the scan's first match did) */
    for (size_t i = 0; i < s->n_owned; i++) {
        const char *tid = team_id(owned_team(s, i));
        if (!isync_set_get(&s->owned_by_id, tid, strlen(tid), NULL) &&
            isync_set_put(&s->owned_by_id, tid, strlen(tid), i)) {
            fail_nomem(e);
            goto fail;
        }
    }

    int rc = 0;
    load_known_attributes(s, e, &rc);
    if (rc) goto fail;

    /* Attribute lists are read only when a custom attribute is not known yet. */
    for (int model = 0; model < 2; model++) {
        strvec unknown = {0};
        if (unknown_attributes(s, model, &unknown, e)) {
            strvec_free(&unknown);
            goto fail;
        }
        int need = unknown.len > 0;
        strvec_free(&unknown);
        if (need && queue(s, 0, OP_LIST_ATTRS, model, 0, 0, NULL, NULL)) {
            fail_nomem(e);
            goto fail;
        }
    }
    if (queue(s, 0, OP_PLAN_ATTRS, 0, 0, 0, NULL, NULL) || queue(s, 0, OP_FIND, 0, 0, 0, NULL, NULL)) {
        fail_nomem(e);
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
    isync_json_free(s->snap);
    isync_json_free(s->contact);
    for (int m = 0; m < 2; m++) {
        attr_set_free(&s->attrs[m]);
        strvec_free(&s->skipped[m]);
    }
    for (size_t i = 0; i < s->nops; i++) op_clear(&s->ops[i]);
    free(s->ops);
    op_clear(&s->current);
    isync_buf_free(&s->path);
    isync_buf_free(&s->body);
    isync_buf_free(&s->planned);
    free(s->contact_id);
    strvec *vecs[] = {&s->attached, &s->pushed, &s->pulled, &s->upserted, &s->attached_now,
                      &s->detached_now, &s->merged, &s->warnings, &s->pending_fields, &s->leads};
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) strvec_free(vecs[i]);
    for (size_t j = 0; s->member_ids && j < s->n_member; j++) free(s->member_ids[j]);
    for (size_t i = 0; s->owned_ids && i < s->n_owned; i++) {
        free(s->owned_ids[i]);
        free(s->owned_digests[i]);
    }
    free(s->member_ids);
    free(s->member_learned);
    free(s->owned_ids);
    free(s->owned_digests);
    free(s->owned_learned);
    isync_set_free(&s->owned_by_id);
    free(s->pull_name);
    free(s->pull_phone);
    free(s);
}

/* ---------------------------------------------------------------------------------------- */
/* next: turns the head of the queue into a request */

/* In a dry run a write is recorded instead of sent; returns 1 when it was recorded. */
static int record_planned(isync_sync *s, const char *method, int has_body, isync_error *e)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    isync_json *body = NULL;
    isync_error pe;
    if (has_body && !(body = isync_json_parse(s->body.data, s->body.len, &pe))) {
        isync_json_gen_free(g);
        return fail_nomem(e);
    }
    int rc = isync_json_gen_map_open(g) || gen_key_str(g, "method", method) ||
             gen_key_str(g, "path", s->path.data) || gen_key_str(g, "step", op_steps[s->current.kind]);
    if (!rc && body) rc = isync_json_gen_cstr(g, "body") || isync_json_gen_value(g, body);
    rc = rc || isync_json_gen_map_close(g);
    const char *text;
    size_t len;
    isync_json_gen_result(g, &text, &len);
    if (!rc && ((s->planned.len && isync_buf_append(&s->planned, ",", 1)) ||
                isync_buf_append(&s->planned, text, len))) {
        rc = -1;
    }
    isync_json_free(body);
    isync_json_gen_free(g);
    return rc ? fail_nomem(e) : 1;
}

static const char *contact_path_id(isync_sync *s) { return s->contact_id ? s->contact_id : "new-contact"; }

static int prepare(isync_sync *s, isync_sync_request *req, isync_error *e);
static int feed_success(isync_sync *s, isync_json *doc, isync_error *e);

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
        req->step = op_steps[s->current.kind];
        int rc = prepare(s, req, e);
        if (rc == 1) {
            s->requests++;
            return 1;
        }
        /* a planning step, or a write recorded by a dry run: no request to make */
        s->has_current = 0;
        if (rc == 2 && feed_success(s, NULL, e)) rc = -1;
        op_clear(&s->current);
        if (rc < 0) return -1;
    }
}

static int adopt_contact(isync_sync *s, isync_json *doc, isync_error *e);

/* A bulk sync reads contacts a page at a time (GET /contacts) and hands each user the contact
 * that page returned, so an unchanged user costs no request of its own. It stands in for the
 * find step only when it is visibly this user's (same external_id, role user); otherwise the
 * usual lookup runs. Returns 1 when adopted, 0 when not usable, -1 on error. */
static int use_prefetched(isync_sync *s, isync_error *e)
{
    const isync_json *contact = snap(s, "contact");
    if (!contact || contact->type == ISYNC_JSON_NULL) return 0;
    const char *ext = isync_json_get_str(contact, "external_id");
    const char *role = isync_json_get_str(contact, "role");
    if (!ext || strcmp(ext, nonempty_str(snap(s, "external_id"))) != 0 || !role || strcmp(role, "user") != 0 ||
        !nonempty_str(isync_json_get(contact, "id"))) {
        return warn(s, e, "the prefetched contact is not this user's; looking the user up") ? -1 : 0;
    }
    isync_json *copy = isync_json_clone(contact);
    if (!copy) return fail_nomem(e);
    return adopt_contact(s, copy, e) ? -1 : 1;
}

/* Returns 1 (request in *req), 0 (planning done, nothing to send), 2 (a dry-run write was
 * recorded; its success handler runs without a response) or -1. */
static int prepare(isync_sync *s, isync_sync_request *req, isync_error *e)
{
    op *o = &s->current;
    isync_json_gen *g = NULL;
    int rc;
#define REQ(m, has_body)                                                                   \
    do {                                                                                   \
        req->method = (m);                                                                 \
        req->path = s->path.data;                                                          \
        req->body = (has_body) ? s->body.data : NULL;                                      \
        req->body_len = (has_body) ? s->body.len : 0;                                      \
    } while (0)

    switch (o->kind) {
    case OP_LIST_ATTRS:
        if (set_path(s, e, "/data_attributes?model=", model_names[o->model], NULL)) return -1;
        REQ("GET", 0);
        return 1;
    case OP_PLAN_ATTRS:
        return plan_attributes(s, e) ? -1 : 0;
    case OP_CREATE_ATTR:
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "name", o->arg) ||
             gen_key_str(g, "model", model_names[o->model]) || gen_key_str(g, "data_type", o->arg2) ||
             isync_json_gen_map_close(g);
        rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "attribute name: %s", isync_json_gen_error(g)) : take_body(s, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/data_attributes", NULL, NULL)) return -1;
        REQ("POST", 1);
        return s->dry_run ? record_planned(s, "POST", 1, e) * 2 : 1;
    case OP_FIND: {
        int used = use_prefetched(s, e);
        if (used) return used < 0 ? -1 : 0;
        const char *stored = nonempty_str(snap(s, "intercom_id"));
        const isync_json *absent = snap(s, "known_absent");
        if (!stored && absent && absent->type == ISYNC_JSON_TRUE) {
            /* A full read of the contacts just now did not have this user: create right away
             * (attempt 1 marks the create as unchecked); should it exist after all, the 409
             * names it and it is adopted as after any duplicate create. */
            Q(1, OP_CREATE_CONTACT, 0, 0, 1, NULL, NULL);
            return 0;
        }
        Q(1, stored ? OP_GET_CONTACT : OP_FIND_EXTERNAL, 0, 0, 0, stored, NULL);
        return 0;
    }
    case OP_GET_CONTACT:
        if (set_path(s, e, "/contacts/", o->arg, NULL)) return -1;
        REQ("GET", 0);
        return 1;
    case OP_FIND_EXTERNAL:
        if (set_path(s, e, "/contacts/find_by_external_id/", nonempty_str(snap(s, "external_id")), NULL)) return -1;
        REQ("GET", 0);
        return 1;
    case OP_CREATE_CONTACT:
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = build_create_body(s, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/contacts", NULL, NULL)) return -1;
        REQ("POST", 1);
        return s->dry_run ? record_planned(s, "POST", 1, e) * 2 : 1;
    case OP_UNARCHIVE:
        if (set_path(s, e, "/contacts/", o->arg, "/unarchive")) return -1;
        REQ("POST", 0);
        return 1;
    case OP_LIST_COMPANIES: {
        char suffix[64];
        snprintf(suffix, sizeof(suffix), "/companies?per_page=60&page=%ld", o->index);
        if (set_path(s, e, "/contacts/", s->contact_id, suffix)) return -1;
        REQ("GET", 0);
        return 1;
    }
    case OP_PLAN_COMPANIES:
        return plan_companies(s, e) ? -1 : 0;
    case OP_UPSERT_OWNED:
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = build_owned_body(s, (size_t)o->index, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/companies", NULL, NULL)) return -1;
        REQ("POST", 1);
        return s->dry_run ? record_planned(s, "POST", 1, e) * 2 : 1;
    case OP_UPSERT_MEMBER:
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "company_id", team_id(member_team(s, (size_t)o->index))) ||
             isync_json_gen_map_close(g);
        rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "team id: %s", isync_json_gen_error(g)) : take_body(s, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/companies", NULL, NULL)) return -1;
        REQ("POST", 1);
        return s->dry_run ? record_planned(s, "POST", 1, e) * 2 : 1;
    case OP_PLAN_MEMBERSHIP:
        return plan_membership(s, e) ? -1 : 0;
    case OP_ATTACH: {
        const char *company = member_company_id(s, (size_t)o->index);
        char placeholder[128];
        if (!company) {
            isync_text_format(placeholder, sizeof(placeholder), "company-for-team-%s",
                              team_id(member_team(s, (size_t)o->index)));
            company = placeholder;
        }
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "id", company) || isync_json_gen_map_close(g);
        rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "company id: %s", isync_json_gen_error(g)) : take_body(s, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/contacts/", contact_path_id(s), "/companies")) return -1;
        REQ("POST", 1);
        return s->dry_run ? record_planned(s, "POST", 1, e) * 2 : 1;
    }
    case OP_DETACH:
        if (set_path(s, e, "/contacts/", s->contact_id, "/companies/") ||
            isync_url_escape_segment(&s->path, o->arg, strlen(o->arg))) {
            return fail_nomem(e);
        }
        REQ("DELETE", 0);
        return s->dry_run ? record_planned(s, "DELETE", 0, e) * 2 : 1;
    case OP_PLAN_CONTACT:
        return plan_contact(s, e) ? -1 : 0;
    case OP_UPDATE_CONTACT:
        /* the body was built by plan_contact */
        if (set_path(s, e, "/contacts/", s->contact_id, NULL)) return -1;
        REQ("PUT", 1);
        return s->dry_run ? record_planned(s, "PUT", 1, e) * 2 : 1;
    case OP_SEARCH_LEADS:
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = isync_json_gen_map_open(g) || isync_json_gen_cstr(g, "query") || isync_json_gen_map_open(g) ||
             gen_key_str(g, "operator", "AND") || isync_json_gen_cstr(g, "value") || isync_json_gen_array_open(g) ||
             isync_json_gen_map_open(g) || gen_key_str(g, "field", "email") || gen_key_str(g, "operator", "=") ||
             gen_key_str(g, "value", nonempty_str(snap(s, "email"))) || isync_json_gen_map_close(g) ||
             isync_json_gen_map_open(g) || gen_key_str(g, "field", "role") || gen_key_str(g, "operator", "=") ||
             gen_key_str(g, "value", "lead") || isync_json_gen_map_close(g) || isync_json_gen_array_close(g) ||
             isync_json_gen_map_close(g) || isync_json_gen_cstr(g, "pagination") || isync_json_gen_map_open(g) ||
             isync_json_gen_cstr(g, "per_page") || isync_json_gen_integer(g, 150) ||
             (o->arg && gen_key_str(g, "starting_after", o->arg)) || isync_json_gen_map_close(g) ||
             isync_json_gen_map_close(g);
        rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "lead search: %s", isync_json_gen_error(g)) : take_body(s, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/contacts/search", NULL, NULL)) return -1;
        REQ("POST", 1);
        return 1; /* a read: made in dry runs too */
    case OP_MERGE:
        if (!(g = isync_json_gen_new())) return fail_nomem(e);
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "from", o->arg) ||
             gen_key_str(g, "into", contact_path_id(s)) || isync_json_gen_map_close(g);
        rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "lead id: %s", isync_json_gen_error(g)) : take_body(s, g, e);
        isync_json_gen_free(g);
        if (rc || set_path(s, e, "/contacts/merge", NULL, NULL)) return -1;
        REQ("POST", 1);
        return s->dry_run ? record_planned(s, "POST", 1, e) * 2 : 1;
    }
#undef REQ
    return isync_error_set(e, ISYNC_E_INPUT, "unknown step");
}

/* ---------------------------------------------------------------------------------------- */
/* feed: what each answer means */

static int set_contact(isync_sync *s, isync_json *doc, isync_error *e)
{
    const isync_json *idv = isync_json_get(doc, "id");
    const char *id = usable_id(idv);
    if (!id) {
        const char *why = unusable_why(idv);
        isync_json_free(doc);
        return isync_error_set(e, ISYNC_E_PARSE, "Intercom returned a contact with %s", why);
    }
    char *copy = dup_str(id);
    if (!copy) {
        isync_json_free(doc);
        return fail_nomem(e);
    }
    free(s->contact_id);
    s->contact_id = copy;
    isync_json_free(s->contact);
    s->contact = doc;
    return 0;
}

/* Adds the companies of a list (embedded in the contact, or a page of them) to s->attached.
 * An id we cannot put in a path is skipped with a warning (it cannot be detached); more
 * companies than ISYNC_MAX_COMPANIES is refused: Intercom allows 1,000 per contact, so such a
 * list is not Intercom's, and it would cost a detach request per company. */
static int learn_attached(isync_sync *s, const isync_json *data, isync_error *e)
{
    for (size_t i = 0; i < array_len(data); i++) {
        const isync_json *idv = isync_json_get(array_at(data, i), "id");
        const char *cid = usable_id(idv);
        if (!cid) {
            if (nonempty_str(idv) && warn(s, e, "Intercom listed a company of the contact with %s; ignored",
                                          unusable_why(idv))) {
                return -1;
            }
            continue;
        }
        if (strvec_add_unique(&s->attached, cid)) return fail_nomem(e);
        if (s->attached.len > ISYNC_MAX_COMPANIES) {
            return isync_error_set(e, ISYNC_E_TOO_LARGE,
                                   "Intercom listed more than %d companies for contact %s (it allows 1,000); "
                                   "refusing to reconcile them", ISYNC_MAX_COMPANIES, s->contact_id);
        }
    }
    return 0;
}

/* The contact is known: read its embedded companies, then plan. */
static int adopt_contact(isync_sync *s, isync_json *doc, isync_error *e)
{
    if (set_contact(s, doc, e)) return -1;
    const isync_json *companies = isync_json_get(s->contact, "companies");
    const isync_json *data = isync_json_get(companies, "data");
    const isync_json *more = isync_json_get(companies, "has_more");
    strvec_free(&s->attached);
    if (more && more->type == ISYNC_JSON_TRUE && knows_membership(s)) {
        Q(0, OP_LIST_COMPANIES, 0, 1, 0, NULL, NULL);
    } else if (learn_attached(s, data, e)) {
        return -1;
    }
    Q(0, OP_PLAN_COMPANIES, 0, 0, 0, NULL, NULL);
    return 0;
}

static int is_status(const isync_error *o, long status) { return o->kind == ISYNC_E_HTTP && o->http_status == status; }

/* e->message = "sync step "<step>" failed: " + why, cut between characters (why may quote a
 * server, already redacted by the http layer). why may be e->message itself. */
static void prefix_step(isync_error *e, const char *step, const char *why)
{
    char original[sizeof(e->message)];
    snprintf(original, sizeof(original), "%s", why);
    int room = (int)isync_utf8_prefix(original, strlen(original), sizeof(e->message) - 64);
    isync_text_format(e->message, sizeof(e->message), "sync step \"%s\" failed: %.*s", step, room, original);
}

/* A failure the engine cannot work around ends the sync, naming the step. */
static int fatal(isync_sync *s, const isync_error *outcome, isync_error *e)
{
    *e = *outcome;
    prefix_step(e, op_steps[s->current.kind], outcome->message);
    return -1;
}

/* Records the Intercom company id an upsert answered for a team (none in a dry run). */
static int learn_company(isync_sync *s, const isync_json *doc, char **slot, int *learned, const char *team,
                         isync_error *e)
{
    const isync_json *idv = isync_json_get(doc, "id");
    const char *id = s->dry_run ? NULL : usable_id(idv);
    if (!s->dry_run && !id) return isync_error_set(e, ISYNC_E_PARSE, "Intercom returned a company with %s", unusable_why(idv));
    if (id) {
        char *copy = dup_str(id);
        if (!copy) return fail_nomem(e);
        free(*slot);
        *slot = copy;
        *learned = 1;
    }
    return strvec_push(&s->upserted, team) ? fail_nomem(e) : 0;
}

/* doc is ours until freed or handed to set_contact/adopt_contact: while we hold it, a failed
 * queue() goes to nomem (which frees it), never through Q, which would return and leak it. */
/* Intercom matches emails without regard to case; the snapshot's email is already trimmed. */
static int same_email(const isync_json *ours, const isync_json *theirs)
{
    const char *a = nonempty_str(ours), *b = nonempty_str(theirs);
    return a && b && strcasecmp(a, b) == 0;
}

static int feed_success(isync_sync *s, isync_json *doc, isync_error *e)
{
    op *o = &s->current;
    switch (o->kind) {
    case OP_LIST_ATTRS: {
        const isync_json *data = isync_json_get(doc, "data");
        attr_set *set = &s->attrs[o->model];
        for (size_t i = 0; i < array_len(data); i++) {
            const isync_json *a = array_at(data, i);
            const isync_json *namev = isync_json_get(a, "name"), *typev = isync_json_get(a, "data_type");
            const char *name = nonempty_str(namev);
            const char *type = nonempty_str(typev);
            const isync_json *custom = isync_json_get(a, "custom");
            if (custom && custom->type == ISYNC_JSON_FALSE) type = STANDARD_TYPE;
            if (!name || !type || has_nul(namev) || has_nul(typev)) continue; /* "plan\u0000x" is not "plan" */
            if (set->len >= ISYNC_MAX_ATTRIBUTES && !attr_find(set, name)) {
                /* a real workspace has a few hundred; the rest are treated as unknown (a create
                 * of one that exists answers "already have", which is adopted) */
                if (warn(s, e, "Intercom listed more than %d %s data attributes; only the first %d are used",
                         ISYNC_MAX_ATTRIBUTES, model_names[o->model], ISYNC_MAX_ATTRIBUTES)) {
                    isync_json_free(doc);
                    return -1;
                }
                break;
            }
            if (attr_put(set, name, type, 1)) goto nomem;
        }
        s->attrs[o->model].fresh = 1;
        break;
    }
    case OP_CREATE_ATTR:
        if (attr_put(&s->attrs[o->model], o->arg, o->arg2, !s->dry_run)) goto nomem;
        break;
    case OP_GET_CONTACT: {
        const char *ext = nonempty_str(isync_json_get(doc, "external_id"));
        if (!ext && o->attempt == 1 && same_email(snap(s, "email"), isync_json_get(doc, "email"))) {
            /* A 409 named a contact with our email and no external_id: made by the Messenger, a
             * CSV import or a teammate, or by the 1.x job, which matched users by email. It is
             * this user's; plan_contact writes our external_id into it with the other fields.
             * The email is compared, not trusted from the 409: a contact with another email
             * (a confused or hostile server) is never taken over. */
            return adopt_contact(s, doc, e);
        }
        if (!ext || strcmp(ext, nonempty_str(snap(s, "external_id"))) != 0) {
            if (o->attempt == 1) {
                /* a 409 named a contact that belongs to someone else (a shared email), or one
                 * without an external_id whose email is not ours */
                isync_error clash;
                isync_error_clear(&clash);
                clash.kind = ISYNC_E_HTTP;
                clash.http_status = 409;
                snprintf(clash.code, sizeof(clash.code), "conflict");
                isync_text_copy(clash.resource_id, sizeof(clash.resource_id), o->arg, strlen(o->arg));
                isync_text_format(clash.message, sizeof(clash.message),
                                  "creating the contact conflicts with Intercom contact %s, which has external_id %s "
                                  "(another user with the same email?)", o->arg, ext ? ext : "none and another email");
                isync_json_free(doc);
                return fatal(s, &clash, e);
            }
            isync_json_free(doc);
            if (warn(s, e, "stored Intercom id %s belongs to another contact; looking up by external id", o->arg)) {
                return -1;
            }
            Q(1, OP_FIND_EXTERNAL, 0, 0, 0, NULL, NULL);
            return 0;
        }
        return adopt_contact(s, doc, e);
    }
    case OP_FIND_EXTERNAL:
        return adopt_contact(s, doc, e);
    case OP_CREATE_CONTACT:
        for (size_t i = 0; i < s->pending_fields.len; i++) {
            if (strvec_push(&s->pushed, s->pending_fields.items[i])) goto nomem;
        }
        if (s->dry_run) {
            s->created = 1;
            if (queue(s, 0, OP_PLAN_COMPANIES, 0, 0, 0, NULL, NULL)) goto nomem;
            break;
        }
        s->created = 1;
        return adopt_contact(s, doc, e);
    case OP_UNARCHIVE:
        break;
    case OP_LIST_COMPANIES: {
        const isync_json *data = isync_json_get(doc, "data");
        if (!data) data = isync_json_get(doc, "companies"); /* the schema's name for the array */
        if (learn_attached(s, data, e)) {
            isync_json_free(doc);
            return -1;
        }
        const isync_json *next = isync_json_get(isync_json_get(doc, "pages"), "next");
        if (next && next->type != ISYNC_JSON_NULL && array_len(data) > 0) {
            if (o->index >= s->max_pages) {
                isync_json_free(doc);
                return isync_error_set(e, ISYNC_E_PARSE, "the contact's companies did not end after %ld pages",
                                       s->max_pages);
            }
            /* before the plan step already queued */
            if (queue(s, 1, OP_LIST_COMPANIES, 0, o->index + 1, 0, NULL, NULL)) goto nomem;
        }
        break;
    }
    case OP_UPSERT_OWNED: {
        size_t i = (size_t)o->index;
        if (learn_company(s, doc, &s->owned_ids[i], &s->owned_learned[i], team_id(owned_team(s, i)), e)) {
            isync_json_free(doc);
            return -1;
        }
        break;
    }
    case OP_UPSERT_MEMBER: {
        size_t j = (size_t)o->index;
        if (learn_company(s, doc, &s->member_ids[j], &s->member_learned[j], team_id(member_team(s, j)), e)) {
            isync_json_free(doc);
            return -1;
        }
        break;
    }
    case OP_ATTACH: {
        const char *id = member_company_id(s, (size_t)o->index);
        char placeholder[128];
        if (!id) {
            isync_text_format(placeholder, sizeof(placeholder), "company-for-team-%s",
                              team_id(member_team(s, (size_t)o->index)));
            id = placeholder;
        }
        if (strvec_add_unique(&s->attached_now, id) || strvec_add_unique(&s->attached, id)) goto nomem;
        break;
    }
    case OP_DETACH:
        if (strvec_push(&s->detached_now, o->arg)) goto nomem;
        break;
    case OP_UPDATE_CONTACT:
        for (size_t i = 0; i < s->pending_fields.len; i++) {
            if (strvec_push(&s->pushed, s->pending_fields.items[i])) goto nomem;
        }
        if (doc && !s->dry_run) {
            if (set_contact(s, doc, e)) return -1;
            doc = NULL;
        }
        break;
    case OP_SEARCH_LEADS: {
        const isync_json *data = isync_json_get(doc, "data");
        int full = 0;
        for (size_t i = 0; i < array_len(data) && !full; i++) {
            const isync_json *c = array_at(data, i);
            const isync_json *idv = isync_json_get(c, "id");
            const char *id = usable_id(idv);
            const char *role = nonempty_str(isync_json_get(c, "role"));
            if (!role || strcmp(role, "lead") != 0) continue;
            if (!id) {
                if (nonempty_str(idv) && warn(s, e, "Intercom found a lead with %s; not merged", unusable_why(idv))) {
                    isync_json_free(doc);
                    return -1;
                }
                continue;
            }
            if (s->contact_id && strcmp(id, s->contact_id) == 0) continue;
            if (strvec_has(&s->leads, id)) continue;
            if (s->leads.len == ISYNC_MAX_LEADS) {
                /* a merge is a request each: a search answering thousands is not one user's leads */
                if (warn(s, e, "more than %d leads share this user's email; only the first %d are merged",
                         ISYNC_MAX_LEADS, ISYNC_MAX_LEADS)) {
                    isync_json_free(doc);
                    return -1;
                }
                full = 1;
                break;
            }
            if (strvec_push(&s->leads, id)) goto nomem;
            if (queue(s, 0, OP_MERGE, 0, 0, 0, id, NULL)) goto nomem;
        }
        const isync_json *next = isync_json_get(isync_json_get(isync_json_get(doc, "pages"), "next"), "starting_after");
        const char *cursor = nonempty_str(next);
        if (has_nul(next)) {
            isync_json_free(doc);
            return isync_error_set(e, ISYNC_E_PARSE, "the lead search answered a cursor with a NUL byte");
        }
        if (cursor && array_len(data) > 0 && !full) {
            if (o->index >= s->max_pages) {
                isync_json_free(doc);
                return isync_error_set(e, ISYNC_E_PARSE, "the lead search did not end after %ld pages", s->max_pages);
            }
            if (queue(s, 1, OP_SEARCH_LEADS, 0, o->index + 1, 0, cursor, NULL)) goto nomem;
        }
        break;
    }
    case OP_MERGE:
        if (strvec_push(&s->merged, o->arg)) goto nomem;
        if (doc && !s->dry_run && nonempty_str(isync_json_get(doc, "id"))) {
            /* the merge answers with the user, now holding what the lead knew */
            if (set_contact(s, doc, e)) return -1;
            doc = NULL;
            if (plan_pulls(s, e)) return -1;
        }
        break;
    default:
        break;
    }
    isync_json_free(doc);
    return 0;
nomem:
    isync_json_free(doc);
    return fail_nomem(e);
}

int isync_sync_feed(isync_sync *s, isync_json *doc, const isync_error *outcome, isync_error *e)
{
    if (!s->has_current) {
        isync_json_free(doc);
        return isync_error_set(e, ISYNC_E_INPUT, "no request is waiting for an answer");
    }
    if (!doc && !outcome) return isync_error_set(e, ISYNC_E_INPUT, "an answer needs a document or an error");
    s->has_current = 0;
    op *o = &s->current;
    int rc;

    if (doc) {
        rc = feed_success(s, doc, e);
        if (rc && e->kind != ISYNC_E_HTTP && strncmp(e->message, "sync step", 9) != 0) {
            prefix_step(e, op_steps[o->kind], e->message);
        }
        op_clear(o);
        return rc;
    }

    /* failures the sync recovers from */
    switch (o->kind) {
    case OP_CREATE_ATTR:
        if (is_status(outcome, 400) && strstr(outcome->message, "already have")) {
            rc = attr_put(&s->attrs[o->model], o->arg, o->arg2, 1) ? fail_nomem(e) : 0;
            op_clear(o);
            return rc;
        }
        break;
    case OP_GET_CONTACT:
        if (o->attempt == 0 && outcome->kind == ISYNC_E_HTTP && outcome->http_status == 410 &&
            outcome->resource_id[0] && s->hops < 3) {
            s->hops++;
            rc = queue(s, 1, OP_GET_CONTACT, 0, 0, 0, outcome->resource_id, NULL) ? fail_nomem(e) : 0;
            op_clear(o);
            return rc;
        }
        if (o->attempt == 0 && (is_status(outcome, 404) || is_status(outcome, 410))) {
            /* a stale or merged stored id: find the contact by our own id instead */
            rc = queue(s, 1, OP_FIND_EXTERNAL, 0, 0, 0, NULL, NULL) ? fail_nomem(e) : 0;
            op_clear(o);
            return rc;
        }
        break;
    case OP_FIND_EXTERNAL:
        if (is_status(outcome, 404)) {
            rc = queue(s, 1, OP_CREATE_CONTACT, 0, 0, 0, NULL, NULL) ? fail_nomem(e) : 0;
            op_clear(o);
            return rc;
        }
        break;
    case OP_CREATE_CONTACT:
        if (is_status(outcome, 409) && outcome->resource_id[0]) {
            /* it exists already (a concurrent job, or a retried create): adopt it */
            rc = queue(s, 1, OP_GET_CONTACT, 0, 0, 1, outcome->resource_id, NULL);
            if (!rc && outcome->archived) rc = queue(s, 1, OP_UNARCHIVE, 0, 0, 0, outcome->resource_id, NULL);
            op_clear(o);
            return rc ? fail_nomem(e) : 0;
        }
        if (is_status(outcome, 409) && o->attempt == 1) {
            /* an unchecked create whose conflict names no contact: look the user up after all */
            rc = queue(s, 1, OP_FIND_EXTERNAL, 0, 0, 0, NULL, NULL) ? fail_nomem(e) : 0;
            op_clear(o);
            return rc;
        }
        break;
    case OP_ATTACH:
        if (o->attempt == 0 && is_status(outcome, 404) && strcmp(outcome->code, "company_not_found") == 0) {
            /* the stored company id is stale: upsert by company_id, then attach again */
            size_t j = (size_t)o->index;
            free(s->member_ids[j]);
            s->member_ids[j] = NULL;
            rc = queue(s, 1, OP_ATTACH, 0, o->index, 1, NULL, NULL) ||
                 queue(s, 1, OP_UPSERT_MEMBER, 0, o->index, 0, NULL, NULL);
            op_clear(o);
            return rc ? fail_nomem(e) : 0;
        }
        break;
    case OP_DETACH:
        if (is_status(outcome, 404)) { /* not attached (any more): what we wanted */
            rc = strvec_push(&s->detached_now, o->arg) ? fail_nomem(e) : 0;
            op_clear(o);
            return rc;
        }
        break;
    case OP_MERGE:
        if (is_status(outcome, 404) || is_status(outcome, 410)) { /* merged already */
            op_clear(o);
            return 0;
        }
        if (is_status(outcome, 400) && strcmp(outcome->code, "invalid_merge") == 0) {
            rc = warn(s, e, "lead %s was not merged: %s", o->arg, outcome->message);
            op_clear(o);
            return rc;
        }
        break;
    default:
        break;
    }
    rc = fatal(s, outcome, e);
    op_clear(o);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* The result */

static int gen_strvec(isync_json_gen *g, const char *key, const strvec *v)
{
    if (isync_json_gen_cstr(g, key) || isync_json_gen_array_open(g)) return -1;
    for (size_t i = 0; i < v->len; i++) {
        if (isync_json_gen_cstr(g, v->items[i])) return -1;
    }
    return isync_json_gen_array_close(g);
}

static int gen_opt_str(isync_json_gen *g, const char *key, const char *value)
{
    return isync_json_gen_cstr(g, key) || (value ? isync_json_gen_cstr(g, value) : isync_json_gen_null(g));
}

int isync_sync_result(isync_sync *s, isync_buf *out)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return -1;
    const char *stored = nonempty_str(snap(s, "intercom_id"));
    const isync_json *location = isync_json_get(s->contact, "location");
    const char *timezone = nonempty_str(isync_json_get(location, "timezone"));

    int rc = isync_json_gen_map_open(g) || gen_opt_str(g, "contact_id", s->contact_id) ||
             isync_json_gen_cstr(g, "created") || isync_json_gen_bool(g, s->created) ||
             isync_json_gen_cstr(g, "dry_run") || isync_json_gen_bool(g, s->dry_run) ||
             isync_json_gen_cstr(g, "requests") || isync_json_gen_integer(g, s->requests) ||
             gen_strvec(g, "fields_pushed", &s->pushed) || gen_strvec(g, "fields_pulled", &s->pulled) ||
             gen_strvec(g, "companies_upserted", &s->upserted) ||
             gen_strvec(g, "companies_attached", &s->attached_now) ||
             gen_strvec(g, "companies_detached", &s->detached_now) ||
             gen_strvec(g, "leads_merged", &s->merged) || gen_strvec(g, "warnings", &s->warnings) ||
             gen_opt_str(g, "remote_timezone", timezone);

    /* local updates of the user: only what changed */
    rc = rc || isync_json_gen_cstr(g, "user") || isync_json_gen_map_open(g);
    if (!rc && s->contact_id && !s->dry_run && (!stored || strcmp(stored, s->contact_id) != 0)) {
        rc = gen_key_str(g, "intercom_user_id", s->contact_id);
    }
    if (!rc && s->pull_name) rc = gen_key_str(g, "name", s->pull_name);
    if (!rc && s->pull_phone) rc = gen_key_str(g, "phone", s->pull_phone);
    if (!rc && s->has_last_request) {
        rc = isync_json_gen_cstr(g, "last_request_at") || isync_json_gen_integer(g, s->last_request_at);
    }
    rc = rc || isync_json_gen_map_close(g);

    /* local updates of teams: ids learned and digests of what was pushed */
    rc = rc || isync_json_gen_cstr(g, "teams") || isync_json_gen_array_open(g);
    for (size_t i = 0; !rc && !s->dry_run && i < s->n_owned; i++) {
        if (!s->owned_learned[i]) continue;
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "id", team_id(owned_team(s, i))) ||
             isync_json_gen_cstr(g, "owned") || isync_json_gen_bool(g, 1) ||
             gen_opt_str(g, "intercom_company_id", s->owned_ids[i]) ||
             gen_opt_str(g, "intercom_company_digest", s->owned_digests[i]) || isync_json_gen_map_close(g);
    }
    for (size_t j = 0; !rc && !s->dry_run && j < s->n_member; j++) {
        if (!s->member_learned[j]) continue;
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "id", team_id(member_team(s, j))) ||
             isync_json_gen_cstr(g, "owned") || isync_json_gen_bool(g, 0) ||
             gen_opt_str(g, "intercom_company_id", s->member_ids[j]) || isync_json_gen_map_close(g);
    }
    rc = rc || isync_json_gen_array_close(g);

    /* attribute definitions seen on the server, for the process-wide cache */
    rc = rc || isync_json_gen_cstr(g, "attributes") || isync_json_gen_map_open(g);
    for (int m = 0; !rc && m < 2; m++) {
        rc = isync_json_gen_cstr(g, model_names[m]) || isync_json_gen_map_open(g);
        for (size_t i = 0; !rc && i < s->attrs[m].len; i++) {
            if (!s->attrs[m].items[i].from_server) continue;
            rc = gen_key_str(g, s->attrs[m].items[i].name, s->attrs[m].items[i].type);
        }
        rc = rc || isync_json_gen_map_close(g);
    }
    rc = rc || isync_json_gen_map_close(g);
    rc = rc || isync_json_gen_map_close(g);

    if (!rc) {
        const char *text;
        size_t len;
        isync_json_gen_result(g, &text, &len);
        /* splice the planned writes in before the closing brace */
        rc = isync_buf_append(out, text, len - 1) || isync_buf_append_str(out, ",\"planned\":[") ||
             isync_buf_append(out, s->planned.data ? s->planned.data : "", s->planned.len) ||
             isync_buf_append_str(out, "]}");
    }
    isync_json_gen_free(g);
    return rc ? -1 : 0;
}

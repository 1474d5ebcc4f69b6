/*
 * The snapshot of one app user, parsed once into a struct (strings point into the document,
 * which the struct owns), checked once so the steps can rely on its shape; and the small
 * containers and JSON helpers the engine's files share.
 *
 * Snapshot (JSON, built by the Ruby layer from the app's user):
 *   {"external_id": "42", "intercom_id": "5f..."|null, "email", "name", "phone": str|null,
 *    "signed_up_at": int|null, "last_seen_at": int|null, "from_oauth": bool, "now": int,
 *    "custom_attributes": {...},
 *    "teams": [{"id": "7", "intercom_company_id": str|null}],
 *    "owned_teams": [{"id": "7", "intercom_company_id": str|null, "digest": str|null,
 *                     "company": {"name", "remote_created_at", "monthly_spend", "custom_attributes"}}],
 *    "known_attributes": {"contact": {"name": "type"}, "company": {...}} (optional cache),
 *    "contact": {...}|"{...}"|null (optional: the user's contact from a bulk GET /contacts page,
 *               as an object or as its JSON text, which is how the bulk feeder hands it over),
 *    "known_absent": bool (optional: a full read of the contacts just now did not have the user),
 *    "options": {"unknown_attributes": "create"|"skip"|"raise", "lead_window": 86400,
 *                "max_pages": 50}}
 */
#include "isync_engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const isync_model_names[MODEL_COUNT] = {"contact", "company"};
const char *const isync_company_fields[COMPANY_FIELD_COUNT] = {"name", "remote_created_at", "monthly_spend"};

/* ---------------------------------------------------------------------------------------- */
/* Containers */

char *dup_str(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

int strvec_push(strvec *v, const char *s)
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

int strvec_has(const strvec *v, const char *s) { return isync_set_get(&v->index, s, strlen(s), NULL); }

int strvec_add_unique(strvec *v, const char *s) { return strvec_has(v, s) ? 0 : strvec_push(v, s); }

void strvec_free(strvec *v)
{
    for (size_t i = 0; i < v->len; i++) free(v->items[i]);
    free(v->items);
    isync_set_free(&v->index);
    memset(v, 0, sizeof(*v));
}

/* ---------------------------------------------------------------------------------------- */
/* JSON helpers */

const char *nonempty_str(const isync_json *v)
{
    return (v && v->type == ISYNC_JSON_STRING && v->u.str.len > 0) ? v->u.str.ptr : NULL;
}

/* A string with a NUL inside (JSON allows \u0000) would be cut short as a C string. */
int has_nul(const isync_json *v)
{
    return v && v->type == ISYNC_JSON_STRING && strlen(v->u.str.ptr) != v->u.str.len;
}

/* An id a server gave us that we may put in a request: a non-empty string, whole as a C string
 * (an id "c\u0000../x" must never become "c"), and not a dot segment once decoded. */
const char *usable_id(const isync_json *v)
{
    const char *id = nonempty_str(v);
    if (!id || has_nul(v) || isync_url_dot_segment(id, v->u.str.len)) return NULL;
    return id;
}

/* Why usable_id refused v, for messages. */
const char *unusable_why(const isync_json *v)
{
    if (!nonempty_str(v)) return "no id";
    return has_nul(v) ? "an id with a NUL byte" : "an id that is a dot segment";
}

int get_int(const isync_json *v, long long *out)
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

const isync_json *array_at(const isync_json *a, size_t i)
{
    return (a && a->type == ISYNC_JSON_ARRAY && i < a->u.list.len) ? a->u.list.values[i] : NULL;
}

size_t array_len(const isync_json *a) { return (a && a->type == ISYNC_JSON_ARRAY) ? a->u.list.len : 0; }

/* ---------------------------------------------------------------------------------------- */
/* Parsing */

static const isync_json *field(const snapshot *snap, const char *key) { return isync_json_get(snap->doc, key); }

static int is_true(const isync_json *v) { return v && v->type == ISYNC_JSON_TRUE; }

static has_int int_field(const snapshot *snap, const char *key)
{
    has_int out = {0, 0, 0};
    const isync_json *v = field(snap, key);
    out.present = v && v->type != ISYNC_JSON_NULL && !(v->type == ISYNC_JSON_STRING && v->u.str.len == 0);
    out.known = get_int(field(snap, key), &out.value);
    return out;
}

/* The user's own fields: strings or null, no NUL, and the two that go into paths no dot
 * segment (refused before any request, even the attribute lists). */
static int check_user_strings(const snapshot *snap, isync_error *e)
{
    const char *keys[] = {"email", "name", "phone", "intercom_id", "external_id"};
    for (size_t i = 0; i < 5; i++) {
        const isync_json *v = field(snap, keys[i]);
        if (v && v->type != ISYNC_JSON_STRING && v->type != ISYNC_JSON_NULL) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s must be a string or null", keys[i]);
        }
        if (has_nul(v)) return isync_error_set(e, ISYNC_E_INPUT, "%s contains a NUL byte", keys[i]);
        if (i >= 3 && v && v->type == ISYNC_JSON_STRING && isync_url_dot_segment(v->u.str.ptr, v->u.str.len)) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s \"%s\" cannot be used in a request path (a dot segment)",
                                   keys[i], v->u.str.ptr);
        }
    }
    const isync_json *contact = field(snap, "contact");
    if (contact && contact->type != ISYNC_JSON_OBJECT && contact->type != ISYNC_JSON_NULL &&
        contact->type != ISYNC_JSON_STRING) {
        return isync_error_set(e, ISYNC_E_INPUT, "contact must be an object, its JSON text, or null");
    }
    const isync_json *custom = field(snap, "custom_attributes");
    if (custom && custom->type != ISYNC_JSON_OBJECT && custom->type != ISYNC_JSON_NULL) {
        return isync_error_set(e, ISYNC_E_INPUT, "custom_attributes must be an object");
    }
    return 0;
}

/* Checks one team list; its length in *n. */
static int check_teams(const snapshot *snap, const char *key, size_t *n, isync_error *e)
{
    const isync_json *a = field(snap, key);
    if (a && a->type != ISYNC_JSON_ARRAY && a->type != ISYNC_JSON_NULL) {
        return isync_error_set(e, ISYNC_E_INPUT, "%s must be an array", key);
    }
    *n = array_len(a);
    for (size_t i = 0; i < *n; i++) {
        const isync_json *team = array_at(a, i);
        if (!nonempty_str(isync_json_get(team, "id"))) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s[%zu] has no id", key, i);
        }
        if (has_nul(isync_json_get(team, "id")) || has_nul(isync_json_get(team, "intercom_company_id"))) {
            return isync_error_set(e, ISYNC_E_INPUT, "%s[%zu] has an id with a NUL byte", key, i);
        }
    }
    return 0;
}

static int load_teams(snapshot *snap, isync_error *e)
{
    if (check_teams(snap, "teams", &snap->n_member, e) || check_teams(snap, "owned_teams", &snap->n_owned, e)) {
        return -1;
    }
    const isync_json *teams = field(snap, "teams");
    snap->knows_membership = teams && teams->type != ISYNC_JSON_NULL;
    snap->members = calloc(snap->n_member + 1, sizeof(*snap->members));
    snap->owned = calloc(snap->n_owned + 1, sizeof(*snap->owned));
    if (!snap->members || !snap->owned) return isync_error_set(e, ISYNC_E_NOMEM, "out of memory in the sync engine");
    for (size_t j = 0; j < snap->n_member; j++) {
        const isync_json *t = array_at(teams, j);
        snap->members[j].id = nonempty_str(isync_json_get(t, "id"));
        snap->members[j].stored_company_id = nonempty_str(isync_json_get(t, "intercom_company_id"));
    }
    const isync_json *owned = field(snap, "owned_teams");
    for (size_t i = 0; i < snap->n_owned; i++) {
        const isync_json *t = array_at(owned, i);
        owned_team *o = &snap->owned[i];
        o->id = nonempty_str(isync_json_get(t, "id"));
        o->stored_company_id = nonempty_str(isync_json_get(t, "intercom_company_id"));
        o->stored_digest = nonempty_str(isync_json_get(t, "digest"));
        const isync_json *company = isync_json_get(t, "company");
        for (size_t k = 0; k < COMPANY_FIELD_COUNT; k++) o->fields[k] = isync_json_get(company, isync_company_fields[k]);
        o->custom = isync_json_get(company, "custom_attributes");
        /* looked up by id once per member team: an index, not a scan */
        if (!isync_set_get(&snap->owned_by_id, o->id, strlen(o->id), NULL) &&
            isync_set_put(&snap->owned_by_id, o->id, strlen(o->id), i)) {
            return isync_error_set(e, ISYNC_E_NOMEM, "out of memory in the sync engine");
        }
    }
    return 0;
}

/* The index in names of the choice options[key] makes (names[0] when there is none), or -1
 * with e set when it is not one of them (a string the gem would never send, or no string). */
static int option_choice(const isync_json *options, const char *key, const char *const *names, int count,
                         const char *choices, isync_error *e)
{
    const isync_json *value = isync_json_get(options, key);
    if (!value) return 0;
    const char *chosen = nonempty_str(value);
    for (int i = 0; chosen && i < count; i++) {
        if (strcmp(chosen, names[i]) == 0) return i;
    }
    return isync_error_set(e, ISYNC_E_INPUT, "%s must be %s", key, choices);
}

static int load_options(snapshot *snap, isync_error *e)
{
    const isync_json *options = field(snap, "options");
    static const char *const policies[] = {"create", "skip", "raise"}; /* unknown_policy's order */
    int policy = option_choice(options, "unknown_attributes", policies, 3, "create, skip or raise", e);
    if (policy < 0) return -1;
    snap->policy = (unknown_policy)policy;
    static const char *const firsts[] = {"all_users", "recent_users", "never"}; /* create_first's order */
    int first = option_choice(options, "create_first", firsts, 3, "all_users, recent_users or never", e);
    if (first < 0) return -1;
    snap->create_first = (create_first)first;
    long long n;
    snap->lead_window = get_int(isync_json_get(options, "lead_window"), &n) ? n : DEFAULT_LEAD_WINDOW;
    snap->max_pages = get_int(isync_json_get(options, "max_pages"), &n) && n > 0 ? (long)n : DEFAULT_MAX_PAGES;
    return 0;
}

/* The prefetched contact: an object in the snapshot, or the JSON text of one (a document of
 * its own, which the snapshot owns). */
static int load_prefetched(snapshot *snap, isync_error *e)
{
    const isync_json *contact = field(snap, "contact");
    if (contact && contact->type == ISYNC_JSON_STRING) {
        if (!(snap->contact_doc = isync_json_parse(contact->u.str.ptr, contact->u.str.len, e))) {
            char why[sizeof(e->message)];
            snprintf(why, sizeof(why), "%s", e->message);
            return isync_error_set(e, ISYNC_E_INPUT, "contact: %s", why);
        }
        contact = snap->contact_doc;
        if (contact->type != ISYNC_JSON_OBJECT) return isync_error_set(e, ISYNC_E_INPUT, "contact must be an object");
    }
    snap->prefetched = contact && contact->type == ISYNC_JSON_OBJECT ? contact : NULL;
    return 0;
}

int snapshot_parse(snapshot *snap, const char *json, size_t len, isync_error *e)
{
    memset(snap, 0, sizeof(*snap));
    if (!(snap->doc = isync_json_parse(json, len, e))) {
        char why[sizeof(e->message)];
        snprintf(why, sizeof(why), "%s", e->message);
        return isync_error_set(e, ISYNC_E_INPUT, "snapshot: %s", why); /* cut between characters */
    }
    if (snap->doc->type != ISYNC_JSON_OBJECT) return isync_error_set(e, ISYNC_E_INPUT, "snapshot must be a JSON object");
    if (!(snap->external_id = nonempty_str(field(snap, "external_id")))) {
        return isync_error_set(e, ISYNC_E_INPUT, "the user has no id to use as external_id");
    }
    if (!get_int(field(snap, "now"), &snap->now)) return isync_error_set(e, ISYNC_E_INPUT, "snapshot lacks \"now\"");
    if (check_user_strings(snap, e)) return -1;
    /* the order of the checks is the order of the messages a bad snapshot gets */
    if (load_teams(snap, e)) return -1;
    snap->intercom_id = nonempty_str(field(snap, "intercom_id"));
    snap->email = nonempty_str(field(snap, "email"));
    snap->name = nonempty_str(field(snap, "name"));
    snap->name_value = field(snap, "name");
    snap->phone = nonempty_str(field(snap, "phone"));
    snap->signed_up_at = int_field(snap, "signed_up_at");
    snap->last_seen_at = int_field(snap, "last_seen_at");
    snap->from_oauth = is_true(field(snap, "from_oauth"));
    snap->known_absent = is_true(field(snap, "known_absent"));
    snap->custom = field(snap, "custom_attributes");
    if (load_prefetched(snap, e)) return -1;
    for (int model = 0; model < MODEL_COUNT; model++) {
        snap->known_attributes[model] = isync_json_get(field(snap, "known_attributes"), isync_model_names[model]);
    }
    return load_options(snap, e);
}

int snapshot_is_fresh(const snapshot *snap)
{
    if (!snap->signed_up_at.known) return 0;
    long long age;
    /* both come from the app: a difference that does not fit is far in the past or the future */
    if (__builtin_sub_overflow(snap->now, snap->signed_up_at.value, &age)) return snap->signed_up_at.value > snap->now;
    return age < snap->lead_window;
}

int snapshot_creates_first(const snapshot *snap)
{
    switch (snap->create_first) {
    case CREATE_FIRST_ALL: return 1;
    case CREATE_FIRST_RECENT: return snapshot_is_fresh(snap);
    case CREATE_FIRST_NEVER: break;
    }
    return 0;
}

void snapshot_free(snapshot *snap)
{
    isync_json_free(snap->doc);
    isync_json_free(snap->contact_doc);
    free(snap->members);
    free(snap->owned);
    isync_set_free(&snap->owned_by_id);
    memset(snap, 0, sizeof(*snap));
}

const isync_json *custom_of(const snapshot *snap, int model, size_t i)
{
    if (model == MODEL_CONTACT) return snap->custom;
    return i < snap->n_owned ? snap->owned[i].custom : NULL;
}

/*
 * Custom attributes: the definitions Intercom has (cached, listed, created), the plan for
 * the unknown ones (create, skip or raise), and the values coerced to Intercom's types.
 *
 * Create is safe to repeat: a repeat answers "already have", which means it exists.
 */
#include "isync_engine.h"

#include <stdlib.h>
#include <string.h>

attr_def *attr_find(attr_set *set, const char *name)
{
    size_t i;
    return isync_set_get(&set->index, name, strlen(name), &i) ? &set->items[i] : NULL;
}

int attr_put(attr_set *set, const char *name, const char *type, int from_server)
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

void attr_set_free(attr_set *set)
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
/* Values: inference and coercion to Intercom's types */

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

typedef enum { COERCE_AS_IS, COERCE_TEXT, COERCE_INTEGER, COERCE_DROP } coercion;

/* How v fits the attribute's type: strings take any scalar as text, integers and dates take
 * whole numbers (floats are truncated, *n), floats take numbers, booleans only booleans. */
static coercion coerce(const char *type, const isync_json *v, long long *n)
{
    if (v->type == ISYNC_JSON_NULL) return COERCE_AS_IS;
    if (strcmp(type, "string") == 0 || strcmp(type, "options") == 0) {
        return v->type == ISYNC_JSON_STRING ? COERCE_AS_IS : COERCE_TEXT;
    }
    if (strcmp(type, "integer") == 0 || strcmp(type, "date") == 0 || strcmp(type, "datetime") == 0) {
        if (v->type == ISYNC_JSON_INTEGER || v->type == ISYNC_JSON_BIGNUM) return COERCE_AS_IS;
        return v->type == ISYNC_JSON_DOUBLE && get_int(v, n) ? COERCE_INTEGER : COERCE_DROP;
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

/* The JSON text of v as a string value (arrays, objects, numbers, booleans as text). A failed
 * allocation is NoMemoryError's, not an EncodeError blaming the app's data. */
static int gen_as_text(isync_json_gen *g, const isync_json *v, isync_error *e)
{
    isync_json_gen *t = isync_json_gen_new();
    if (!t) return fail_nomem(e);
    const isync_json_gen *failed = isync_json_gen_value(t, v) ? t : NULL;
    if (!failed) {
        const char *text;
        size_t len;
        isync_json_gen_result(t, &text, &len);
        if (isync_json_gen_string(g, text, len)) failed = g;
    }
    int rc = failed ? isync_error_set(e, ISYNC_E_ENCODE, "custom attributes: %s", isync_json_gen_error(failed)) : 0;
    isync_json_gen_free(t);
    return rc;
}

/* Whether the coerced value equals the contact's current one (compared as the value sent). */
static int same_value(coercion c, const isync_json *v, long long n, const isync_json *current)
{
    isync_json sent = {0};
    if (c == COERCE_AS_IS) return isync_json_equal(v, current);
    if (c == COERCE_INTEGER) {
        sent.type = ISYNC_JSON_INTEGER;
        sent.u.integer = n;
        return isync_json_equal(&sent, current);
    }
    isync_json_gen *t = isync_json_gen_new(); /* COERCE_TEXT */
    int same = 0;
    if (t && isync_json_gen_value(t, v) == 0) {
        const char *text;
        size_t len;
        isync_json_gen_result(t, &text, &len);
        sent.type = ISYNC_JSON_STRING;
        sent.u.str.ptr = (char *)text; /* read only, for the comparison */
        sent.u.str.len = len;
        same = isync_json_equal(&sent, current);
    }
    isync_json_gen_free(t);
    return same;
}

/* Writes the custom attributes of one record as a JSON object into g, coerced to Intercom's
 * types. With compare_to (the record's current custom attributes), only changed values are
 * written, and *changed counts them. */
int attrs_gen_custom(isync_sync *s, isync_json_gen *g, int model, const isync_json *values,
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
            if (warn(s, e, "'%s' is a standard Intercom %s field, not a custom attribute; not sent", name,
                     isync_model_names[model])) {
                return -1;
            }
            continue;
        }
        long long n = 0;
        coercion c = coerce(def->type, v, &n);
        if (c == COERCE_DROP) {
            if (warn(s, e, "custom attribute '%s' is a %s in Intercom; this value cannot be stored there and was not sent",
                     name, def->type)) {
                return -1;
            }
            continue;
        }
        if (compare_to) {
            if (same_value(c, v, n, isync_json_get(compare_to, name))) continue;
            (*changed)++;
        }
        if (isync_json_gen_cstr(g, name)) goto gen_error;
        if (c == COERCE_TEXT) {
            if (gen_as_text(g, v, e)) return -1;
        } else if (c == COERCE_INTEGER ? isync_json_gen_integer(g, n) : isync_json_gen_value(g, v)) {
            goto gen_error;
        }
    }
    if (isync_json_gen_map_close(g)) goto gen_error;
    return 0;
gen_error:
    return isync_error_set(e, ISYNC_E_ENCODE, "custom attributes: %s", isync_json_gen_error(g));
}

/* ---------------------------------------------------------------------------------------- */
/* The plan */

/* The custom attribute names of a model that Intercom does not know yet. */
static int unknown_attributes(isync_sync *s, int model, strvec *out, isync_error *e)
{
    size_t records = model == MODEL_CONTACT ? 1 : s->snap.n_owned;
    for (size_t r = 0; r < records; r++) {
        const isync_json *values = custom_of(&s->snap, model, r);
        for (size_t i = 0; values && values->type == ISYNC_JSON_OBJECT && i < values->u.list.len; i++) {
            const char *name = values->u.list.keys[i].ptr;
            if (values->u.list.values[i]->type == ISYNC_JSON_NULL) continue;
            if (attr_find(&s->attrs[model], name)) continue;
            if (strvec_add_unique(out, name)) return fail_nomem(e);
        }
    }
    return 0;
}

/* Attribute lists are read only when a custom attribute is not known yet. */
int attrs_need_list(isync_sync *s, int model, int *need, isync_error *e)
{
    strvec unknown = {0};
    int rc = unknown_attributes(s, model, &unknown, e);
    *need = unknown.len > 0;
    strvec_free(&unknown);
    return rc;
}

int attrs_load_known(isync_sync *s, isync_error *e)
{
    for (int model = 0; model < MODEL_COUNT; model++) {
        const isync_json *defs = s->snap.known_attributes[model];
        for (size_t i = 0; defs && defs->type == ISYNC_JSON_OBJECT && i < defs->u.list.len; i++) {
            const isync_json *type = defs->u.list.values[i];
            if (type->type != ISYNC_JSON_STRING) continue;
            if (s->attrs[model].len >= ISYNC_MAX_ATTRIBUTES) break; /* the cache is bounded too */
            if (attr_put(&s->attrs[model], defs->u.list.keys[i].ptr, type->u.str.ptr, 1)) return fail_nomem(e);
        }
    }
    return 0;
}

/* The first non-null value of a custom attribute, to infer its type from. */
static const isync_json *sample_value(isync_sync *s, int model, const char *name)
{
    size_t records = model == MODEL_CONTACT ? 1 : s->snap.n_owned;
    for (size_t r = 0; r < records; r++) {
        const isync_json *v = isync_json_get(custom_of(&s->snap, model, r), name);
        if (v && v->type != ISYNC_JSON_NULL) return v;
    }
    return NULL;
}

/* What the policy does with one unknown attribute. */
static int plan_unknown(isync_sync *s, int model, const char *name, isync_error *e)
{
    switch (s->snap.policy) {
    case POLICY_RAISE:
        return isync_error_set(e, ISYNC_E_ATTRIBUTE,
                               "custom %s attribute '%s' is not defined in Intercom (unknown_attributes is :raise)",
                               isync_model_names[model], name);
    case POLICY_SKIP:
        if (strvec_push(&s->skipped[model], name)) return fail_nomem(e);
        return warn(s, e, "custom %s attribute '%s' is not defined in Intercom; not sent", isync_model_names[model],
                    name);
    case POLICY_CREATE:
        break;
    }
    const char *type = infer_type(sample_value(s, model, name));
    return queue(s, QUEUE_FRONT, (op){.kind = OP_CREATE_ATTR, .model = model, .arg = name, .arg2 = type}, e);
}

int plan_attributes(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    for (int model = MODEL_COMPANY; model >= MODEL_CONTACT; model--) {
        strvec unknown = {0};
        int rc = unknown_attributes(s, model, &unknown, e);
        for (size_t i = 0; !rc && i < unknown.len; i++) rc = plan_unknown(s, model, unknown.items[i], e);
        strvec_free(&unknown);
        if (rc) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The steps */

int build_list_attrs(isync_sync *s, const op *o, isync_error *e)
{
    return set_path(s, e, "/data_attributes?model=", isync_model_names[o->model], NULL);
}

int on_list_attrs(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    const isync_json *data = isync_json_get(doc, "data");
    attr_set *set = &s->attrs[o->model];
    int rc = 0;
    for (size_t i = 0; !rc && i < array_len(data); i++) {
        const isync_json *a = array_at(data, i);
        const isync_json *namev = isync_json_get(a, "name"), *typev = isync_json_get(a, "data_type");
        const char *name = nonempty_str(namev);
        const char *type = nonempty_str(typev);
        const isync_json *custom = isync_json_get(a, "custom");
        if (custom && custom->type == ISYNC_JSON_FALSE) type = STANDARD_TYPE;
        if (!name || !type || has_nul(namev) || has_nul(typev)) continue; /* "plan\u0000x" is not "plan" */
        if (set->len >= ISYNC_MAX_ATTRIBUTES && !attr_find(set, name)) {
            /* a real workspace has a few hundred; the rest are treated as unknown (a create of
             * one that exists answers "already have", which is adopted) */
            rc = warn(s, e, "Intercom listed more than %d %s data attributes; only the first %d are used",
                      ISYNC_MAX_ATTRIBUTES, isync_model_names[o->model], ISYNC_MAX_ATTRIBUTES);
            break;
        }
        if (attr_put(set, name, type, 1)) rc = fail_nomem(e);
    }
    isync_json_free(doc);
    return rc;
}

int build_create_attr(isync_sync *s, const op *o, isync_error *e)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = isync_json_gen_map_open(g) || gen_key_str(g, "name", o->arg) ||
             gen_key_str(g, "model", isync_model_names[o->model]) || gen_key_str(g, "data_type", o->arg2) ||
             isync_json_gen_map_close(g);
    rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "attribute name: %s", isync_json_gen_error(g)) : take_body(s, g, e);
    isync_json_gen_free(g);
    return rc || set_path(s, e, "/data_attributes", NULL, NULL);
}

int on_create_attr(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    isync_json_free(doc);
    return attr_put(&s->attrs[o->model], o->arg, o->arg2, !s->dry_run) ? fail_nomem(e) : 0;
}

recovery create_attr_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if (!is_status(outcome, 400) || !strstr(outcome->message, "already have")) return NOT_RECOVERED;
    return attr_put(&s->attrs[o->model], o->arg, o->arg2, 1) ? (fail_nomem(e), RECOVERY_FAILED) : RECOVERED;
}

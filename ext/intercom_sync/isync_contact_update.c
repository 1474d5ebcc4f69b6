/*
 * Steps 4-6 of the plan: pull Intercom's name and phone into the app's blanks, and push what
 * differs in one PUT of absolute values (safe to repeat).
 */
#include "isync_engine.h"

#include <string.h>

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
int plan_pulls(isync_sync *s, isync_error *e)
{
    const isync_json *c = s->contact;
    if (!c || s->snap.from_oauth) return 0;
    const isync_json *their_name = isync_json_get(c, "name");
    if (!s->pull_name && !s->snap.name && trimmed_chars(their_name) > 1) {
        if (!(s->pull_name = dup_str(their_name->u.str.ptr)) || strvec_push(&s->pulled, "name")) return fail_nomem(e);
    }
    const char *their_phone = nonempty_str(isync_json_get(c, "phone"));
    if (!s->pull_phone && !s->snap.phone && their_phone) {
        if (!(s->pull_phone = dup_str(their_phone)) || strvec_push(&s->pulled, "phone")) return fail_nomem(e);
    }
    return 0;
}

/* Adds "key": value to the update and names the field as pending. */
static int put_str(isync_sync *s, isync_json_gen *g, const char *key, const char *value)
{
    return gen_key_str(g, key, value) || strvec_push(&s->pending_fields, key);
}

static int put_int(isync_sync *s, isync_json_gen *g, const char *key, long long value)
{
    return isync_json_gen_cstr(g, key) || isync_json_gen_integer(g, value) || strvec_push(&s->pending_fields, key);
}

static int differs(const char *ours, const char *theirs) { return !theirs || strcmp(ours, theirs) != 0; }

/* The identity fields of the update. An adopted email-only contact gets our external_id, so it
 * is found by it from now on; a lead (not expected: Intercom does not count leads as
 * duplicates of a user) also becomes a user, the one role change Intercom allows. */
static int put_identity(isync_sync *s, isync_json_gen *g)
{
    const snapshot *u = &s->snap;
    const isync_json *c = s->contact;
    const char *their_email = nonempty_str(isync_json_get(c, "email"));
    const char *their_role = nonempty_str(isync_json_get(c, "role"));
    const char *their_ext = nonempty_str(isync_json_get(c, "external_id"));
    long long theirs;
    return (u->email && differs(u->email, their_email) && put_str(s, g, "email", u->email)) ||
           (differs(u->external_id, their_ext) && put_str(s, g, "external_id", u->external_id)) ||
           (their_role && strcmp(their_role, "user") != 0 && put_str(s, g, "role", "user")) ||
           (u->signed_up_at.known &&
            (!get_int(isync_json_get(c, "signed_up_at"), &theirs) || theirs != u->signed_up_at.value) &&
            put_int(s, g, "signed_up_at", u->signed_up_at.value));
}

/* Last seen: the later of ours and theirs, on both sides. */
static int put_last_seen(isync_sync *s, isync_json_gen *g, isync_error *e)
{
    has_int ours = s->snap.last_seen_at;
    long long theirs = 0;
    int have_theirs = get_int(isync_json_get(s->contact, "last_seen_at"), &theirs);
    if (!ours.known && !have_theirs) return 0;
    long long latest = ours.known && have_theirs ? (ours.value > theirs ? ours.value : theirs)
                       : ours.known              ? ours.value
                                                 : theirs;
    if (!s->created && (!have_theirs || theirs != latest) && put_int(s, g, "last_seen_at", latest)) {
        return isync_error_set(e, ISYNC_E_ENCODE, "contact update: %s", isync_json_gen_error(g));
    }
    if (!ours.known || ours.value != latest) {
        s->has_last_request = 1;
        s->last_request_at = latest;
        if (strvec_push(&s->pulled, "last_request_at")) return fail_nomem(e);
    }
    return 0;
}

/* Only changed custom attributes are sent: counted first on a side generator, then written. */
static int put_custom(isync_sync *s, isync_json_gen *g, isync_error *e)
{
    const isync_json *current = isync_json_get(s->contact, "custom_attributes");
    isync_json_gen *counter = isync_json_gen_new();
    size_t changed = 0;
    if (!counter) return fail_nomem(e);
    int rc = attrs_gen_custom(s, counter, MODEL_CONTACT, s->snap.custom, current, &changed, e);
    isync_json_gen_free(counter);
    if (rc || !changed) return rc;
    if (isync_json_gen_cstr(g, "custom_attributes") || strvec_push(&s->pending_fields, "custom_attributes")) {
        return isync_error_set(e, ISYNC_E_ENCODE, "contact update: %s", isync_json_gen_error(g));
    }
    return attrs_gen_custom(s, g, MODEL_CONTACT, s->snap.custom, current, &changed, e);
}

/* Writes the update into g; its fields in s->pending_fields. */
static int gen_update(isync_sync *s, isync_json_gen *g, isync_error *e)
{
    const snapshot *u = &s->snap;
    const isync_json *c = s->contact;
    const char *their_phone = nonempty_str(isync_json_get(c, "phone"));
    /* name and phone: ours are pushed when we have them (pulls are in plan_pulls) */
    if (isync_json_gen_map_open(g) ||
        (u->name && !s->created && !isync_json_equal(u->name_value, isync_json_get(c, "name")) &&
         put_str(s, g, "name", u->name)) ||
        (u->phone && !s->created && differs(u->phone, their_phone) && put_str(s, g, "phone", u->phone))) {
        goto gen_error;
    }
    if (plan_pulls(s, e)) return -1;
    if (!s->created && put_identity(s, g)) goto gen_error;
    if (put_last_seen(s, g, e)) return -1;
    if (!s->created && put_custom(s, g, e)) return -1;
    if (isync_json_gen_map_close(g)) goto gen_error;
    return 0;
gen_error:
    return isync_error_set(e, ISYNC_E_ENCODE, "contact update: %s", isync_json_gen_error(g));
}

int plan_contact(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    strvec_free(&s->pending_fields);
    int rc = gen_update(s, g, e);
    if (!rc && s->pending_fields.len > 0) {
        rc = take_body(s, g, e) || queue(s, QUEUE_BACK, (op){.kind = OP_UPDATE_CONTACT}, e);
    }
    isync_json_gen_free(g);
    if (rc) return -1;
    /* step 7: a user created in the last 24 hours absorbs the leads with the same email */
    if (s->snap.email && snapshot_is_fresh(&s->snap)) {
        return queue(s, QUEUE_BACK, (op){.kind = OP_SEARCH_LEADS, .page = 1}, e);
    }
    return 0;
}

/* The body was built by plan_contact. */
int build_update_contact(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    return set_path(s, e, "/contacts/", s->contact_id, NULL);
}

int push_pending_fields(isync_sync *s, isync_error *e)
{
    for (size_t i = 0; i < s->pending_fields.len; i++) {
        if (strvec_push(&s->pushed, s->pending_fields.items[i])) return fail_nomem(e);
    }
    return 0;
}

int on_update_contact(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    (void)o;
    if (push_pending_fields(s, e)) {
        isync_json_free(doc);
        return -1;
    }
    if (doc && !s->dry_run) return set_contact(s, doc, e);
    isync_json_free(doc);
    return 0;
}

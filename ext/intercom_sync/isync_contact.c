/*
 * Finding the user's contact: the prefetched one from a bulk page, the stored Intercom id
 * (following merged-contact redirects), our external_id, or a create; and adopting the
 * contact a 409 names.
 *
 * Create is strict: a repeat answers 409 naming the existing contact, which we adopt
 * (unarchiving it if needed) instead of creating another.
 *
 * A user with no stored id is created before any lookup (config.create_first: every such user
 * by default, or only those signed up inside the lead window): the job usually runs right after
 * sign-up, when the lookup could only answer 404. When that create conflicts, the lookup it
 * skipped runs then, and only its 404 hands over to the contact the 409 named, so every conflict
 * ends as it would have after a lookup: the contact with our external_id wins over one the 409
 * named for the email, and an archived contact is not unarchived before we know no other is
 * ours. A conflict costs one request more than the lookup would have.
 */
#include "isync_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int set_contact(isync_sync *s, isync_json *doc, isync_error *e)
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

/* The contact is known: read its embedded companies, then plan. */
int adopt_contact(isync_sync *s, isync_json *doc, isync_error *e)
{
    if (set_contact(s, doc, e)) return -1;
    const isync_json *companies = isync_json_get(s->contact, "companies");
    const isync_json *more = isync_json_get(companies, "has_more");
    strvec_free(&s->attached);
    if (more && more->type == ISYNC_JSON_TRUE && s->snap.knows_membership) {
        if (queue(s, QUEUE_BACK, (op){.kind = OP_LIST_COMPANIES, .page = 1}, e)) return -1;
    } else if (learn_attached(s, isync_json_get(companies, "data"), e)) {
        return -1;
    }
    return queue(s, QUEUE_BACK, (op){.kind = OP_PLAN_COMPANIES}, e);
}

/* A bulk sync reads contacts a page at a time (GET /contacts) and hands each user the contact
 * that page returned, so an unchanged user costs no request of its own. It stands in for the
 * find step only when it is visibly this user's (isync_contact_is_users); otherwise the
 * usual lookup runs. Returns 1 when adopted, 0 when not usable, -1 on error. */
static int use_prefetched(isync_sync *s, isync_error *e)
{
    const isync_json *contact = s->snap.prefetched;
    if (!contact) return 0;
    if (!isync_contact_is_users(contact, s->snap.external_id)) {
        return warn(s, e, "the prefetched contact is not this user's; looking the user up") ? -1 : 0;
    }
    isync_json *copy = isync_json_clone(contact);
    if (!copy) return fail_nomem(e);
    return adopt_contact(s, copy, e) ? -1 : 1;
}

int plan_find(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    int used = use_prefetched(s, e);
    if (used) return used < 0 ? -1 : 0;
    const char *stored = s->snap.intercom_id;
    if (!stored && s->snap.known_absent) {
        /* A full read of the contacts just now did not have this user: create right away;
         * should it exist after all, the 409 names it and it is adopted as after any
         * duplicate create. */
        return queue(s, QUEUE_FRONT, (op){.kind = OP_CREATE_CONTACT, .flags = OPF_UNCHECKED}, e);
    }
    if (!stored && !s->dry_run && snapshot_creates_first(&s->snap)) {
        /* Most likely signed up moments ago, as the job usually runs: the lookup could only
         * answer 404, so create first (a 409 runs it then; see the top of this file). A dry run
         * looks up: it must not plan a create for a contact that exists. */
        return queue(s, QUEUE_FRONT, (op){.kind = OP_CREATE_CONTACT, .flags = OPF_CREATE_FIRST}, e);
    }
    return queue(s, QUEUE_FRONT, (op){.kind = stored ? OP_GET_CONTACT : OP_FIND_EXTERNAL, .arg = stored}, e);
}

int build_get_contact(isync_sync *s, const op *o, isync_error *e) { return set_path(s, e, "/contacts/", o->arg, NULL); }

int build_find_external(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    return set_path(s, e, "/contacts/find_by_external_id/", s->snap.external_id, NULL);
}

int build_unarchive(isync_sync *s, const op *o, isync_error *e)
{
    return set_path(s, e, "/contacts/", o->arg, "/unarchive");
}

/* Intercom matches emails without regard to case; the snapshot's email is already trimmed. */
static int same_email(const char *ours, const isync_json *theirs)
{
    const char *b = nonempty_str(theirs);
    return ours && b && strcasecmp(ours, b) == 0;
}

/* A 409 named a contact that belongs to someone else (a shared email), or one without an
 * external_id whose email is not ours: a ConflictError naming it. */
static int conflict(isync_sync *s, const op *o, const char *ext, isync_error *e)
{
    isync_error clash;
    isync_error_clear(&clash);
    clash.kind = ISYNC_E_HTTP;
    clash.http_status = 409;
    snprintf(clash.code, sizeof(clash.code), "conflict");
    isync_text_copy(clash.resource_id, sizeof(clash.resource_id), o->arg, strlen(o->arg));
    isync_text_format(clash.message, sizeof(clash.message),
                      "creating the contact conflicts with Intercom contact %s, which has external_id %s "
                      "(another user with the same email?)", o->arg, ext ? ext : "none and another email");
    return fatal(s, &clash, e);
}

int on_get_contact(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    const char *ext = nonempty_str(isync_json_get(doc, "external_id"));
    int named = (o->flags & OPF_NAMED_BY_CONFLICT) != 0;
    if (!ext && named && same_email(s->snap.email, isync_json_get(doc, "email"))) {
        /* A 409 named a contact with our email and no external_id: made by the Messenger, a
         * CSV import or a teammate, or by the 1.x job, which matched users by email. It is
         * this user's; plan_contact writes our external_id into it with the other fields.
         * The email is compared, not trusted from the 409: a contact with another email
         * (a confused or hostile server) is never taken over. */
        return adopt_contact(s, doc, e);
    }
    if (ext && strcmp(ext, s->snap.external_id) == 0) return adopt_contact(s, doc, e);
    if (named) {
        int rc = conflict(s, o, ext, e); /* ext points into doc */
        isync_json_free(doc);
        return rc;
    }
    isync_json_free(doc);
    if (warn(s, e, "stored Intercom id %s belongs to another contact; looking up by external id", o->arg)) return -1;
    return queue(s, QUEUE_FRONT, (op){.kind = OP_FIND_EXTERNAL}, e);
}

recovery get_contact_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if (o->flags & OPF_NAMED_BY_CONFLICT) return NOT_RECOVERED;
    if (is_status(outcome, 410) && outcome->resource_id[0] && s->hops < MAX_MERGE_HOPS) {
        /* merged into another contact, which the answer names */
        s->hops++;
        return queue(s, QUEUE_FRONT, (op){.kind = OP_GET_CONTACT, .arg = outcome->resource_id}, e) ? RECOVERY_FAILED
                                                                                               : RECOVERED;
    }
    if (is_status(outcome, 404) || is_status(outcome, 410)) {
        /* a stale or merged stored id: find the contact by our own id instead */
        return queue(s, QUEUE_FRONT, (op){.kind = OP_FIND_EXTERNAL}, e) ? RECOVERY_FAILED : RECOVERED;
    }
    return NOT_RECOVERED;
}

int on_find_external(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    (void)o;
    return adopt_contact(s, doc, e);
}

/* Reads the contact a 409 named, unarchiving it first when the 409 said it is archived; it is
 * adopted when it is the user's (on_get_contact). */
static recovery read_named(isync_sync *s, const char *id, int archived, isync_error *e)
{
    if (queue(s, QUEUE_FRONT, (op){.kind = OP_GET_CONTACT, .flags = OPF_NAMED_BY_CONFLICT, .arg = id}, e)) {
        return RECOVERY_FAILED;
    }
    if (archived && queue(s, QUEUE_FRONT, (op){.kind = OP_UNARCHIVE, .arg = id}, e)) return RECOVERY_FAILED;
    return RECOVERED;
}

recovery find_external_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if (!is_status(outcome, 404)) return NOT_RECOVERED;
    if ((o->flags & OPF_CREATE_FIRST) && o->arg) {
        /* a create-first conflicted and no contact has our external_id: the contact the
         * 409 named is read as after any duplicate create */
        return read_named(s, o->arg, (o->flags & OPF_NAMED_ARCHIVED) != 0, e);
    }
    return queue(s, QUEUE_FRONT, (op){.kind = OP_CREATE_CONTACT}, e) ? RECOVERY_FAILED : RECOVERED;
}

/* Records a contact field the create or update will push, when the snapshot has it. */
static int pend(isync_sync *s, int present, const char *name)
{
    return present ? strvec_push(&s->pending_fields, name) : 0;
}

static int gen_key_int(isync_json_gen *g, const char *key, has_int v)
{
    return v.known ? isync_json_gen_cstr(g, key) || isync_json_gen_integer(g, v.value) : 0;
}

/* The create-contact body: everything the update would push, in one request. */
int build_create_contact(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    const snapshot *u = &s->snap;
    strvec_free(&s->pending_fields);
    if (pend(s, u->email != NULL, "email") || pend(s, u->phone != NULL, "phone") || pend(s, u->name != NULL, "name") ||
        pend(s, u->signed_up_at.present, "signed_up_at") || pend(s, u->last_seen_at.present, "last_seen_at") ||
        pend(s, u->custom && u->custom->type == ISYNC_JSON_OBJECT && u->custom->u.list.len > 0, "custom_attributes")) {
        return fail_nomem(e);
    }
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = 0;
    if (isync_json_gen_map_open(g) || gen_key_str(g, "role", "user") || gen_key_str(g, "external_id", u->external_id) ||
        (u->email && gen_key_str(g, "email", u->email)) || (u->phone && gen_key_str(g, "phone", u->phone)) ||
        (u->name && gen_key_str(g, "name", u->name)) || gen_key_int(g, "signed_up_at", u->signed_up_at) ||
        gen_key_int(g, "last_seen_at", u->last_seen_at) || isync_json_gen_cstr(g, "custom_attributes")) {
        rc = isync_error_set(e, ISYNC_E_ENCODE, "contact: %s", isync_json_gen_error(g));
    } else if (attrs_gen_custom(s, g, MODEL_CONTACT, u->custom, NULL, NULL, e)) {
        rc = -1;
    } else if (isync_json_gen_map_close(g)) {
        rc = isync_error_set(e, ISYNC_E_ENCODE, "contact: %s", isync_json_gen_error(g));
    } else {
        rc = take_body(s, g, e);
    }
    isync_json_gen_free(g);
    return rc || set_path(s, e, "/contacts", NULL, NULL);
}

int on_create_contact(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    (void)o;
    s->created = 1;
    if (push_pending_fields(s, e)) {
        isync_json_free(doc);
        return -1;
    }
    if (s->dry_run) {
        isync_json_free(doc); /* (none: the create was only recorded) */
        return queue(s, QUEUE_BACK, (op){.kind = OP_PLAN_COMPANIES}, e);
    }
    return adopt_contact(s, doc, e);
}

recovery create_contact_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if (is_status(outcome, 409) && (o->flags & OPF_CREATE_FIRST)) {
        /* a create-first found a contact: the lookup it skipped runs now (the 409 may
         * name a contact that only shares our email while another has our external_id) */
        unsigned flags = OPF_CREATE_FIRST | (outcome->archived ? OPF_NAMED_ARCHIVED : 0u);
        const char *named = outcome->resource_id[0] ? outcome->resource_id : NULL;
        op lookup = {.kind = OP_FIND_EXTERNAL, .flags = flags, .arg = named};
        return queue(s, QUEUE_FRONT, lookup, e) ? RECOVERY_FAILED : RECOVERED;
    }
    if (is_status(outcome, 409) && outcome->resource_id[0]) {
        /* it exists already (a concurrent job, or a retried create): adopt it */
        return read_named(s, outcome->resource_id, outcome->archived, e);
    }
    if (is_status(outcome, 409) && (o->flags & OPF_UNCHECKED)) {
        /* an unchecked create whose conflict names no contact: look the user up after all */
        return queue(s, QUEUE_FRONT, (op){.kind = OP_FIND_EXTERNAL}, e) ? RECOVERY_FAILED : RECOVERED;
    }
    return NOT_RECOVERED;
}

/*
 * The user's teams as Intercom companies: the contact's companies beyond the ten embedded,
 * upserts (only for changed owned teams and member teams without an id), then attach/detach.
 *
 * Why each write is safe to repeat:
 *   upsert company: keyed by company_id, a repeat writes the same values;
 *   attach:         attaching an attached company changes nothing;
 *   detach:         a repeat answers 404 (or 200), both mean "not attached".
 */
#include "isync_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds the companies of a list (embedded in the contact, or a page of them) to s->attached.
 * An id we cannot put in a path is skipped with a warning (it cannot be detached); more
 * companies than ISYNC_MAX_COMPANIES is refused: Intercom allows 1,000 per contact, so such a
 * list is not Intercom's, and it would cost a detach request per company. */
int learn_attached(isync_sync *s, const isync_json *data, isync_error *e)
{
    for (size_t i = 0; i < array_len(data); i++) {
        const isync_json *idv = isync_json_get(array_at(data, i), "id");
        const char *cid = usable_id(idv);
        if (!cid) {
            if (nonempty_str(idv) &&
                warn(s, e, "Intercom listed a company of the contact with %s; ignored", unusable_why(idv))) {
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

int build_list_companies(isync_sync *s, const op *o, isync_error *e)
{
    char suffix[64];
    snprintf(suffix, sizeof(suffix), "/companies?per_page=%d&page=%ld", COMPANIES_PER_PAGE, o->page);
    return set_path(s, e, "/contacts/", s->contact_id, suffix);
}

int on_list_companies(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    const isync_json *data = isync_json_get(doc, "data");
    if (!data) data = isync_json_get(doc, "companies"); /* the schema's name for the array */
    int rc = learn_attached(s, data, e);
    const isync_json *next = isync_json_get(isync_json_get(doc, "pages"), "next");
    if (!rc && next && next->type != ISYNC_JSON_NULL && array_len(data) > 0) {
        if (o->page >= s->snap.max_pages) {
            rc = isync_error_set(e, ISYNC_E_PARSE, "the contact's companies did not end after %ld pages",
                                 s->snap.max_pages);
        } else {
            /* before the plan step already queued */
            rc = queue(s, QUEUE_FRONT, (op){.kind = OP_LIST_COMPANIES, .page = o->page + 1}, e);
        }
    }
    isync_json_free(doc);
    return rc;
}

/* The upsert body of owned team i (also the input of its digest) into s->body. */
static int owned_body(isync_sync *s, size_t i, isync_error *e)
{
    const owned_team *team = &s->snap.owned[i];
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = isync_json_gen_map_open(g) || gen_key_str(g, "company_id", team->id);
    for (size_t k = 0; !rc && k < COMPANY_FIELD_COUNT; k++) {
        const isync_json *v = team->fields[k];
        if (!v || v->type == ISYNC_JSON_NULL) continue;
        rc = isync_json_gen_cstr(g, isync_company_fields[k]) || isync_json_gen_value(g, v);
    }
    rc = rc || isync_json_gen_cstr(g, "custom_attributes");
    if (rc) {
        rc = isync_error_set(e, ISYNC_E_ENCODE, "company: %s", isync_json_gen_error(g));
    } else if (attrs_gen_custom(s, g, MODEL_COMPANY, team->custom, NULL, NULL, e)) {
        rc = -1;
    } else if (isync_json_gen_map_close(g)) {
        rc = isync_error_set(e, ISYNC_E_ENCODE, "company: %s", isync_json_gen_error(g));
    } else {
        rc = take_body(s, g, e);
    }
    isync_json_gen_free(g);
    return rc;
}

/* Hex digest of what was pushed for a team: FNV-1a, remembers, not a security measure. */
static void digest_of(const char *data, size_t len, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)isync_fnv1a(ISYNC_FNV_OFFSET, data, len));
}

/* Owned team i: remembers its stored id and the digest of its body; 1 when it must be upserted. */
static int owned_changed(isync_sync *s, size_t i, int *changed, isync_error *e)
{
    const owned_team *team = &s->snap.owned[i];
    if (owned_body(s, i, e)) return -1;
    char digest[17];
    digest_of(s->body.data, s->body.len, digest);
    free(s->owned_digests[i]);
    if (!(s->owned_digests[i] = dup_str(digest))) return fail_nomem(e);
    if (team->stored_company_id && !(s->owned_ids[i] = dup_str(team->stored_company_id))) return fail_nomem(e);
    *changed = !team->stored_company_id || !team->stored_digest || strcmp(team->stored_digest, digest) != 0;
    return 0;
}

int plan_companies(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    const snapshot *u = &s->snap;
    for (size_t i = 0; i < u->n_owned; i++) {
        int changed = 0;
        if (owned_changed(s, i, &changed, e)) return -1;
        if (changed && queue(s, QUEUE_BACK, (op){.kind = OP_UPSERT_OWNED, .team = i}, e)) return -1;
    }
    for (size_t j = 0; j < u->n_member; j++) {
        const member_team *team = &u->members[j];
        if (team->stored_company_id) {
            if (!(s->member_ids[j] = dup_str(team->stored_company_id))) return fail_nomem(e);
            continue;
        }
        if (isync_set_get(&u->owned_by_id, team->id, strlen(team->id), NULL)) continue; /* its twin's id */
        if (queue(s, QUEUE_BACK, (op){.kind = OP_UPSERT_MEMBER, .team = j}, e)) return -1;
    }
    return queue(s, QUEUE_BACK, (op){.kind = OP_PLAN_MEMBERSHIP}, e);
}

int build_upsert_owned(isync_sync *s, const op *o, isync_error *e)
{
    return owned_body(s, o->team, e) || set_path(s, e, "/companies", NULL, NULL);
}

int build_upsert_member(isync_sync *s, const op *o, isync_error *e)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = isync_json_gen_map_open(g) || gen_key_str(g, "company_id", s->snap.members[o->team].id) ||
             isync_json_gen_map_close(g);
    rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "team id: %s", isync_json_gen_error(g)) : take_body(s, g, e);
    isync_json_gen_free(g);
    return rc || set_path(s, e, "/companies", NULL, NULL);
}

/* Records the Intercom company id an upsert answered for a team (none in a dry run). */
static int learn_company(isync_sync *s, isync_json *doc, char **slot, int *learned, const char *team,
                         isync_error *e)
{
    const isync_json *idv = isync_json_get(doc, "id");
    const char *id = s->dry_run ? NULL : usable_id(idv);
    int rc = 0;
    if (!s->dry_run && !id) {
        rc = isync_error_set(e, ISYNC_E_PARSE, "Intercom returned a company with %s", unusable_why(idv));
    } else if (id) {
        char *copy = dup_str(id);
        if (copy) {
            free(*slot);
            *slot = copy;
            *learned = 1;
        }
        rc = copy ? 0 : fail_nomem(e);
    }
    isync_json_free(doc);
    if (rc) return -1;
    return strvec_push(&s->upserted, team) ? fail_nomem(e) : 0;
}

int on_upsert_owned(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    size_t i = o->team;
    return learn_company(s, doc, &s->owned_ids[i], &s->owned_learned[i], s->snap.owned[i].id, e);
}

int on_upsert_member(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    size_t j = o->team;
    return learn_company(s, doc, &s->member_ids[j], &s->member_learned[j], s->snap.members[j].id, e);
}

/* The Intercom id a member team resolves to: its own, or its owned twin's. */
static const char *member_company_id(const isync_sync *s, size_t j)
{
    if (s->member_ids[j]) return s->member_ids[j];
    const char *tid = s->snap.members[j].id;
    size_t i;
    return isync_set_get(&s->snap.owned_by_id, tid, strlen(tid), &i) ? s->owned_ids[i] : NULL;
}

/* The company id to attach for member team j: a placeholder in a dry run that upserted it. */
static const char *attach_id(const isync_sync *s, size_t j, char placeholder[PLACEHOLDER_SIZE])
{
    const char *id = member_company_id(s, j);
    if (id) return id;
    isync_text_format(placeholder, PLACEHOLDER_SIZE, "company-for-team-%s", s->snap.members[j].id);
    return placeholder;
}

int plan_membership(isync_sync *s, const op *o, isync_error *e)
{
    (void)o;
    if (!s->snap.knows_membership) return queue(s, QUEUE_BACK, (op){.kind = OP_PLAN_CONTACT}, e);
    strvec desired = {0};
    int rc = 0;
    for (size_t j = 0; !rc && j < s->snap.n_member; j++) {
        const char *id = member_company_id(s, j);
        if (id && strvec_add_unique(&desired, id)) rc = fail_nomem(e);
        if (!rc && (!id || !strvec_has(&s->attached, id))) {
            rc = queue(s, QUEUE_BACK, (op){.kind = OP_ATTACH, .team = j}, e);
        }
    }
    for (size_t k = 0; !rc && k < s->attached.len; k++) {
        if (strvec_has(&desired, s->attached.items[k])) continue;
        rc = queue(s, QUEUE_BACK, (op){.kind = OP_DETACH, .arg = s->attached.items[k]}, e);
    }
    strvec_free(&desired);
    return rc || queue(s, QUEUE_BACK, (op){.kind = OP_PLAN_CONTACT}, e);
}

int build_attach(isync_sync *s, const op *o, isync_error *e)
{
    char placeholder[PLACEHOLDER_SIZE];
    const char *company = attach_id(s, o->team, placeholder);
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = isync_json_gen_map_open(g) || gen_key_str(g, "id", company) || isync_json_gen_map_close(g);
    rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "company id: %s", isync_json_gen_error(g)) : take_body(s, g, e);
    isync_json_gen_free(g);
    return rc || set_path(s, e, "/contacts/", contact_path_id(s), "/companies");
}

int on_attach(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    char placeholder[PLACEHOLDER_SIZE];
    const char *id = attach_id(s, o->team, placeholder);
    isync_json_free(doc);
    return strvec_add_unique(&s->attached_now, id) || strvec_add_unique(&s->attached, id) ? fail_nomem(e) : 0;
}

recovery attach_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if ((o->flags & OPF_AFTER_REUPSERT) || !is_status(outcome, 404) || strcmp(outcome->code, "company_not_found") != 0) {
        return NOT_RECOVERED;
    }
    /* the stored company id is stale: upsert by company_id, then attach again */
    size_t j = o->team;
    free(s->member_ids[j]);
    s->member_ids[j] = NULL;
    if (queue(s, QUEUE_FRONT, (op){.kind = OP_ATTACH, .team = o->team, .flags = OPF_AFTER_REUPSERT}, e) ||
        queue(s, QUEUE_FRONT, (op){.kind = OP_UPSERT_MEMBER, .team = o->team}, e)) {
        return RECOVERY_FAILED;
    }
    return RECOVERED;
}

int build_detach(isync_sync *s, const op *o, isync_error *e)
{
    if (set_path(s, e, "/contacts/", s->contact_id, "/companies/")) return -1;
    return isync_url_escape_segment(&s->path, o->arg, strlen(o->arg)) ? fail_nomem(e) : 0;
}

int on_detach(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    isync_json_free(doc);
    return strvec_push(&s->detached_now, o->arg) ? fail_nomem(e) : 0;
}

recovery detach_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if (!is_status(outcome, 404)) return NOT_RECOVERED; /* not attached (any more): what we wanted */
    return strvec_push(&s->detached_now, o->arg) ? (fail_nomem(e), RECOVERY_FAILED) : RECOVERED;
}

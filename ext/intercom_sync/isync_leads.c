/*
 * Step 7: a user created inside the lead window absorbs the leads with the same email (a
 * search, a page at a time, then a merge per lead).
 *
 * Merge is safe to repeat: a repeat finds the lead gone (404/410) and is skipped.
 */
#include "isync_engine.h"

#include <string.h>

int build_search_leads(isync_sync *s, const op *o, isync_error *e)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = isync_json_gen_map_open(g) || isync_json_gen_cstr(g, "query") || isync_json_gen_map_open(g) ||
             gen_key_str(g, "operator", "AND") || isync_json_gen_cstr(g, "value") || isync_json_gen_array_open(g) ||
             isync_json_gen_map_open(g) || gen_key_str(g, "field", "email") || gen_key_str(g, "operator", "=") ||
             gen_key_str(g, "value", s->snap.email) || isync_json_gen_map_close(g) || isync_json_gen_map_open(g) ||
             gen_key_str(g, "field", "role") || gen_key_str(g, "operator", "=") || gen_key_str(g, "value", "lead") ||
             isync_json_gen_map_close(g) || isync_json_gen_array_close(g) || isync_json_gen_map_close(g) ||
             isync_json_gen_cstr(g, "pagination") || isync_json_gen_map_open(g) || isync_json_gen_cstr(g, "per_page") ||
             isync_json_gen_integer(g, LEADS_PER_PAGE) || (o->arg && gen_key_str(g, "starting_after", o->arg)) ||
             isync_json_gen_map_close(g) || isync_json_gen_map_close(g);
    rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "lead search: %s", isync_json_gen_error(g)) : take_body(s, g, e);
    isync_json_gen_free(g);
    return rc || set_path(s, e, "/contacts/search", NULL, NULL);
}

/* Queues the merge of each lead on one page; *full once ISYNC_MAX_LEADS are queued. */
static int queue_merges(isync_sync *s, const isync_json *data, int *full, isync_error *e)
{
    for (size_t i = 0; i < array_len(data); i++) {
        const isync_json *c = array_at(data, i);
        const isync_json *idv = isync_json_get(c, "id");
        const char *id = usable_id(idv);
        const char *role = nonempty_str(isync_json_get(c, "role"));
        if (!role || strcmp(role, "lead") != 0) continue;
        if (!id) {
            if (nonempty_str(idv) && warn(s, e, "Intercom found a lead with %s; not merged", unusable_why(idv))) return -1;
            continue;
        }
        if (s->contact_id && strcmp(id, s->contact_id) == 0) continue;
        if (strvec_has(&s->leads, id)) continue;
        if (s->leads.len == ISYNC_MAX_LEADS) {
            /* a merge is a request each: a search answering thousands is not one user's leads */
            *full = 1;
            return warn(s, e, "more than %d leads share this user's email; only the first %d are merged",
                        ISYNC_MAX_LEADS, ISYNC_MAX_LEADS);
        }
        if (strvec_push(&s->leads, id)) return fail_nomem(e);
        if (queue(s, QUEUE_BACK, (op){.kind = OP_MERGE, .arg = id}, e)) return -1;
    }
    return 0;
}

/* The next page, unless this one was the last or the leads are full. */
static int search_next_page(isync_sync *s, const op *o, const isync_json *doc, int full, isync_error *e)
{
    const isync_json *data = isync_json_get(doc, "data");
    const isync_json *next = isync_json_get(isync_json_get(isync_json_get(doc, "pages"), "next"), "starting_after");
    const char *cursor = nonempty_str(next);
    if (has_nul(next)) return isync_error_set(e, ISYNC_E_PARSE, "the lead search answered a cursor with a NUL byte");
    if (full || !cursor || array_len(data) == 0) return 0;
    if (o->page >= s->snap.max_pages) {
        return isync_error_set(e, ISYNC_E_PARSE, "the lead search did not end after %ld pages", s->snap.max_pages);
    }
    return queue(s, QUEUE_FRONT, (op){.kind = OP_SEARCH_LEADS, .page = o->page + 1, .arg = cursor}, e);
}

int on_search_leads(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    int full = 0;
    int rc = queue_merges(s, isync_json_get(doc, "data"), &full, e);
    if (!rc) rc = search_next_page(s, o, doc, full, e);
    isync_json_free(doc);
    return rc;
}

int build_merge(isync_sync *s, const op *o, isync_error *e)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return fail_nomem(e);
    int rc = isync_json_gen_map_open(g) || gen_key_str(g, "from", o->arg) || gen_key_str(g, "into", contact_path_id(s)) ||
             isync_json_gen_map_close(g);
    rc = rc ? isync_error_set(e, ISYNC_E_ENCODE, "lead id: %s", isync_json_gen_error(g)) : take_body(s, g, e);
    isync_json_gen_free(g);
    return rc || set_path(s, e, "/contacts/merge", NULL, NULL);
}

int on_merge(isync_sync *s, const op *o, isync_json *doc, isync_error *e)
{
    if (strvec_push(&s->merged, o->arg)) {
        isync_json_free(doc);
        return fail_nomem(e);
    }
    if (doc && !s->dry_run && nonempty_str(isync_json_get(doc, "id"))) {
        /* the merge answers with the user, now holding what the lead knew */
        return set_contact(s, doc, e) || plan_pulls(s, e) ? -1 : 0;
    }
    isync_json_free(doc);
    return 0;
}

recovery merge_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e)
{
    if (is_status(outcome, 404) || is_status(outcome, 410)) return RECOVERED; /* merged already */
    if (is_status(outcome, 400) && strcmp(outcome->code, "invalid_merge") == 0) {
        return warn(s, e, "lead %s was not merged: %s", o->arg, outcome->message) ? RECOVERY_FAILED : RECOVERED;
    }
    return NOT_RECOVERED;
}

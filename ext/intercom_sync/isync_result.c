/*
 * The result of a sync, as JSON text: what was pushed, pulled, upserted, attached, detached
 * and merged; the local updates of the user and its teams (only what changed); the attribute
 * definitions seen on the server (for the process-wide cache); and, in a dry run, the writes
 * that were planned instead of sent.
 */
#include "isync_engine.h"

#include <string.h>

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

static int gen_summary(isync_sync *s, isync_json_gen *g)
{
    const isync_json *location = isync_json_get(s->contact, "location");
    const char *timezone = nonempty_str(isync_json_get(location, "timezone"));
    return gen_opt_str(g, "contact_id", s->contact_id) || isync_json_gen_cstr(g, "created") ||
           isync_json_gen_bool(g, s->created) || isync_json_gen_cstr(g, "dry_run") ||
           isync_json_gen_bool(g, s->dry_run) || isync_json_gen_cstr(g, "requests") ||
           isync_json_gen_integer(g, s->requests) || gen_strvec(g, "fields_pushed", &s->pushed) ||
           gen_strvec(g, "fields_pulled", &s->pulled) || gen_strvec(g, "companies_upserted", &s->upserted) ||
           gen_strvec(g, "companies_attached", &s->attached_now) ||
           gen_strvec(g, "companies_detached", &s->detached_now) || gen_strvec(g, "leads_merged", &s->merged) ||
           gen_strvec(g, "warnings", &s->warnings) || gen_opt_str(g, "remote_timezone", timezone);
}

/* Local updates of the user: only what changed. */
static int gen_user(isync_sync *s, isync_json_gen *g)
{
    const char *stored = s->snap.intercom_id;
    int rc = isync_json_gen_cstr(g, "user") || isync_json_gen_map_open(g);
    if (!rc && s->contact_id && !s->dry_run && (!stored || strcmp(stored, s->contact_id) != 0)) {
        rc = gen_key_str(g, "intercom_user_id", s->contact_id);
    }
    if (!rc && s->pull_name) rc = gen_key_str(g, "name", s->pull_name);
    if (!rc && s->pull_phone) rc = gen_key_str(g, "phone", s->pull_phone);
    if (!rc && s->has_last_request) {
        rc = isync_json_gen_cstr(g, "last_request_at") || isync_json_gen_integer(g, s->last_request_at);
    }
    return rc || isync_json_gen_map_close(g);
}

/* Local updates of teams: ids learned and digests of what was pushed (none in a dry run). */
static int gen_teams(isync_sync *s, isync_json_gen *g)
{
    int rc = isync_json_gen_cstr(g, "teams") || isync_json_gen_array_open(g);
    for (size_t i = 0; !rc && !s->dry_run && i < s->snap.n_owned; i++) {
        if (!s->owned_learned[i]) continue;
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "id", s->snap.owned[i].id) || isync_json_gen_cstr(g, "owned") ||
             isync_json_gen_bool(g, 1) || gen_opt_str(g, "intercom_company_id", s->owned_ids[i]) ||
             gen_opt_str(g, "intercom_company_digest", s->owned_digests[i]) || isync_json_gen_map_close(g);
    }
    for (size_t j = 0; !rc && !s->dry_run && j < s->snap.n_member; j++) {
        if (!s->member_learned[j]) continue;
        rc = isync_json_gen_map_open(g) || gen_key_str(g, "id", s->snap.members[j].id) ||
             isync_json_gen_cstr(g, "owned") || isync_json_gen_bool(g, 0) ||
             gen_opt_str(g, "intercom_company_id", s->member_ids[j]) || isync_json_gen_map_close(g);
    }
    return rc || isync_json_gen_array_close(g);
}

/* Attribute definitions seen on the server, for the process-wide cache. */
static int gen_attributes(isync_sync *s, isync_json_gen *g)
{
    int rc = isync_json_gen_cstr(g, "attributes") || isync_json_gen_map_open(g);
    for (int m = 0; !rc && m < 2; m++) {
        rc = isync_json_gen_cstr(g, isync_model_names[m]) || isync_json_gen_map_open(g);
        for (size_t i = 0; !rc && i < s->attrs[m].len; i++) {
            if (!s->attrs[m].items[i].from_server) continue;
            rc = gen_key_str(g, s->attrs[m].items[i].name, s->attrs[m].items[i].type);
        }
        rc = rc || isync_json_gen_map_close(g);
    }
    return rc || isync_json_gen_map_close(g);
}

int isync_sync_result(isync_sync *s, isync_buf *out)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return -1;
    int rc = isync_json_gen_map_open(g) || gen_summary(s, g) || gen_user(s, g) || gen_teams(s, g) ||
             gen_attributes(s, g) || isync_json_gen_map_close(g);
    if (!rc) {
        const char *text;
        size_t len;
        isync_json_gen_result(g, &text, &len);
        /* the planned writes (JSON objects, comma-separated) before the closing brace */
        rc = isync_buf_append(out, text, len - 1) || isync_buf_append_str(out, ",\"planned\":[") ||
             isync_buf_append(out, s->planned.data ? s->planned.data : "", s->planned.len) ||
             isync_buf_append_str(out, "]}");
    }
    isync_json_gen_free(g);
    return rc ? -1 : 0;
}

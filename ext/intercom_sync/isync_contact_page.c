/*
 * A page of GET /contacts for a bulk sync. The feeder hands each user's contact to the worker
 * syncing that user, which gives it to the engine inside its snapshot: handing it over as the
 * JSON text the engine parses again, rather than as a Ruby Hash tree, costs one String a
 * contact instead of about 36 objects (5,400 a page of 150), which a long-lived process paid
 * for in GC work and in malloc arenas that grew run after run.
 */
#include "isync_core.h"

#include <stdlib.h>
#include <string.h>

static const isync_json *object_at(const isync_json *v, const char *key)
{
    const isync_json *o = isync_json_get(v, key);
    return o && o->type == ISYNC_JSON_OBJECT ? o : NULL;
}

static void read_next_cursor(const isync_json *doc, isync_contact_page *page)
{
    const isync_json *cursor = isync_json_get(object_at(object_at(doc, "pages"), "next"), "starting_after");
    if (cursor && cursor->type == ISYNC_JSON_STRING && cursor->u.str.len > 0) {
        page->next_cursor = cursor->u.str.ptr;
        page->next_cursor_len = cursor->u.str.len;
    }
}

/* Appends one contact's JSON to page->json: 0, or -1 when out of memory (the contact came from
 * a parsed document, so it always encodes). */
static int add_contact(isync_contact_page *page, isync_json_gen *gen, const isync_json *contact,
                       const isync_json_str *external_id)
{
    const char *text;
    size_t len;
    isync_json_gen_reset(gen);
    if (isync_json_gen_value(gen, contact)) return -1;
    isync_json_gen_result(gen, &text, &len);
    isync_page_contact *c = &page->contacts[page->n_contacts];
    c->external_id = external_id->ptr;
    c->external_id_len = external_id->len;
    c->json_at = page->json.len;
    c->json_len = len;
    if (isync_buf_append(&page->json, text, len)) return -1;
    page->n_contacts++;
    return 0;
}

int isync_contact_page_read(const isync_json *doc, isync_contact_page *page, isync_error *e)
{
    memset(page, 0, sizeof(*page));
    isync_buf_init(&page->json);
    page->total_count = -1;
    const isync_json *data = doc && doc->type == ISYNC_JSON_OBJECT ? isync_json_get(doc, "data") : NULL;
    if (!data || data->type != ISYNC_JSON_ARRAY) {
        return isync_error_set(e, ISYNC_E_PARSE, "GET /contacts answered something other than a contact list");
    }
    const isync_json *count = isync_json_get(doc, "total_count");
    if (count && count->type == ISYNC_JSON_INTEGER && count->u.integer >= 0) page->total_count = count->u.integer;
    read_next_cursor(doc, page);
    page->listed = data->u.list.len;
    if (page->listed == 0) return 0;

    isync_json_gen *gen = isync_json_gen_new();
    page->contacts = calloc(page->listed, sizeof(*page->contacts));
    if (!gen || !page->contacts) goto nomem;
    for (size_t i = 0; i < page->listed; i++) {
        const isync_json *contact = data->u.list.values[i];
        const isync_json *ext = isync_json_get(contact, "external_id");
        if (!ext || ext->type != ISYNC_JSON_STRING || memchr(ext->u.str.ptr, '\0', ext->u.str.len)) continue;
        /* (the app's id with a NUL never reaches a path, so no contact whose id has one is a user's) */
        if (!isync_contact_is_users(contact, ext->u.str.ptr)) continue;
        if (add_contact(page, gen, contact, &ext->u.str)) goto nomem;
    }
    isync_json_gen_free(gen);
    return 0;

nomem:
    isync_json_gen_free(gen);
    isync_contact_page_free(page);
    return isync_error_set(e, ISYNC_E_NOMEM, "out of memory reading a page of contacts");
}

void isync_contact_page_free(isync_contact_page *page)
{
    free(page->contacts);
    isync_buf_free(&page->json);
    memset(page, 0, sizeof(*page));
    page->total_count = -1;
}

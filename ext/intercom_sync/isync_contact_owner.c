/*
 * Whose a contact is: the one check that a contact read elsewhere (a page of GET /contacts, for
 * a bulk sync) may stand for a user's. The page reader asks it before handing a contact over
 * (isync_contact_page.c); the engine (isync_contact.c, use_prefetched) asks it again before
 * adopting one, and warns and looks the user up when it fails.
 */
#include "isync_core.h"

#include <string.h>

/* Lengths, not strcmp: a server's string may hold a NUL, and "u1\0x" is not "u1". */
static int same(const char *s, size_t len, const char *want, size_t want_len)
{
    return s && len == want_len && memcmp(s, want, len) == 0;
}

static int fields_are_users(const char *ext, size_t ext_len, const char *role, size_t role_len,
                                   const char *id, size_t id_len, const char *external_id, size_t external_len)
{
    /* a lead, or a user without an id, cannot be updated as the user's contact */
    return external_id && external_len > 0 && same(ext, ext_len, external_id, external_len) &&
           same(role, role_len, "user", 4) && id && id_len > 0;
}

static const isync_json_str *string_at(const isync_json *contact, const char *key)
{
    const isync_json *v = isync_json_get(contact, key);
    return v && v->type == ISYNC_JSON_STRING ? &v->u.str : NULL;
}

int isync_contact_is_users(const isync_json *contact, const char *external_id)
{
    const isync_json_str *ext = string_at(contact, "external_id");
    const isync_json_str *role = string_at(contact, "role");
    const isync_json_str *id = string_at(contact, "id");
    return fields_are_users(ext ? ext->ptr : NULL, ext ? ext->len : 0, role ? role->ptr : NULL,
                                          role ? role->len : 0, id ? id->ptr : NULL, id ? id->len : 0,
                                          external_id, external_id ? strlen(external_id) : 0);
}

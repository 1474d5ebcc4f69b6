/*
 * Whose a contact is: the one check that a contact read elsewhere (a page of GET /contacts, for
 * a bulk sync) may stand for a user's. The bulk feeder asks it before handing a contact over
 * (IntercomSync::Native.users_contact?); the engine (isync_contact.c, use_prefetched) asks it
 * again before adopting one, and warns and looks the user up when it fails.
 */
#include "isync_core.h"

#include <string.h>

int isync_contact_is_users(const isync_json *contact, const char *external_id)
{
    const char *ext = isync_json_get_str(contact, "external_id");
    const char *role = isync_json_get_str(contact, "role");
    const isync_json *id = isync_json_get(contact, "id");
    /* a lead, or a user without an id, cannot be updated as the user's contact */
    return external_id && external_id[0] && ext && strcmp(ext, external_id) == 0 && role &&
           strcmp(role, "user") == 0 && id && id->type == ISYNC_JSON_STRING && id->u.str.len > 0;
}

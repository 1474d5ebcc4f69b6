/*
 * isync_contact_owner.c: whose a contact is (asked by the contact page reader and the engine).
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_CONTACT_OWNER_H
#define ISYNC_CONTACT_OWNER_H

#ifndef ISYNC_CORE_H
#error "isync_contact_owner.h is one part of isync_core.h: include isync_core.h"
#endif

/* Whether contact (from a page of GET /contacts) is the contact of the user with external_id:
 * the same external_id (not empty), role "user", and a non-empty id to update it by. */
int isync_contact_is_users(const isync_json *contact, const char *external_id);

#endif /* ISYNC_CONTACT_OWNER_H */

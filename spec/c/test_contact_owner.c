/* Tests of isync_contact_owner.c: whose a contact is. */
#include "test.h"

#include <string.h>

/* the ownership check the bulk feeder asks (isync_contact_owner.c) */
void test_contact_owner(void)
{
    static const char *const cases[] = {
        "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":\"c1\"}",
        "{\"external_id\":\"u1\",\"role\":\"lead\",\"id\":\"c1\"}",
        "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":\"\"}",
        "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":7}",
        "{\"external_id\":\"u2\",\"role\":\"user\",\"id\":\"c1\"}",
        "{\"external_id\":\"u1\\u0000x\",\"role\":\"user\",\"id\":\"c1\"}", /* not u1: a NUL cuts nothing */
        "{\"external_id\":\"u1\",\"role\":\"user\\u0000x\",\"id\":\"c1\"}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        isync_error e;
        isync_json *contact = isync_json_parse(cases[i], strlen(cases[i]), &e);
        CHECK(contact != NULL);
        CHECK(isync_contact_is_users(contact, "u1") == (i == 0));
        CHECK(!isync_contact_is_users(contact, ""));
        isync_json_free(contact);
    }
}

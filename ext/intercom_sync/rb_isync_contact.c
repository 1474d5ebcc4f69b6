/*
 * IntercomSync::Native.users_contact?(contact, external_id): the core's ownership check
 * (isync_contact_is_users) for a contact Ruby holds, so the bulk feeder and the engine judge a
 * prefetched contact by one implementation.
 */
#include "isync.h"

#include <string.h>

static const char *const checked_fields[] = {"external_id", "role", "id"};
#define CHECKED_FIELDS (sizeof(checked_fields) / sizeof(checked_fields[0]))

/* The fields the check reads, as a JSON object (a field that is not a String becomes null);
 * 0 when a field cannot be encoded (not UTF-8), -1 when memory runs out. */
static int encode_fields(isync_json_gen *g, const VALUE *values)
{
    if (isync_json_gen_map_open(g)) return -1;
    for (size_t i = 0; i < CHECKED_FIELDS; i++) {
        if (isync_json_gen_cstr(g, checked_fields[i])) return -1;
        int rc = RB_TYPE_P(values[i], T_STRING)
                     ? isync_json_gen_string(g, RSTRING_PTR(values[i]), (size_t)RSTRING_LEN(values[i]))
                     : isync_json_gen_null(g);
        if (rc) return 0;
    }
    return isync_json_gen_map_close(g) ? -1 : 1;
}

/* 1: the user's; 0: not; -1: out of memory. Nothing here raises, so nothing leaks. */
static int check(const VALUE *values, const char *external_id)
{
    isync_json_gen *g = isync_json_gen_new();
    if (!g) return -1;
    int rc = encode_fields(g, values);
    if (rc == 1) {
        const char *text;
        size_t len;
        isync_error e;
        isync_error_clear(&e);
        isync_json_gen_result(g, &text, &len);
        isync_json *contact = isync_json_parse(text, len, &e);
        if (contact) {
            rc = isync_contact_is_users(contact, external_id);
            isync_json_free(contact);
        } else {
            rc = e.kind == ISYNC_E_NOMEM ? -1 : 0;
        }
    }
    isync_json_gen_free(g);
    return rc;
}

static VALUE native_users_contact_p(VALUE self, VALUE contact, VALUE external_id)
{
    (void)self;
    if (!RB_TYPE_P(contact, T_HASH) || !RB_TYPE_P(external_id, T_STRING)) return Qfalse;
    /* an id with a NUL inside would compare as its prefix in C: never the user's */
    if (memchr(RSTRING_PTR(external_id), '\0', (size_t)RSTRING_LEN(external_id))) return Qfalse;
    VALUE values[CHECKED_FIELDS];
    for (size_t i = 0; i < CHECKED_FIELDS; i++) values[i] = rb_hash_aref(contact, rb_str_new_cstr(checked_fields[i]));
    VALUE id = rb_str_new_frozen(external_id); /* NUL-terminated, and unchanged while we look */
    int rc = check(values, StringValueCStr(id));
    RB_GC_GUARD(id);
    if (rc < 0) rb_memerror();
    return rc ? Qtrue : Qfalse;
}

void isync_init_contact(void)
{
    rb_define_module_function(mIntercomSyncNative, "users_contact?", native_users_contact_p, 2);
}

/*
 * IntercomSync::Native.users_contact?(contact, external_id): the core's ownership check
 * (isync_contact_fields_are_users) for a contact Ruby holds, so the bulk feeder and the engine
 * judge a prefetched contact by one implementation.
 */
#include "isync.h"

#include <string.h>

/* The String at key, as bytes; NULL when absent, not a String, or not valid in its encoding
 * (a contact the engine could not be handed anyway). */
static const char *field(VALUE contact, const char *key, size_t *len)
{
    VALUE v = rb_hash_aref(contact, rb_str_new_cstr(key));
    *len = 0;
    if (!RB_TYPE_P(v, T_STRING) || rb_enc_str_coderange(v) == ENC_CODERANGE_BROKEN) return NULL;
    *len = (size_t)RSTRING_LEN(v);
    return RSTRING_PTR(v);
}

static VALUE native_users_contact_p(VALUE self, VALUE contact, VALUE external_id)
{
    (void)self;
    if (!RB_TYPE_P(contact, T_HASH) || !RB_TYPE_P(external_id, T_STRING)) return Qfalse;
    /* an app id with a NUL never reaches a path (InvalidInputError), so no contact is its */
    if (memchr(RSTRING_PTR(external_id), '\0', (size_t)RSTRING_LEN(external_id))) return Qfalse;
    size_t ext_len, role_len, id_len;
    const char *ext = field(contact, "external_id", &ext_len);
    const char *role = field(contact, "role", &role_len);
    const char *id = field(contact, "id", &id_len);
    /* nothing below allocates or calls Ruby, so the bytes read above stay where they are */
    int users = isync_contact_fields_are_users(ext, ext_len, role, role_len, id, id_len, RSTRING_PTR(external_id),
                                               (size_t)RSTRING_LEN(external_id));
    RB_GC_GUARD(contact);
    RB_GC_GUARD(external_id);
    return users ? Qtrue : Qfalse;
}

void isync_init_contact(void)
{
    rb_define_module_function(mIntercomSyncNative, "users_contact?", native_users_contact_p, 2);
}

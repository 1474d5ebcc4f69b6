/*
 * Pages of GET /contacts for a bulk sync (isync_contact_page.c), as Ruby sees them:
 * [total_count | nil, next_cursor | nil, listed, {external_id => the contact's JSON text}].
 * Client#read_contact_page fetches and reads one; IntercomSync::Native.contact_page reads one
 * from its JSON text (specs, and a page held some other way).
 */
#include "isync.h"

VALUE isync_contact_page_to_ruby(const isync_contact_page *page)
{
    VALUE contacts = rb_hash_new();
    for (size_t i = 0; i < page->n_contacts; i++) {
        const isync_page_contact *c = &page->contacts[i];
        /* not frozen: the bulk worker that syncs the user clears it right after (Bulk#sync_one),
         * giving its bytes back at once rather than at the next major GC (a page's texts live
         * across minor GCs while they are handed out, so they would be promoted) */
        VALUE json = rb_utf8_str_new(page->json.data + c->json_at, (long)c->json_len);
        /* a page listing one user twice: the later entry wins, as a Hash built in Ruby would */
        rb_hash_aset(contacts, rb_utf8_str_new(c->external_id, (long)c->external_id_len), json);
    }
    return rb_ary_new_from_args(4, page->total_count >= 0 ? LL2NUM(page->total_count) : Qnil,
                                page->next_cursor ? rb_utf8_str_new(page->next_cursor, (long)page->next_cursor_len)
                                                  : Qnil,
                                SIZET2NUM(page->listed), contacts);
}

typedef struct page_args {
    VALUE text;
    isync_json *doc;
    isync_contact_page page;
} page_args;

static VALUE page_body(VALUE p)
{
    page_args *a = (page_args *)p;
    isync_error e;
    /* the core parses and reads without calling Ruby, so the String's bytes stay put */
    if (!(a->doc = isync_json_parse(RSTRING_PTR(a->text), (size_t)RSTRING_LEN(a->text), &e))) isync_raise(&e, NULL);
    if (isync_contact_page_read(a->doc, &a->page, &e)) isync_raise(&e, NULL);
    return isync_contact_page_to_ruby(&a->page);
}

static VALUE page_ensure(VALUE p)
{
    page_args *a = (page_args *)p;
    isync_contact_page_free(&a->page);
    isync_json_free(a->doc);
    return Qnil;
}

static VALUE native_contact_page(VALUE self, VALUE text)
{
    (void)self;
    page_args a = {.text = StringValue(text)};
    VALUE page = rb_ensure(page_body, (VALUE)&a, page_ensure, (VALUE)&a);
    RB_GC_GUARD(text);
    return page;
}

void isync_init_contact(void)
{
    rb_define_module_function(mIntercomSyncNative, "contact_page", native_contact_page, 1);
}

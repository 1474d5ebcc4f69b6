/*
 * libFuzzer harness: the JSON decoder of every response, and the generator on what it decoded.
 * Invariants: whatever parses re-encodes, the re-encoded text parses to an equal document, and
 * a deep copy (isync_json_clone) is equal to the original and outlives it. The document read as
 * a page of contacts (isync_contact_page.c): a list or a ParseError, and every contact it hands
 * over is a user's, and its text parses back to an equal object.
 */
#include "isync_core.h"

#include <stdlib.h>
#include <string.h>

static void check_contact_page(const isync_json *doc)
{
    isync_error e;
    isync_contact_page page;
    if (isync_contact_page_read(doc, &page, &e)) {
        if (e.kind != ISYNC_E_PARSE && e.kind != ISYNC_E_NOMEM) abort();
        isync_contact_page_free(&page);
        return;
    }
    if (page.n_contacts > page.listed) abort();
    for (size_t i = 0; i < page.n_contacts; i++) {
        const isync_page_contact *c = &page.contacts[i];
        isync_json *contact = isync_json_parse(page.json.data + c->json_at, c->json_len, &e);
        if (!contact || contact->type != ISYNC_JSON_OBJECT) abort();
        const char *ext = isync_json_get_str(contact, "external_id");
        if (!ext || strlen(ext) != c->external_id_len || memcmp(ext, c->external_id, c->external_id_len) != 0) abort();
        if (!isync_contact_is_users(contact, ext)) abort();
        isync_json_free(contact);
    }
    isync_contact_page_free(&page);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    isync_error e;
    isync_error_clear(&e);
    isync_json *doc = isync_json_parse((const char *)data, size, &e);
    if (!doc) {
        /* TOO_LARGE: past ISYNC_JSON_MAX_VALUES */
        if (e.kind != ISYNC_E_PARSE && e.kind != ISYNC_E_NOMEM && e.kind != ISYNC_E_TOO_LARGE) abort();
        return 0;
    }
    isync_json_gen *g = isync_json_gen_new();
    if (isync_json_gen_value(g, doc) != 0) {
        /* only numbers yajl cannot print back (none expected) may fail */
        abort();
    }
    const char *text;
    size_t len;
    isync_json_gen_result(g, &text, &len);
    isync_json *again = isync_json_parse(text, len, &e);
    if (!again || !isync_json_equal(doc, again)) abort();
    check_contact_page(doc);
    isync_json *copy = isync_json_clone(doc);
    if (copy && !isync_json_equal(copy, again)) abort();
    isync_json_free(doc); /* the copy must not share anything with it */
    if (copy && !isync_json_equal(copy, again)) abort();
    isync_json_free(copy);
    isync_json_free(again);
    isync_json_gen_free(g);
    return 0;
}

/* Tests of isync_contact_owner.c (whose a contact is) and isync_contact_page.c (a page of them). */
#include "test.h"

#include <string.h>

static void test_contact_page_read(void);

/* the ownership check the bulk feeder asks (isync_contact_owner.c) */
void test_contact_owner(void)
{
    test_contact_page_read();
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

static isync_json *parse(const char *text)
{
    isync_error e;
    isync_json *doc = isync_json_parse(text, strlen(text), &e);
    CHECK(doc != NULL);
    return doc;
}

/* the text of contact i of a read page */
static int contact_is(const isync_contact_page *page, size_t i, const char *external_id, const char *json)
{
    const isync_page_contact *c = &page->contacts[i];
    return c->external_id_len == strlen(external_id) && memcmp(c->external_id, external_id, c->external_id_len) == 0 &&
           c->json_len == strlen(json) && memcmp(page->json.data + c->json_at, json, c->json_len) == 0;
}

/* a page of GET /contacts read for a bulk sync (isync_contact_page.c) */
static void test_contact_page_read(void)
{
    isync_error e;
    isync_contact_page page;
    isync_json *doc = parse("{\"type\":\"list\",\"total_count\":5,\"pages\":{\"next\":{\"starting_after\":\"WzE=\"}},"
                            "\"data\":[{\"external_id\":\"u1\",\"role\":\"user\",\"id\":\"c1\",\"custom_attributes\":{\"n\":1.5}},"
                            "{\"external_id\":\"u2\",\"role\":\"lead\",\"id\":\"c2\"},"
                            "{\"external_id\":\"u3\",\"role\":\"user\",\"id\":\"\"},"
                            "{\"role\":\"user\",\"id\":\"c4\"},"
                            "{\"external_id\":\"u\\u0000x\",\"role\":\"user\",\"id\":\"c5\"},"
                            "\"junk\",null,[],"
                            "{\"external_id\":\"u6\",\"role\":\"user\",\"id\":\"c6\"}]}");
    CHECK(isync_contact_page_read(doc, &page, &e) == 0);
    CHECK(page.total_count == 5);
    CHECK(page.next_cursor && page.next_cursor_len == 4 && memcmp(page.next_cursor, "WzE=", 4) == 0);
    CHECK(page.listed == 9);
    CHECK(page.n_contacts == 2);
    CHECK(contact_is(&page, 0, "u1", "{\"external_id\":\"u1\",\"role\":\"user\",\"id\":\"c1\",\"custom_attributes\":{\"n\":1.5}}"));
    CHECK(contact_is(&page, 1, "u6", "{\"external_id\":\"u6\",\"role\":\"user\",\"id\":\"c6\"}"));
    isync_contact_page_free(&page);
    isync_json_free(doc);

    /* the last page: no cursor, no count; an empty list */
    static const char *const lasts[] = {
        "{\"data\":[],\"pages\":{\"next\":null},\"total_count\":-1}",
        "{\"data\":[],\"pages\":{\"next\":{\"starting_after\":\"\"}},\"total_count\":\"3\"}",
        "{\"data\":[],\"pages\":\"next\",\"total_count\":2.0}",
    };
    for (size_t i = 0; i < sizeof(lasts) / sizeof(lasts[0]); i++) {
        doc = parse(lasts[i]);
        CHECK(isync_contact_page_read(doc, &page, &e) == 0);
        CHECK(page.total_count == -1 && page.next_cursor == NULL && page.listed == 0 && page.n_contacts == 0);
        isync_contact_page_free(&page);
        isync_json_free(doc);
    }

    /* no contact list at all */
    static const char *const others[] = {"{\"data\":{}}", "{\"type\":\"list\"}", "[]", "\"list\"", "null"};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        doc = parse(others[i]);
        CHECK(isync_contact_page_read(doc, &page, &e) == -1);
        CHECK(e.kind == ISYNC_E_PARSE);
        CHECK(strstr(e.message, "contact list") != NULL);
        CHECK(page.n_contacts == 0 && page.contacts == NULL);
        isync_contact_page_free(&page); /* harmless after a failure */
        isync_json_free(doc);
    }
    CHECK(isync_contact_page_read(NULL, &page, &e) == -1);
}

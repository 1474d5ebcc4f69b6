/*
 * isync_contact_page.c: a page of GET /contacts, read for a bulk sync into what the bulk
 * feeder needs of it: the users' contacts, each as compact JSON text keyed by its
 * external_id, and where the list goes on. One part of isync_core.h (include that).
 */
#ifndef ISYNC_CONTACT_PAGE_H
#define ISYNC_CONTACT_PAGE_H

#ifndef ISYNC_CORE_H
#error "isync_contact_page.h is one part of isync_core.h: include isync_core.h"
#endif

typedef struct isync_page_contact {
    const char *external_id; /* into the page's document */
    size_t external_id_len;
    size_t json_at;          /* the contact's JSON text: json.data[json_at .. json_at + json_len) */
    size_t json_len;
} isync_page_contact;

typedef struct isync_contact_page {
    long long total_count;   /* -1 when the page gives no count (or something that is none) */
    const char *next_cursor; /* pages.next.starting_after, into the document; NULL: the last page */
    size_t next_cursor_len;
    size_t listed;           /* entries of data, whatever they are */
    isync_page_contact *contacts; /* the users' contacts, in the page's order */
    size_t n_contacts;
    isync_buf json;          /* their JSON texts, one after the other */
} isync_contact_page;

/* Reads doc (a parsed answer of GET /contacts) into page; contacts that are no user's (leads,
 * no id, no external_id, an external_id with a NUL) are left out (isync_contact_is_users).
 * The page points into doc: free it first, with isync_contact_page_free. -1 with e set
 * (ISYNC_E_PARSE) when doc is no contact list, or ISYNC_E_NOMEM; page is then empty. */
int isync_contact_page_read(const isync_json *doc, isync_contact_page *page, isync_error *e);
void isync_contact_page_free(isync_contact_page *page);

#endif /* ISYNC_CONTACT_PAGE_H */

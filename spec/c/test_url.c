/* Tests of isync_url.c: base URL policy, request paths, path segments. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

void test_url(void)
{
    isync_error e;
    char *out = NULL;
    int plain = 0;
    struct { const char *url; int ok; const char *norm; int plain; } cases[] = {
        {"https://api.intercom.io", 1, "https://api.intercom.io", 0},
        {"https://api.eu.intercom.io/", 1, "https://api.eu.intercom.io", 0},
        {"https://proxy.example.com/intercom/", 1, "https://proxy.example.com/intercom", 0},
        {"http://127.0.0.1:4010", 1, "http://127.0.0.1:4010", 1},
        {"http://127.9.9.9", 1, "http://127.9.9.9", 1},
        {"http://localhost:1", 1, "http://localhost:1", 1},
        {"http://[::1]:1", 1, "http://[::1]:1", 1},
        {"http://example.com", 0, NULL, 0},
        {"http://128.0.0.1", 0, NULL, 0},
        {"http://127.0.0.1.evil.example", 0, NULL, 0},
        {"http://[::2]", 0, NULL, 0},
        {"ftp://example.com", 0, NULL, 0},
        {"https://u:p@example.com", 0, NULL, 0},
        {"https://example.com/?a=b", 0, NULL, 0},
        {"https://example.com/#x", 0, NULL, 0},
        {"", 0, NULL, 0},
        {"api.intercom.io", 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        isync_error_clear(&e);
        int rc = isync_url_check_base(cases[i].url, &out, &plain, &e);
        CHECK((rc == 0) == cases[i].ok);
        if (rc == 0) {
            CHECK(strcmp(out, cases[i].norm) == 0 && plain == cases[i].plain);
        } else {
            CHECK(e.kind == ISYNC_E_CONFIG && out == NULL);
            CHECK(strstr(e.message, "p@") == NULL); /* never echoes credentials */
        }
        free(out);
        out = NULL;
    }

    const char *good_paths[] = {"/contacts", "/contacts/abc/companies", "/companies?company_id=a%20b",
                                "/contacts/..x", "/contacts/x..", "/a/...", "/contacts/%2E%2Ex"};
    for (size_t i = 0; i < sizeof(good_paths) / sizeof(good_paths[0]); i++) {
        CHECK(isync_url_check_path(good_paths[i], &e) == 0);
    }
    const char *bad_paths[] = {"contacts", "/contacts/../admins", "/contacts/./x", "/..", "/a/.",
                               "/a b", "/a#b", "/a\\b", "/\xc3\xa9", "/a\r\nX: y", "",
                               "/contacts/%2E%2E", "/contacts/%2e", "/contacts/%252E%252E/x"}; /* issue 9 */
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        CHECK(isync_url_check_path(bad_paths[i], &e) == -1);
    }

    isync_buf b;
    isync_buf_init(&b);
    const char *id = "a/b?c#d ..%~_-Z9\xc3\xa9";
    CHECK(isync_url_escape_segment(&b, id, strlen(id)) == 0);
    CHECK(strcmp(b.data, "a%2Fb%3Fc%23d%20%2E%2E%25~_-Z9%C3%A9") == 0);
    CHECK(isync_url_check_path("/contacts/find_by_external_id/a%2Fb%3Fc%23d%20%2E%2E", &e) == 0);
    isync_buf_free(&b);
}

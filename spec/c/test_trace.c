/* Tests of isync_trace.c's path templates: what a request event may show of a path (the
 * trace's recording by the request loop is checked with the fake transport in test_exec.c). */
#include "test.h"
#include "isync_trace.h"

#include <stdio.h>
#include <string.h>

void test_path_template(void)
{
    static const char *const cases[][2] = {
        {"/contacts", "/contacts"},
        {"/contacts/abc123", "/contacts/{id}"},
        {"/contacts/find_by_external_id/ann%40example.com", "/contacts/find_by_external_id/{id}"},
        {"/contacts/c1/companies?per_page=60&page=2", "/contacts/{id}/companies"},
        {"/contacts/c1/companies/k9", "/contacts/{id}/companies/{id}"},
        {"/contacts/c1/unarchive", "/contacts/{id}/unarchive"},
        {"/data_attributes?model=contact", "/data_attributes"},
        {"/contacts?email=ann@example.com#frag", "/contacts"},
        {"/Contacts/search", "/{id}/search"},   /* words match exactly: an id never passes as one */
        {"/contacts/", "/contacts/"},
        {"/", "/"},
        {"", ""},
        {"contacts/x", "/contacts/{id}"},
    };
    char out[ISYNC_TRACE_PATH_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        isync_path_template(cases[i][0], out, sizeof(out));
        CHECK(strcmp(out, cases[i][1]) == 0);
        if (strcmp(out, cases[i][1]) != 0) fprintf(stderr, "  %s -> %s\n", cases[i][0], out);
    }
    /* too long: cut at a segment, marked, within the buffer */
    char small[16];
    isync_path_template("/contacts/a/companies/b", small, sizeof(small));
    CHECK(strcmp(small, "/contacts/...") == 0);
    isync_path_template("/contacts/a", small, 5);
    CHECK(strcmp(small, "/...") == 0);
    isync_path_template("/contacts", small, 3);
    CHECK(strcmp(small, "") == 0);
    isync_path_template(NULL, small, sizeof(small));
    CHECK(small[0] == '\0');
}

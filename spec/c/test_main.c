/*
 * Tests of the Ruby-free core, driven from plain C so they can run under valgrind and ASan
 * without a Ruby interpreter in the way: the main of tmp/c/test_core, which runs each module's
 * tests (test_MODULE.c; their list is in test.h). `rake c:test` builds it with the core's
 * sources and runs it against an emulator started by spec/c/emulator_for_c.rb (URL in
 * ISYNC_TEST_URL).
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

int test_passed, test_failed;

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_buf();
    test_utf8();
    test_json_parse();
    test_json_gen();
    test_url();
    test_sync_engine();
    test_retry_policy();
    test_error_table();
    test_contact_owner();
    test_path_template();
    const char *url = getenv("ISYNC_TEST_URL");
    if (url && *url) test_http(url);
    else fprintf(stderr, "ISYNC_TEST_URL not set: HTTP tests skipped\n");
    curl_global_cleanup();
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

/* Tests of isync_error.c: the classification isync_errors.def describes. */
#include "test.h"

#include <stdio.h>

static isync_error_class classify(isync_err_kind kind, long status, const char *code)
{
    isync_error e;
    isync_error_clear(&e);
    e.kind = kind;
    e.http_status = status;
    snprintf(e.code, sizeof(e.code), "%s", code);
    return isync_error_classify(&e);
}

/* isync_errors.def: parents first; the code decides before the status, then the narrowest range */
void test_error_table(void)
{
    for (int c = 0; c < ISYNC_EC_COUNT; c++) CHECK(isync_error_classes[c].parent < c);
    CHECK(isync_error_classes[ISYNC_EC_ERROR].parent == ISYNC_EC_NONE);
    CHECK(classify(ISYNC_E_DNS, 0, "") == ISYNC_EC_DNS);
    CHECK(classify(ISYNC_E_INTERRUPTED, 0, "") == ISYNC_EC_ERROR);
    CHECK(classify(ISYNC_E_NOMEM, 0, "") == ISYNC_EC_ERROR);
    CHECK(classify(ISYNC_E_HTTP, 400, "type_mismatch") == ISYNC_EC_PARAMETER_INVALID);
    CHECK(classify(ISYNC_E_HTTP, 400, "token_revoked") == ISYNC_EC_AUTHENTICATION);
    CHECK(classify(ISYNC_E_HTTP, 400, "token") == ISYNC_EC_BAD_REQUEST);       /* a word, not a prefix */
    CHECK(classify(ISYNC_E_HTTP, 400, "bad_request parameter_missing") == ISYNC_EC_BAD_REQUEST);
    CHECK(classify(ISYNC_E_HTTP, 410, "") == ISYNC_EC_CONTACT_MERGED);
    CHECK(classify(ISYNC_E_HTTP, 418, "") == ISYNC_EC_CLIENT);
    CHECK(classify(ISYNC_E_HTTP, 302, "") == ISYNC_EC_REDIRECT);
    CHECK(classify(ISYNC_E_HTTP, 503, "") == ISYNC_EC_SERVICE_UNAVAILABLE);
    CHECK(classify(ISYNC_E_HTTP, 999, "") == ISYNC_EC_SERVER);
    CHECK(classify(ISYNC_E_HTTP, 200, "") == ISYNC_EC_HTTP);
    CHECK(isync_error_class_transient(ISYNC_EC_CLIENT, 408) == 1);
    CHECK(isync_error_class_transient(ISYNC_EC_SERVER, 501) == 0);
    CHECK(isync_error_class_transient(ISYNC_EC_SERVER, 502) == 1);
    CHECK(isync_error_class_transient(ISYNC_EC_SERVER, 600) == 0);
    CHECK(isync_error_class_transient(ISYNC_EC_TLS, 0) == 0);
    CHECK(isync_error_class_transient(ISYNC_EC_PARSE, 0) == 1);
}

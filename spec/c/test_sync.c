/*
 * The sync engine (isync_ops.c and its step files) driven with canned answers: no network, so
 * every path can be walked under valgrind and ASan, including failures halfway. The cases are data, in
 * spec/c/cases/NAME.json, run by test_cases.c (the directory can be moved with ISYNC_CASES_DIR);
 * a case whose checks need real code would get a small C function here.
 */
#include "test.h"

#include <stdlib.h>

void test_sync_engine(void)
{
    const char *dir = getenv("ISYNC_CASES_DIR");
    test_sync_cases(dir && *dir ? dir : "spec/c/cases");
}

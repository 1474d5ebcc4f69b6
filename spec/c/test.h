/* What the C test files share: pass/fail counters and CHECK. */
#ifndef ISYNC_TEST_H
#define ISYNC_TEST_H

#include <stdio.h>

extern int test_passed, test_failed;

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) test_passed++;                                                         \
        else {                                                                           \
            test_failed++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);              \
        }                                                                                \
    } while (0)

void test_sync_engine(void);

#endif

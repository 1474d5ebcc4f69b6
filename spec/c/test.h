/* What the C test files share: pass/fail counters, CHECK and REQUIRE, NULL-safe accessors. */
#ifndef ISYNC_TEST_H
#define ISYNC_TEST_H

#include "isync_core.h"

#include <stdio.h>
#include <string.h>

extern int test_passed, test_failed;

/* What a data-driven check is about (" in spec/c/cases/x.json #2 (name): result.contact_id"),
 * appended to its FAIL line: the C line alone names the runner, not the case. One per
 * translation unit (a static in a static inline function); "" unless the unit sets it. */
#define TEST_WHERE_MAX 640
static inline char *test_where_buf(void)
{
    static char where[TEST_WHERE_MAX];
    return where;
}
static inline const char *test_where(void) { return test_where_buf(); }

/* A check whose failure the rest of the case can live with: counted, reported, case goes on. */
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (cond) test_passed++;                                                         \
        else {                                                                           \
            test_failed++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s%s\n", __FILE__, __LINE__, #cond, test_where()); \
        }                                                                                \
    } while (0)

/* A check the next lines depend on (a document they read, a pointer they follow): on failure
 * the case (the enclosing void function) stops, so a broken engine is reported as a FAIL line
 * and the other cases still run, instead of the whole binary dying on a NULL. A case that holds
 * allocations when it REQUIREs must free them first, or leave the REQUIRE to a point where it
 * holds none: a failure must not turn into a leak report under ASan or valgrind. */
#define REQUIRE(cond)                                                                    \
    do {                                                                                 \
        if (cond) test_passed++;                                                         \
        else {                                                                           \
            test_failed++;                                                               \
            fprintf(stderr, "FAIL %s:%d: %s%s (case stopped)\n", __FILE__, __LINE__, #cond, test_where()); \
            return;                                                                      \
        }                                                                                \
    } while (0)

/* Accessors that answer "no" for a missing member instead of crashing the checks that use them. */
static inline int str_is(const char *s, const char *want) { return s && strcmp(s, want) == 0; }

static inline int type_is(const isync_json *v, isync_json_type type) { return v && v->type == type; }

/* The number of members of an array or object; -1 for anything else, or nothing. */
static inline long len_of(const isync_json *v)
{
    return v && (v->type == ISYNC_JSON_ARRAY || v->type == ISYNC_JSON_OBJECT) ? (long)v->u.list.len : -1;
}

/* The tests of tmp/c/test_core, one file a module (test_MODULE.c), in the order test_main.c
 * runs them. */
void test_buf(void);
void test_utf8(void);           /* test_text.c */
void test_json_parse(void);     /* test_json.c */
void test_json_gen(void);       /* test_json.c */
void test_url(void);
void test_sync_engine(void);    /* test_sync.c */
void test_retry_policy(void);   /* test_retry.c */
void test_error_table(void);    /* test_error.c */
void test_contact_owner(void);
void test_path_template(void);  /* test_trace.c */
void test_http(const char *url); /* against the emulator at url */

/* Runs every spec/c/cases/NAME.json fixture under dir (test_cases.c). */
void test_sync_cases(const char *dir);

#endif

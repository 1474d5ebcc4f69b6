/* Tests of isync_buf.c: the growable byte buffer. */
#include "test.h"

void test_buf(void)
{
    isync_buf b;
    isync_buf_init(&b);
    int appended = 1;
    for (int i = 0; i < 1000; i++) appended &= isync_buf_append(&b, "abc", 3) == 0;
    CHECK(appended);
    CHECK(b.len == 3000 && b.data && b.data[3000] == '\0');
    isync_buf_clear(&b);
    CHECK(b.len == 0 && b.data && b.data[0] == '\0');
    isync_buf_shrink(&b, 16);
    CHECK(b.data == NULL && b.cap == 0);
    CHECK(isync_buf_append(&b, NULL, 0) == 0);
    isync_buf_free(&b);
}

/* Tests of isync_text.c: strict UTF-8. */
#include "test.h"

void test_utf8(void)
{
    CHECK(isync_utf8_valid("plain", 5));
    CHECK(isync_utf8_valid("Zo\xc3\xab \xe2\x98\x83 \xf0\x9f\x98\x80", 13));
    CHECK(!isync_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!isync_utf8_valid("\xe0\x80\xaf", 3));     /* overlong, 3 bytes */
    CHECK(!isync_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!isync_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    CHECK(!isync_utf8_valid("\xe2\x98", 2));         /* cut short */
    CHECK(!isync_utf8_valid("\xff", 1));
    CHECK(isync_utf8_valid("a\0b", 3));               /* NUL is a valid code point */
}

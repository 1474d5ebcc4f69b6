/* Tests of isync_json*.c: the document model, the parser and the generator. */
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static isync_json *parse(const char *text, isync_error *e)
{
    isync_error_clear(e);
    return isync_json_parse(text, strlen(text), e);
}

void test_json_parse(void)
{
    isync_error e;
    isync_json *doc = parse("{\"id\":\"5f\",\"n\":-3,\"f\":0.5,\"big\":99999999999999999999,"
                            "\"a\":[true,false,null],\"id\":\"6a\"}", &e);
    REQUIRE(doc);
    CHECK(doc->type == ISYNC_JSON_OBJECT);
    CHECK(str_is(isync_json_get_str(doc, "id"), "6a")); /* last duplicate wins */
    CHECK(type_is(isync_json_get(doc, "n"), ISYNC_JSON_INTEGER) && isync_json_get(doc, "n")->u.integer == -3);
    CHECK(type_is(isync_json_get(doc, "f"), ISYNC_JSON_DOUBLE) && isync_json_get(doc, "f")->u.dbl == 0.5);
    CHECK(type_is(isync_json_get(doc, "big"), ISYNC_JSON_BIGNUM) &&
          strcmp(isync_json_get(doc, "big")->u.str.ptr, "99999999999999999999") == 0);
    CHECK(len_of(isync_json_get(doc, "a")) == 3);
    CHECK(isync_json_get(doc, "missing") == NULL);
    CHECK(isync_json_get_str(doc, "n") == NULL); /* not a string */
    CHECK(isync_json_get(isync_json_get(doc, "a"), "x") == NULL); /* not an object */
    isync_json_free(doc);

    /* a deep copy is equal and independent */
    isync_json *orig = parse("{\"a\":[1,2.5,\"x\",{\"b\":null,\"c\":true}],\"big\":123456789012345678901,\"e\":{}}", &e);
    isync_json *copy = isync_json_clone(orig);
    CHECK(copy && copy != orig && isync_json_equal(orig, copy));
    isync_json_free(orig);
    CHECK(type_is(isync_json_get(copy, "big"), ISYNC_JSON_BIGNUM) &&
          strcmp(isync_json_get(copy, "big")->u.str.ptr, "123456789012345678901") == 0);
    isync_json_free(copy);
    CHECK(isync_json_clone(NULL) == NULL);

    /* regression (fuzz_json): duplicate keys compare member by member */
    isync_json *dup1 = parse("{\"m\":1,\"m\":2}", &e);
    isync_json *dup2 = parse("{\"m\":1,\"m\":2}", &e);
    isync_json *dup3 = parse("{\"m\":2,\"m\":1}", &e);
    CHECK(isync_json_equal(dup1, dup2) && !isync_json_equal(dup1, dup3));
    isync_json_free(dup1);
    isync_json_free(dup2);
    isync_json_free(dup3);

    doc = isync_json_parse("\"a\\u0000b\"", 10, &e);
    CHECK(doc && doc->type == ISYNC_JSON_STRING && doc->u.str.len == 3 && doc->u.str.ptr[1] == '\0');
    isync_json_free(doc);

    const char *bad[] = {"", "   ", "{", "{\"a\":", "{\"a\":1}x", "[1,]", "<html>", "{'a':1}",
                         "{\"a\":1e999}", "\"\xc0\xaf\"", "{\"\xff\":1}", "[1] [2]", "nul", "-"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = parse(bad[i], &e);
        CHECK(doc == NULL && e.kind == ISYNC_E_PARSE);
        if (doc) fprintf(stderr, "  parsed invalid input %zu\n", i);
    }
    /* a raw NUL ends nothing: it is an error, not the end of the document */
    doc = isync_json_parse("{\"a\":1}\0{", 9, &e);
    CHECK(doc == NULL);

    char deep[200];
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    doc = isync_json_parse(deep, 130, &e);
    CHECK(doc == NULL && strstr(e.message, "nesting too deep"));
    doc = isync_json_parse(deep + 1, 128, &e); /* 64 levels is fine */
    CHECK(doc != NULL);
    isync_json_free(doc);
    isync_json_free(NULL);
}

void test_json_gen(void)
{
    isync_json_gen *g = isync_json_gen_new();
    CHECK(isync_json_gen_map_open(g) == 0);
    CHECK(isync_json_gen_string(g, "f", 1) == 0);
    CHECK(isync_json_gen_array_open(g) == 0);
    CHECK(isync_json_gen_double(g, 0.1) == 0);
    CHECK(isync_json_gen_double(g, 2.0) == 0);
    CHECK(isync_json_gen_double(g, 1e300) == 0);
    CHECK(isync_json_gen_integer(g, -7) == 0);
    CHECK(isync_json_gen_number_text(g, "123456789012345678901", 21) == 0);
    CHECK(isync_json_gen_null(g) == 0);
    CHECK(isync_json_gen_bool(g, 1) == 0);
    CHECK(isync_json_gen_array_close(g) == 0);
    CHECK(isync_json_gen_map_close(g) == 0);
    const char *out;
    size_t len;
    isync_json_gen_result(g, &out, &len);
    const char *want = "{\"f\":[0.1,2.0,1e+300,-7,123456789012345678901,null,true]}";
    CHECK(len == strlen(want) && memcmp(out, want, len) == 0);
    isync_json_gen_free(g);

    g = isync_json_gen_new();
    CHECK(isync_json_gen_double(g, NAN) == -1 && strstr(isync_json_gen_error(g), "NaN"));
    isync_json_gen_free(g);
    g = isync_json_gen_new();
    CHECK(isync_json_gen_string(g, "\xc0\xaf", 2) == -1 && strstr(isync_json_gen_error(g), "UTF-8"));
    isync_json_gen_free(g);
    isync_json_gen_free(NULL);
}

/*
 * The JSON generator of the core, over yajl_gen: compact UTF-8, strings checked as strict UTF-8,
 * doubles in their shortest exact form.
 */
#include "isync_core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

struct isync_json_gen {
    yajl_gen gen;
    const char *error;
};

isync_json_gen *isync_json_gen_new(void)
{
    isync_json_gen *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->gen = yajl_gen_alloc(NULL);
    if (!g->gen) {
        free(g);
        return NULL;
    }
    yajl_gen_config(g->gen, yajl_gen_validate_utf8, 1);
    return g;
}

void isync_json_gen_free(isync_json_gen *g)
{
    if (!g) return;
    yajl_gen_free(g->gen);
    free(g);
}

void isync_json_gen_reset(isync_json_gen *g)
{
    yajl_gen_reset(g->gen, NULL);
    yajl_gen_clear(g->gen);
    g->error = NULL;
}

static int gen_check(isync_json_gen *g, yajl_gen_status st)
{
    switch (st) {
    case yajl_gen_status_ok: return 0;
    case yajl_gen_keys_must_be_strings: g->error = "object keys must be strings"; break;
    case yajl_max_depth_exceeded: g->error = "nesting too deep"; break;
    case yajl_gen_in_error_state: g->error = "generator in error state"; break;
    case yajl_gen_generation_complete: g->error = "document already complete"; break;
    case yajl_gen_invalid_number: g->error = "NaN and Infinity cannot be encoded"; break;
    case yajl_gen_no_buf: g->error = "no buffer"; break;
    case yajl_gen_invalid_string: g->error = "string is not valid UTF-8"; break;
    default: g->error = "generator error"; break;
    }
    return -1;
}

int isync_json_gen_null(isync_json_gen *g) { return gen_check(g, yajl_gen_null(g->gen)); }
int isync_json_gen_bool(isync_json_gen *g, int v) { return gen_check(g, yajl_gen_bool(g->gen, v)); }
int isync_json_gen_integer(isync_json_gen *g, long long v)
{
    return gen_check(g, yajl_gen_integer(g->gen, v));
}
int isync_json_gen_number_text(isync_json_gen *g, const char *s, size_t len)
{
    return gen_check(g, yajl_gen_number(g->gen, s, len));
}

/* yajl_gen_double prints "%.20g" (0.1 becomes 0.10000000000000000555); we print the shortest
 * form that reads back as the same double. */
int isync_json_gen_double(isync_json_gen *g, double v)
{
    if (!isfinite(v)) return gen_check(g, yajl_gen_invalid_number);
    char text[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, sizeof(text), "%.*g", precision, v);
        if (strtod(text, NULL) == v) break;
    }
    size_t len = strlen(text);
    if (strspn(text, "0123456789-") == len) { /* keep it a float: 2.0, not 2 */
        memcpy(text + len, ".0", 3);
        len += 2;
    }
    return gen_check(g, yajl_gen_number(g->gen, text, len));
}

int isync_json_gen_string(isync_json_gen *g, const char *s, size_t len)
{
    if (!isync_utf8_valid(s, len)) return gen_check(g, yajl_gen_invalid_string);
    return gen_check(g, yajl_gen_string(g->gen, (const unsigned char *)s, len));
}
int isync_json_gen_map_open(isync_json_gen *g) { return gen_check(g, yajl_gen_map_open(g->gen)); }
int isync_json_gen_map_close(isync_json_gen *g) { return gen_check(g, yajl_gen_map_close(g->gen)); }
int isync_json_gen_array_open(isync_json_gen *g) { return gen_check(g, yajl_gen_array_open(g->gen)); }
int isync_json_gen_array_close(isync_json_gen *g) { return gen_check(g, yajl_gen_array_close(g->gen)); }

int isync_json_gen_cstr(isync_json_gen *g, const char *s)
{
    return isync_json_gen_string(g, s, strlen(s));
}

int isync_json_gen_value(isync_json_gen *g, const isync_json *v)
{
    if (!v) return isync_json_gen_null(g);
    switch (v->type) {
    case ISYNC_JSON_NULL: return isync_json_gen_null(g);
    case ISYNC_JSON_FALSE: return isync_json_gen_bool(g, 0);
    case ISYNC_JSON_TRUE: return isync_json_gen_bool(g, 1);
    case ISYNC_JSON_INTEGER: return isync_json_gen_integer(g, v->u.integer);
    case ISYNC_JSON_BIGNUM: return isync_json_gen_number_text(g, v->u.str.ptr, v->u.str.len);
    case ISYNC_JSON_DOUBLE: return isync_json_gen_double(g, v->u.dbl);
    case ISYNC_JSON_STRING: return isync_json_gen_string(g, v->u.str.ptr, v->u.str.len);
    case ISYNC_JSON_ARRAY:
        if (isync_json_gen_array_open(g)) return -1;
        for (size_t i = 0; i < v->u.list.len; i++) {
            if (isync_json_gen_value(g, v->u.list.values[i])) return -1;
        }
        return isync_json_gen_array_close(g);
    case ISYNC_JSON_OBJECT:
        if (isync_json_gen_map_open(g)) return -1;
        for (size_t i = 0; i < v->u.list.len; i++) {
            if (isync_json_gen_string(g, v->u.list.keys[i].ptr, v->u.list.keys[i].len) ||
                isync_json_gen_value(g, v->u.list.values[i])) {
                return -1;
            }
        }
        return isync_json_gen_map_close(g);
    }
    return -1;
}

void isync_json_gen_result(isync_json_gen *g, const char **out, size_t *len)
{
    const unsigned char *buf = NULL;
    size_t n = 0;
    yajl_gen_get_buf(g->gen, &buf, &n);
    *out = (const char *)buf;
    *len = n;
}

const char *isync_json_gen_error(const isync_json_gen *g)
{
    return g->error ? g->error : "no error";
}

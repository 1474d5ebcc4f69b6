/*
 * JSON for the core: a document model built from yajl's event parser, and a generator.
 *
 * Why not yajl_tree: it needs a NUL-terminated input (a stray NUL would silently end the
 * document), turns big integers into parse errors, and has no depth limit. Our callbacks
 * return 0 to cancel (yajl's contract) and never longjmp.
 */
#include "isync_core.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

/* ---------------------------------------------------------------------------------------- */
/* Strict UTF-8 (RFC 3629): yajl's own check lets overlong forms such as C0 AF through, and
 * surrogates; both would reach Ruby as broken strings. */

int isync_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned int cp, min;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1Fu; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0Fu; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07u; min = 0x10000; }
        else return 0;
        if (len - i <= n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}

/* Appends s to out with every byte that does not start a valid sequence replaced by U+FFFD
 * (as Ruby's String#scrub does for each invalid byte). 0, or -1 when out of memory. */
int isync_utf8_scrub(const char *s, size_t len, isync_buf *out)
{
    size_t i = 0, run = 0; /* run: valid bytes not yet copied, ending at i */
    while (i < len) {
        size_t n = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (len - i < n || !isync_utf8_valid(s + i, n)) {
                if (isync_buf_append(out, s + i - run, run) || isync_buf_append(out, "\xEF\xBF\xBD", 3)) return -1;
                run = 0;
                i++;
                continue;
            }
        }
        i += n;
        run += n;
    }
    return isync_buf_append(out, s + len - run, run);
}

/* ---------------------------------------------------------------------------------------- */
/* Document model */

static isync_json *json_new(isync_json_type type)
{
    isync_json *v = calloc(1, sizeof(*v));
    if (v) v->type = type;
    return v;
}

void isync_json_free(isync_json *v)
{
    if (!v) return;
    switch (v->type) {
    case ISYNC_JSON_STRING:
    case ISYNC_JSON_BIGNUM:
        free(v->u.str.ptr);
        break;
    case ISYNC_JSON_ARRAY:
    case ISYNC_JSON_OBJECT:
        for (size_t i = 0; i < v->u.list.len; i++) {
            if (v->u.list.keys) free(v->u.list.keys[i].ptr);
            isync_json_free(v->u.list.values[i]);
        }
        free(v->u.list.keys);
        free(v->u.list.values);
        break;
    default:
        break;
    }
    free(v);
}

static int str_copy(isync_json_str *dst, const unsigned char *s, size_t len)
{
    dst->ptr = malloc(len + 1);
    if (!dst->ptr) return -1;
    if (len) memcpy(dst->ptr, s, len);
    dst->ptr[len] = '\0';
    dst->len = len;
    return 0;
}

/* Recursion is bounded: documents come from the parser, which refuses nesting past its limit. */
isync_json *isync_json_clone(const isync_json *v)
{
    if (!v) return NULL;
    isync_json *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->type = v->type;
    switch (v->type) {
    case ISYNC_JSON_STRING:
    case ISYNC_JSON_BIGNUM:
        if (str_copy(&c->u.str, (const unsigned char *)v->u.str.ptr, v->u.str.len)) goto fail;
        break;
    case ISYNC_JSON_INTEGER:
        c->u.integer = v->u.integer;
        break;
    case ISYNC_JSON_DOUBLE:
        c->u.dbl = v->u.dbl;
        break;
    case ISYNC_JSON_ARRAY:
    case ISYNC_JSON_OBJECT: {
        size_t n = v->u.list.len;
        c->u.list.values = calloc(n ? n : 1, sizeof(isync_json *));
        if (!c->u.list.values) goto fail;
        if (v->type == ISYNC_JSON_OBJECT) {
            c->u.list.keys = calloc(n ? n : 1, sizeof(isync_json_str));
            if (!c->u.list.keys) goto fail;
        }
        c->u.list.cap = n ? n : 1;
        for (size_t i = 0; i < n; i++) {
            /* len counts the complete entries, so a failure frees exactly what was copied */
            if (c->u.list.keys && str_copy(&c->u.list.keys[i], (const unsigned char *)v->u.list.keys[i].ptr,
                                           v->u.list.keys[i].len)) {
                goto fail;
            }
            if (!(c->u.list.values[i] = isync_json_clone(v->u.list.values[i]))) {
                if (c->u.list.keys) free(c->u.list.keys[i].ptr);
                goto fail;
            }
            c->u.list.len = i + 1;
        }
        break;
    }
    default:
        break;
    }
    return c;
fail:
    isync_json_free(c);
    return NULL;
}

/* Appends child (and, for objects, key, whose ownership moves in) to a container. */
static int list_push(isync_json *parent, isync_json_str *key, isync_json *child)
{
    if (parent->u.list.len == parent->u.list.cap) {
        size_t cap = parent->u.list.cap ? parent->u.list.cap * 2 : 8;
        isync_json **values = realloc(parent->u.list.values, cap * sizeof(isync_json *)); // NOLINT(bugprone-sizeof-expression): an array of pointers
        if (!values) return -1;
        parent->u.list.values = values;
        if (parent->type == ISYNC_JSON_OBJECT) {
            isync_json_str *keys = realloc(parent->u.list.keys, cap * sizeof(*keys));
            if (!keys) return -1;
            parent->u.list.keys = keys;
        }
        parent->u.list.cap = cap;
    }
    if (parent->type == ISYNC_JSON_OBJECT) {
        parent->u.list.keys[parent->u.list.len] = *key;
        key->ptr = NULL;
        key->len = 0;
    }
    parent->u.list.values[parent->u.list.len++] = child;
    return 0;
}

const isync_json *isync_json_get(const isync_json *v, const char *key)
{
    if (!v || v->type != ISYNC_JSON_OBJECT) return NULL;
    size_t klen = strlen(key);
    for (size_t i = v->u.list.len; i-- > 0;) {
        const isync_json_str *k = &v->u.list.keys[i];
        if (k->len == klen && memcmp(k->ptr, key, klen) == 0) return v->u.list.values[i];
    }
    return NULL;
}

const char *isync_json_get_str(const isync_json *v, const char *key)
{
    const isync_json *s = isync_json_get(v, key);
    return (s && s->type == ISYNC_JSON_STRING) ? s->u.str.ptr : NULL;
}

int isync_json_number(const isync_json *v, double *out)
{
    if (!v) return 0;
    switch (v->type) {
    case ISYNC_JSON_INTEGER: *out = (double)v->u.integer; return 1;
    case ISYNC_JSON_DOUBLE: *out = v->u.dbl; return 1;
    case ISYNC_JSON_BIGNUM: *out = strtod(v->u.str.ptr, NULL); return 1;
    default: return 0;
    }
}

int isync_json_equal(const isync_json *a, const isync_json *b)
{
    static const isync_json null_value = {.type = ISYNC_JSON_NULL};
    if (!a) a = &null_value;
    if (!b) b = &null_value;
    if (a->type == ISYNC_JSON_INTEGER && b->type == ISYNC_JSON_INTEGER) return a->u.integer == b->u.integer;
    double x, y;
    if (isync_json_number(a, &x) && isync_json_number(b, &y)) {
        if (a->type == ISYNC_JSON_BIGNUM && b->type == ISYNC_JSON_BIGNUM) {
            return strcmp(a->u.str.ptr, b->u.str.ptr) == 0;
        }
        return x == y;
    }
    if (a->type != b->type) return 0;
    switch (a->type) {
    case ISYNC_JSON_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.ptr, b->u.str.ptr, a->u.str.len) == 0;
    case ISYNC_JSON_ARRAY:
        if (a->u.list.len != b->u.list.len) return 0;
        for (size_t i = 0; i < a->u.list.len; i++) {
            if (!isync_json_equal(a->u.list.values[i], b->u.list.values[i])) return 0;
        }
        return 1;
    case ISYNC_JSON_OBJECT:
        /* member by member, in order: duplicate keys make lookups ambiguous (found by fuzzing) */
        if (a->u.list.len != b->u.list.len) return 0;
        for (size_t i = 0; i < a->u.list.len; i++) {
            const isync_json_str *ka = &a->u.list.keys[i], *kb = &b->u.list.keys[i];
            if (ka->len != kb->len || memcmp(ka->ptr, kb->ptr, ka->len) != 0 ||
                !isync_json_equal(a->u.list.values[i], b->u.list.values[i])) {
                return 0;
            }
        }
        return 1;
    default:
        return 1; /* null, true, false */
    }
}

size_t isync_json_strlen_chars(const isync_json *v)
{
    if (!v || v->type != ISYNC_JSON_STRING) return 0;
    size_t n = 0;
    for (size_t i = 0; i < v->u.str.len; i++) {
        if (((unsigned char)v->u.str.ptr[i] & 0xC0) != 0x80) n++;
    }
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Parser: yajl events -> document */

typedef struct builder {
    isync_json *root;
    isync_json *stack[ISYNC_JSON_MAX_DEPTH];
    size_t depth;
    isync_json_str key;      /* pending object key, owned until pushed */
    const char *cancel_why;  /* set when a callback returned 0 */
} builder;

static int add_value(builder *b, isync_json *v)
{
    if (!v) {
        b->cancel_why = "out of memory";
        return 0;
    }
    if (b->depth == 0) {
        b->root = v;  /* yajl allows exactly one top-level value here */
        return 1;
    }
    if (list_push(b->stack[b->depth - 1], &b->key, v) != 0) {
        isync_json_free(v);
        b->cancel_why = "out of memory";
        return 0;
    }
    return 1;
}

static int on_null(void *ctx) { return add_value(ctx, json_new(ISYNC_JSON_NULL)); }

static int on_boolean(void *ctx, int value)
{
    return add_value(ctx, json_new(value ? ISYNC_JSON_TRUE : ISYNC_JSON_FALSE));
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder *b = ctx;
    char small[64];
    char *text = len < sizeof(small) ? small : malloc(len + 1);
    if (!text) return add_value(b, NULL);
    memcpy(text, s, len);
    text[len] = '\0';

    isync_json *v = NULL;
    int is_integer = strpbrk(text, ".eE") == NULL;
    errno = 0;
    if (is_integer) {
        long long n = strtoll(text, NULL, 10);
        if (errno == ERANGE) {
            v = json_new(ISYNC_JSON_BIGNUM);
            if (v && str_copy(&v->u.str, (const unsigned char *)text, len) != 0) {
                free(v);
                v = NULL;
            }
        } else if ((v = json_new(ISYNC_JSON_INTEGER))) {
            v->u.integer = n;
        }
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && isinf(d)) {
            if (text != small) free(text);
            b->cancel_why = "number out of range";
            return 0;
        }
        if ((v = json_new(ISYNC_JSON_DOUBLE))) v->u.dbl = d;
    }
    if (text != small) free(text);
    return add_value(b, v);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    if (!isync_utf8_valid((const char *)s, len)) {
        ((builder *)ctx)->cancel_why = "string is not valid UTF-8";
        return 0;
    }
    isync_json *v = json_new(ISYNC_JSON_STRING);
    if (v && str_copy(&v->u.str, s, len) != 0) {
        free(v);
        v = NULL;
    }
    return add_value(ctx, v);
}

static int open_container(builder *b, isync_json_type type)
{
    if (b->depth >= ISYNC_JSON_MAX_DEPTH) {
        b->cancel_why = "nesting too deep";
        return 0;
    }
    isync_json *v = json_new(type);
    if (!add_value(b, v)) return 0;
    b->stack[b->depth++] = v;
    return 1;
}

static int on_start_map(void *ctx) { return open_container(ctx, ISYNC_JSON_OBJECT); }
static int on_start_array(void *ctx) { return open_container(ctx, ISYNC_JSON_ARRAY); }

static int on_end_container(void *ctx)
{
    builder *b = ctx;
    b->depth--;
    return 1;
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    builder *b = ctx;
    free(b->key.ptr);
    b->key.ptr = NULL;
    if (!isync_utf8_valid((const char *)s, len)) {
        b->cancel_why = "object key is not valid UTF-8";
        return 0;
    }
    if (str_copy(&b->key, s, len) != 0) {
        b->cancel_why = "out of memory";
        return 0;
    }
    return 1;
}

static const yajl_callbacks parse_callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_container,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_container,
};

isync_json *isync_json_parse(const char *data, size_t len, isync_error *e)
{
    builder b;
    memset(&b, 0, sizeof(b));

    yajl_handle y = yajl_alloc(&parse_callbacks, NULL, &b);
    if (!y) {
        isync_error_set(e, ISYNC_E_NOMEM, "out of memory allocating the JSON parser");
        return NULL;
    }
    /* Validation of UTF-8 in strings is yajl's default; trailing garbage stays an error. */
    yajl_status st = yajl_parse(y, (const unsigned char *)data, len);
    if (st == yajl_status_ok) st = yajl_complete_parse(y);

    if (st != yajl_status_ok || !b.root) {
        if (st == yajl_status_client_canceled) {
            isync_error_set(e, b.cancel_why && strcmp(b.cancel_why, "out of memory") == 0
                                   ? ISYNC_E_NOMEM : ISYNC_E_PARSE,
                            "invalid JSON: %s", b.cancel_why ? b.cancel_why : "cancelled");
        } else if (st == yajl_status_error) {
            unsigned char *msg = yajl_get_error(y, 0, NULL, 0);
            isync_error_set(e, ISYNC_E_PARSE, "invalid JSON at byte %zu: %s",
                            yajl_get_bytes_consumed(y), msg ? (const char *)msg : "parse error");
            if (msg) yajl_free_error(y, msg);
        } else {
            isync_error_set(e, ISYNC_E_PARSE, "invalid JSON: empty document");
        }
        yajl_free(y);
        free(b.key.ptr);
        isync_json_free(b.root);
        return NULL;
    }
    yajl_free(y);
    free(b.key.ptr);
    return b.root;
}

/* ---------------------------------------------------------------------------------------- */
/* Generator */

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

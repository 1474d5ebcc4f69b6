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
#include <stddef.h>
#include <stdint.h>
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
/* Document model: every node, string and child array of a document is carved from one arena
 * (a list of blocks), whose header sits before the root node; freeing the root frees the
 * blocks. Documents are read-only once built, so nothing is ever freed alone. */

enum {
    ALLOC_BY_HAND = 0, /* calloc'd outside this file (the engine's small helpers): freed one by one */
    ALLOC_ROOT,        /* the root of an arena: freeing it frees the document */
    ALLOC_IN_ARENA     /* inside a document: freed with its root */
};

#define BLOCK_MIN 4096
#define BLOCK_MAX ((size_t)256 * 1024) /* bounds the unused tail of the last block */

/* Nodes and arrays are taken from the low end of a block, aligned; string bytes from the high
 * end, unaligned, so short strings cost no padding. */
typedef struct block {
    struct block *next;
    size_t lo, hi;  /* the free space is [lo, hi) */
    /* then the block's bytes, 16-aligned */
} block;
#define BLOCK_HEADER ((sizeof(block) + 15) & ~(size_t)15)

typedef struct arena {
    block *blocks;     /* newest first */
    size_t next_size;  /* grows with the document, so a big one takes few blocks */
    isync_json root;
} arena;

static arena *arena_of(isync_json *root)
{
    return (arena *)(void *)((char *)root - offsetof(arena, root));
}

static arena *arena_new(isync_json_type type)
{
    arena *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->next_size = BLOCK_MIN;
    a->root.type = type;
    a->root.alloc = ALLOC_ROOT;
    return a;
}

static void arena_free(arena *a)
{
    if (!a) return;
    for (block *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

/* A block for n more bytes. A large request (a big container's array, a long string) gets a
 * block of exactly its size, kept behind the current one, which stays in use: no tail is
 * wasted. */
static block *arena_grow(arena *a, size_t n)
{
    int own = n > BLOCK_MAX / 4;
    size_t size = own ? n : a->next_size;
    while (size < n) size *= 2; /* n <= BLOCK_MAX / 4 here */
    if (size > SIZE_MAX - BLOCK_HEADER) return NULL;
    block *b = malloc(BLOCK_HEADER + size);
    if (!b) return NULL;
    b->lo = 0;
    b->hi = size;
    if (own && a->blocks) {
        b->next = a->blocks->next;
        a->blocks->next = b;
    } else {
        b->next = a->blocks;
        a->blocks = b;
        if (a->next_size < BLOCK_MAX) a->next_size *= 2;
    }
    return b;
}

/* n bytes aligned for pointers and 64-bit numbers; NULL when out of memory. */
static void *arena_alloc(arena *a, size_t n)
{
    const size_t align = sizeof(double) > sizeof(void *) ? sizeof(double) : sizeof(void *);
    block *b = a->blocks;
    size_t at = b ? (b->lo + align - 1) & ~(align - 1) : 0;
    if (!b || at > b->hi || n > b->hi - at) {
        if (n > SIZE_MAX - align || !(b = arena_grow(a, n + align))) return NULL;
        at = 0;
    }
    b->lo = at + n;
    return (char *)b + BLOCK_HEADER + at;
}

/* n unaligned bytes (string text). */
static char *arena_bytes(arena *a, size_t n)
{
    block *b = a->blocks;
    if (!b || n > b->hi - b->lo) {
        if (!(b = arena_grow(a, n))) return NULL;
    }
    b->hi -= n;
    return (char *)b + BLOCK_HEADER + b->hi;
}

static isync_json *arena_node(arena *a, isync_json_type type)
{
    isync_json *v = arena_alloc(a, sizeof(*v));
    if (!v) return NULL;
    memset(v, 0, sizeof(*v));
    v->type = type;
    v->alloc = ALLOC_IN_ARENA;
    return v;
}

static int arena_str(arena *a, isync_json_str *dst, const char *s, size_t len)
{
    if (len == SIZE_MAX || !(dst->ptr = arena_bytes(a, len + 1))) return -1;
    if (len) memcpy(dst->ptr, s, len);
    dst->ptr[len] = '\0';
    dst->len = len;
    return 0;
}

void isync_json_free(isync_json *v)
{
    if (!v) return;
    switch (v->alloc) {
    case ALLOC_ROOT:
        arena_free(arena_of(v));
        return;
    case ALLOC_IN_ARENA:
        return; /* its document owns it */
    default:
        break;
    }
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

/* Copies v's content into c (a node of arena a). Recursion is bounded: documents come from the
 * parser, which refuses nesting past its limit. */
static int clone_into(arena *a, isync_json *c, const isync_json *v)
{
    switch (v->type) {
    case ISYNC_JSON_STRING:
    case ISYNC_JSON_BIGNUM:
        return arena_str(a, &c->u.str, v->u.str.ptr, v->u.str.len);
    case ISYNC_JSON_INTEGER:
        c->u.integer = v->u.integer;
        return 0;
    case ISYNC_JSON_DOUBLE:
        c->u.dbl = v->u.dbl;
        return 0;
    case ISYNC_JSON_ARRAY:
    case ISYNC_JSON_OBJECT: {
        size_t n = v->u.list.len;
        if (!n) return 0;
        if (!(c->u.list.values = arena_alloc(a, n * sizeof(isync_json *)))) return -1;
        if (v->type == ISYNC_JSON_OBJECT &&
            !(c->u.list.keys = arena_alloc(a, n * sizeof(isync_json_str)))) {
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            const isync_json *child = v->u.list.values[i];
            isync_json *copy = arena_node(a, child ? child->type : ISYNC_JSON_NULL);
            if (!copy || (child && clone_into(a, copy, child))) return -1;
            if (c->u.list.keys &&
                arena_str(a, &c->u.list.keys[i], v->u.list.keys[i].ptr, v->u.list.keys[i].len)) {
                return -1;
            }
            c->u.list.values[i] = copy;
        }
        c->u.list.len = n;
        return 0;
    }
    default:
        return 0;
    }
}

isync_json *isync_json_clone(const isync_json *v)
{
    if (!v) return NULL;
    arena *a = arena_new(v->type);
    if (!a) return NULL;
    if (clone_into(a, &a->root, v)) {
        arena_free(a);
        return NULL;
    }
    return &a->root;
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

/* Children of the open containers wait on one stack (and the keys of objects' children on
 * another) until their container closes, then move into the arena in an array of exactly their
 * number: no array is grown in the arena, so nothing is wasted there. */
typedef struct builder {
    arena *arena;
    size_t values;            /* in the document so far, against ISYNC_JSON_MAX_VALUES */
    isync_json *open[ISYNC_JSON_MAX_DEPTH];
    size_t first[ISYNC_JSON_MAX_DEPTH]; /* where each open container's children start on the stack */
    size_t depth;
    isync_json **pending;     /* the stack of children, malloc'd */
    size_t len, cap;
    isync_json_str *keys;     /* the keys of the children of open objects, malloc'd */
    size_t keys_first[ISYNC_JSON_MAX_DEPTH];
    size_t keys_len, keys_cap;
    isync_json_str key;       /* the object key just read (in the arena) */
    isync_err_kind cancel_kind;
    const char *cancel_why;   /* set when a callback returned 0 */
} builder;

static int cancel(builder *b, isync_err_kind kind, const char *why)
{
    b->cancel_kind = kind;
    b->cancel_why = why;
    return 0;
}

static int out_of_memory(builder *b) { return cancel(b, ISYNC_E_NOMEM, "out of memory"); }

/* A new node for the next value, placed in its container (or as the root); NULL after a cancel. */
static isync_json *add_value(builder *b, isync_json_type type)
{
    if (++b->values > ISYNC_JSON_MAX_VALUES) {
        cancel(b, ISYNC_E_TOO_LARGE, "too many values");
        return NULL;
    }
    if (!b->arena) { /* the first value is the root (yajl allows exactly one top-level value) */
        if (!(b->arena = arena_new(type))) out_of_memory(b);
        return b->arena ? &b->arena->root : NULL;
    }
    isync_json *v = arena_node(b->arena, type);
    if (!v) {
        out_of_memory(b);
        return NULL;
    }
    if (b->len == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        isync_json **pending = realloc(b->pending, cap * sizeof(isync_json *));
        if (!pending) {
            out_of_memory(b);
            return NULL;
        }
        b->pending = pending;
        b->cap = cap;
    }
    if (b->open[b->depth - 1]->type == ISYNC_JSON_OBJECT) {
        if (b->keys_len == b->keys_cap) {
            size_t cap = b->keys_cap ? b->keys_cap * 2 : 64;
            isync_json_str *keys = realloc(b->keys, cap * sizeof(*keys));
            if (!keys) {
                out_of_memory(b);
                return NULL;
            }
            b->keys = keys;
            b->keys_cap = cap;
        }
        b->keys[b->keys_len++] = b->key;
    }
    b->pending[b->len++] = v;
    return v;
}

static int on_null(void *ctx) { return add_value(ctx, ISYNC_JSON_NULL) != NULL; }

static int on_boolean(void *ctx, int value)
{
    return add_value(ctx, value ? ISYNC_JSON_TRUE : ISYNC_JSON_FALSE) != NULL;
}

static int on_number(void *ctx, const char *s, size_t len)
{
    builder *b = ctx;
    char small[64];
    char *text = len < sizeof(small) ? small : malloc(len + 1);
    if (!text) return out_of_memory(b);
    memcpy(text, s, len);
    text[len] = '\0';

    int ok = 0;
    isync_json *v;
    errno = 0;
    if (strpbrk(text, ".eE") == NULL) {
        long long n = strtoll(text, NULL, 10);
        if (errno == ERANGE) {
            v = add_value(b, ISYNC_JSON_BIGNUM);
            ok = v && (arena_str(b->arena, &v->u.str, text, len) == 0 || out_of_memory(b));
        } else if ((v = add_value(b, ISYNC_JSON_INTEGER))) {
            v->u.integer = n;
            ok = 1;
        }
    } else {
        double d = strtod(text, NULL);
        if (errno == ERANGE && isinf(d)) {
            cancel(b, ISYNC_E_PARSE, "number out of range");
        } else if ((v = add_value(b, ISYNC_JSON_DOUBLE))) {
            v->u.dbl = d;
            ok = 1;
        }
    }
    if (text != small) free(text);
    return ok;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    builder *b = ctx;
    if (!isync_utf8_valid((const char *)s, len)) return cancel(b, ISYNC_E_PARSE, "string is not valid UTF-8");
    isync_json *v = add_value(b, ISYNC_JSON_STRING);
    return v && (arena_str(b->arena, &v->u.str, (const char *)s, len) == 0 || out_of_memory(b));
}

static int open_container(builder *b, isync_json_type type)
{
    if (b->depth >= ISYNC_JSON_MAX_DEPTH) return cancel(b, ISYNC_E_PARSE, "nesting too deep");
    isync_json *v = add_value(b, type);
    if (!v) return 0;
    b->open[b->depth] = v;
    b->keys_first[b->depth] = b->keys_len;
    b->first[b->depth++] = b->len;
    return 1;
}

static int on_start_map(void *ctx) { return open_container(ctx, ISYNC_JSON_OBJECT); }
static int on_start_array(void *ctx) { return open_container(ctx, ISYNC_JSON_ARRAY); }

/* The container's children leave the stack for an exact array in the arena. */
static int on_end_container(void *ctx)
{
    builder *b = ctx;
    isync_json *c = b->open[--b->depth];
    size_t first = b->first[b->depth], n = b->len - first;
    if (n) {
        if (!(c->u.list.values = arena_alloc(b->arena, n * sizeof(isync_json *)))) {
            return out_of_memory(b);
        }
        memcpy(c->u.list.values, b->pending + first, n * sizeof(isync_json *));
        if (c->type == ISYNC_JSON_OBJECT) {
            if (!(c->u.list.keys = arena_alloc(b->arena, n * sizeof(isync_json_str)))) {
                return out_of_memory(b);
            }
            memcpy(c->u.list.keys, b->keys + b->keys_first[b->depth], n * sizeof(isync_json_str));
        }
    }
    c->u.list.len = n;
    b->len = first;
    b->keys_len = b->keys_first[b->depth];
    return 1;
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    builder *b = ctx;
    if (!isync_utf8_valid((const char *)s, len)) return cancel(b, ISYNC_E_PARSE, "object key is not valid UTF-8");
    return arena_str(b->arena, &b->key, (const char *)s, len) == 0 || out_of_memory(b);
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
    free(b.pending);
    free(b.keys);

    if (st != yajl_status_ok || !b.arena) {
        if (st == yajl_status_client_canceled && b.cancel_kind == ISYNC_E_TOO_LARGE) {
            /* the bound is explained beside ISYNC_JSON_MAX_VALUES */
            isync_error_set(e, ISYNC_E_TOO_LARGE, "JSON document with more than %u values", ISYNC_JSON_MAX_VALUES);
        } else if (st == yajl_status_client_canceled) {
            isync_error_set(e, b.cancel_kind, "invalid JSON: %s", b.cancel_why ? b.cancel_why : "cancelled");
        } else if (st == yajl_status_error) {
            unsigned char *msg = yajl_get_error(y, 0, NULL, 0);
            isync_error_set(e, ISYNC_E_PARSE, "invalid JSON at byte %zu: %s",
                            yajl_get_bytes_consumed(y), msg ? (const char *)msg : "parse error");
            if (msg) yajl_free_error(y, msg);
        } else {
            isync_error_set(e, ISYNC_E_PARSE, "invalid JSON: empty document");
        }
        yajl_free(y);
        arena_free(b.arena);
        return NULL;
    }
    yajl_free(y);
    return &b.arena->root;
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

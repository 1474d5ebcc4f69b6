/*
 * The JSON document model of the core: the arena a document lives in (isync_json_arena.h), and
 * what reads or copies a document once built. Documents are read-only once built, so nothing
 * in one is ever freed alone. Parsing is isync_json_parse.c, generating isync_json_gen.c.
 */
#include "isync_json_arena.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    ALLOC_BY_HAND = 0, /* calloc'd outside isync_json*.c (the engine's small helpers): freed one by one */
    ALLOC_ROOT,        /* the root of an arena: freeing it frees the document */
    ALLOC_IN_ARENA     /* inside a document: freed with its root */
};

#define BLOCK_MIN 4096
#define BLOCK_MAX ((size_t)256 * 1024) /* bounds the unused tail of the last block */

/* Nodes and arrays are taken from the low end of a block, aligned; string bytes from the high
 * end, unaligned, so short strings cost no padding. */
typedef struct isync_arena_block {
    struct isync_arena_block *next;
    size_t lo, hi;  /* the free space is [lo, hi) */
    /* then the block's bytes, 16-aligned */
} block;
#define BLOCK_HEADER ((sizeof(block) + 15) & ~(size_t)15)

static isync_arena *arena_of(isync_json *root)
{
    return (isync_arena *)(void *)((char *)root - offsetof(isync_arena, root));
}

isync_arena *isync_arena_new(isync_json_type type)
{
    isync_arena *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->next_size = BLOCK_MIN;
    a->root.type = type;
    a->root.alloc = ALLOC_ROOT;
    return a;
}

void isync_arena_free(isync_arena *a)
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
static block *arena_grow(isync_arena *a, size_t n)
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
void *isync_arena_alloc(isync_arena *a, size_t n)
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
static char *arena_bytes(isync_arena *a, size_t n)
{
    block *b = a->blocks;
    if (!b || n > b->hi - b->lo) {
        if (!(b = arena_grow(a, n))) return NULL;
    }
    b->hi -= n;
    return (char *)b + BLOCK_HEADER + b->hi;
}

isync_json *isync_arena_node(isync_arena *a, isync_json_type type)
{
    isync_json *v = isync_arena_alloc(a, sizeof(*v));
    if (!v) return NULL;
    memset(v, 0, sizeof(*v));
    v->type = type;
    v->alloc = ALLOC_IN_ARENA;
    return v;
}

int isync_arena_str(isync_arena *a, isync_json_str *dst, const char *s, size_t len)
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
        isync_arena_free(arena_of(v));
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
static int clone_into(isync_arena *a, isync_json *c, const isync_json *v)
{
    switch (v->type) {
    case ISYNC_JSON_STRING:
    case ISYNC_JSON_BIGNUM:
        return isync_arena_str(a, &c->u.str, v->u.str.ptr, v->u.str.len);
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
        if (!(c->u.list.values = isync_arena_alloc(a, n * sizeof(isync_json *)))) return -1;
        if (v->type == ISYNC_JSON_OBJECT &&
            !(c->u.list.keys = isync_arena_alloc(a, n * sizeof(isync_json_str)))) {
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            const isync_json *child = v->u.list.values[i];
            isync_json *copy = isync_arena_node(a, child ? child->type : ISYNC_JSON_NULL);
            if (!copy || (child && clone_into(a, copy, child))) return -1;
            if (c->u.list.keys &&
                isync_arena_str(a, &c->u.list.keys[i], v->u.list.keys[i].ptr, v->u.list.keys[i].len)) {
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
    isync_arena *a = isync_arena_new(v->type);
    if (!a) return NULL;
    if (clone_into(a, &a->root, v)) {
        isync_arena_free(a);
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

/*
 * The JSON parser of the core: yajl's events build a document (isync_json.h) in an arena.
 *
 * Why not yajl_tree: it needs a NUL-terminated input (a stray NUL would silently end the
 * document), turns big integers into parse errors, and has no depth limit. Our callbacks
 * return 0 to cancel (yajl's contract) and never longjmp.
 */
#include "isync_json_arena.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

/* Children of the open containers wait on one stack (and the keys of objects' children on
 * another) until their container closes, then move into the arena in an array of exactly their
 * number: no array is grown in the arena, so nothing is wasted there. */
typedef struct builder {
    isync_arena *arena;
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
        if (!(b->arena = isync_arena_new(type))) out_of_memory(b);
        return b->arena ? &b->arena->root : NULL;
    }
    isync_json *v = isync_arena_node(b->arena, type);
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
            ok = v && (isync_arena_str(b->arena, &v->u.str, text, len) == 0 || out_of_memory(b));
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
    return v && (isync_arena_str(b->arena, &v->u.str, (const char *)s, len) == 0 || out_of_memory(b));
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
        if (!(c->u.list.values = isync_arena_alloc(b->arena, n * sizeof(isync_json *)))) {
            return out_of_memory(b);
        }
        memcpy(c->u.list.values, b->pending + first, n * sizeof(isync_json *));
        if (c->type == ISYNC_JSON_OBJECT) {
            if (!(c->u.list.keys = isync_arena_alloc(b->arena, n * sizeof(isync_json_str)))) {
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
    return isync_arena_str(b->arena, &b->key, (const char *)s, len) == 0 || out_of_memory(b);
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
        isync_arena_free(b.arena);
        return NULL;
    }
    yajl_free(y);
    return &b.arena->root;
}

/*
 * JSON for the core: a small document model (isync_json.c), built by a parser over yajl's
 * events (isync_json_parse.c), and a generator over yajl_gen (isync_json_gen.c).
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_JSON_H
#define ISYNC_JSON_H

#ifndef ISYNC_CORE_H
#error "isync_json.h is one part of isync_core.h: include isync_core.h"
#endif

typedef enum isync_json_type {
    ISYNC_JSON_NULL,
    ISYNC_JSON_FALSE,
    ISYNC_JSON_TRUE,
    ISYNC_JSON_INTEGER,  /* fits in int64_t: .u.integer */
    ISYNC_JSON_BIGNUM,   /* integer too large for int64_t: decimal text in .u.str */
    ISYNC_JSON_DOUBLE,   /* .u.dbl */
    ISYNC_JSON_STRING,   /* UTF-8 (validated by yajl), may contain NUL: .u.str */
    ISYNC_JSON_ARRAY,    /* .u.list (keys NULL) */
    ISYNC_JSON_OBJECT    /* .u.list, insertion order, duplicate keys kept (last one wins on lookup) */
} isync_json_type;

typedef struct isync_json isync_json;

typedef struct isync_json_str {
    char *ptr;   /* NUL-terminated copy */
    size_t len;
} isync_json_str;

/* A parsed document lives in one arena owned by its root: isync_json_free(root) releases it
 * all at once, and nodes inside it are never freed (or changed) one by one. A node is 32 bytes
 * plus its slot in the parent (8, and 16 for an object key); there is no per-node malloc. */
struct isync_json {
    isync_json_type type;
    unsigned int alloc;   /* how the node was allocated (isync_json.c); 0: calloc'd by hand */
    union {
        int64_t integer;
        double dbl;
        isync_json_str str;
        struct {
            isync_json_str *keys;  /* objects only */
            isync_json **values;
            size_t len;
        } list;
    } u;
};

#define ISYNC_JSON_MAX_DEPTH 64
/* Values (scalars and containers) one document may hold. The largest real answers are pages of
 * 150 contacts: with 250 custom attributes each and 10 embedded companies, about 350 values a
 * contact, 52,500 in all. 2^18 leaves 5x room and bounds a parsed document to
 * about 11 MB of nodes plus its strings, whatever the server sends; past it the parse fails with
 * ISYNC_E_TOO_LARGE. */
#define ISYNC_JSON_MAX_VALUES (1u << 18)

/* isync_json_parse.c: parses exactly one JSON document (no trailing garbage, at most
 * ISYNC_JSON_MAX_VALUES values). NULL on failure with e filled in. */
isync_json *isync_json_parse(const char *data, size_t len, isync_error *e);

/* isync_json.c: reading and copying documents */

/* Frees a document (its root) or a node calloc'd by hand; NULL is fine. */
void isync_json_free(isync_json *v);
/* A deep copy, in its own arena; NULL when out of memory (or v is NULL). */
isync_json *isync_json_clone(const isync_json *v);
/* Object lookup; NULL when v is not an object or has no such key. */
const isync_json *isync_json_get(const isync_json *v, const char *key);
/* The string at key, or NULL when absent or not a string. */
const char *isync_json_get_str(const isync_json *v, const char *key);

/* Number of the value as a double (integer, double or bignum); 0 when not a number. */
int isync_json_number(const isync_json *v, double *out);
/* Deep equality; integers and doubles compare by value (1 == 1.0). NULL equals JSON null. */
int isync_json_equal(const isync_json *a, const isync_json *b);
/* Length of a string value in characters (UTF-8 code points). */
size_t isync_json_strlen_chars(const isync_json *v);

/* isync_json_gen.c: a generator over yajl_gen writing compact UTF-8 JSON; strings are
 * validated as UTF-8. */
typedef struct isync_json_gen isync_json_gen;
isync_json_gen *isync_json_gen_new(void);
void isync_json_gen_free(isync_json_gen *g);
/* Starts a new document on g (its output and any error cleared), keeping its allocation. */
void isync_json_gen_reset(isync_json_gen *g);
int isync_json_gen_null(isync_json_gen *g);
int isync_json_gen_bool(isync_json_gen *g, int value);
int isync_json_gen_integer(isync_json_gen *g, long long value);
int isync_json_gen_number_text(isync_json_gen *g, const char *digits, size_t len);
int isync_json_gen_double(isync_json_gen *g, double value); /* -1 for NaN/Infinity */
int isync_json_gen_string(isync_json_gen *g, const char *s, size_t len); /* -1 if not UTF-8 */
int isync_json_gen_map_open(isync_json_gen *g);
int isync_json_gen_map_close(isync_json_gen *g);
int isync_json_gen_array_open(isync_json_gen *g);
int isync_json_gen_array_close(isync_json_gen *g);
/* Writes a whole document model value. */
int isync_json_gen_value(isync_json_gen *g, const isync_json *v);
int isync_json_gen_cstr(isync_json_gen *g, const char *s); /* NUL-terminated string */
/* The document so far; valid until the next call on g. */
void isync_json_gen_result(isync_json_gen *g, const char **out, size_t *len);
/* Why the last call returned -1. */
const char *isync_json_gen_error(const isync_json_gen *g);

#endif /* ISYNC_JSON_H */

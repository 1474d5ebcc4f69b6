/*
 * The arena a document lives in (isync_json.c), shared with the parser that fills one
 * (isync_json_parse.c). Every node, string and child array of a document is carved from it (a
 * list of blocks); its header sits before the root node, so freeing the root frees the blocks.
 */
#ifndef ISYNC_JSON_ARENA_H
#define ISYNC_JSON_ARENA_H

#include "isync_core.h"

typedef struct isync_arena {
    struct isync_arena_block *blocks; /* newest first */
    size_t next_size;  /* grows with the document, so a big one takes few blocks */
    isync_json root;
} isync_arena;

/* A new arena whose root has type; NULL when out of memory. */
isync_arena *isync_arena_new(isync_json_type type);
void isync_arena_free(isync_arena *a);
/* n bytes aligned for pointers and 64-bit numbers; NULL when out of memory. */
void *isync_arena_alloc(isync_arena *a, size_t n);
/* A zeroed node of type inside the document; NULL when out of memory. */
isync_json *isync_arena_node(isync_arena *a, isync_json_type type);
/* A NUL-terminated copy of s[0..len) into *dst; -1 when out of memory. */
int isync_arena_str(isync_arena *a, isync_json_str *dst, const char *s, size_t len);

#endif /* ISYNC_JSON_ARENA_H */

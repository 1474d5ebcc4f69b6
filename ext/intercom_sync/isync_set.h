/*
 * isync_set.c: an index from strings to positions, SipHash-1-3 under a per-process random key.
 * Keys are not copied: each must stay in place while the set holds it.
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_SET_H
#define ISYNC_SET_H

#ifndef ISYNC_CORE_H
#error "isync_set.h is one part of isync_core.h: include isync_core.h"
#endif

typedef struct isync_set_slot {
    const char *key;  /* NULL: empty */
    size_t len;
    uint64_t hash;
    size_t value;
} isync_set_slot;

typedef struct isync_set {
    isync_set_slot *slots;
    size_t len, cap;  /* cap: 0 or a power of two, at least twice len */
} isync_set;

uint64_t isync_hash(const char *data, size_t len);
void isync_set_init(isync_set *set);
void isync_set_free(isync_set *set);
/* 1 and *value (when value is not NULL) if key is in the set, else 0. */
int isync_set_get(const isync_set *set, const char *key, size_t len, size_t *value);
/* Adds key or replaces its value; -1 when out of memory. */
int isync_set_put(isync_set *set, const char *key, size_t len, size_t value);

#endif /* ISYNC_SET_H */

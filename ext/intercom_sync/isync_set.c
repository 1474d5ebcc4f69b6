/*
 * A small open-addressing hash index from strings to positions, for the engine's id and
 * attribute lookups (issue 9: linear scans made a server's 80,000-item list cost seconds).
 *
 * Keys come from the server, so the hash is SipHash-1-3 under a per-process random key: a
 * server cannot precompute names that collide into one long probe chain.
 */
#include "isync_core.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static uint64_t sip_k0, sip_k1;
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_seed(void)
{
    uint64_t k[2] = {0, 0};
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, k, sizeof(k)) : -1;
    if (fd >= 0) close(fd);
    if (got != (ssize_t)sizeof(k)) {
        /* no urandom (a chroot): still differs per process and run */
        struct timeval tv;
        gettimeofday(&tv, NULL);
        k[0] ^= (uint64_t)tv.tv_usec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
        k[1] ^= (uint64_t)tv.tv_sec * 0xC2B2AE3D27D4EB4FULL ^ (uint64_t)(uintptr_t)&tv;
    }
    sip_k0 = k[0];
    sip_k1 = k[1];
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                  \
    do {                                                                          \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                 \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                    \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                    \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                 \
    } while (0)

uint64_t isync_hash(const char *data, size_t len)
{
    pthread_once(&sip_once, sip_seed);
    const unsigned char *in = (const unsigned char *)data;
    uint64_t v0 = 0x736f6d6570736575ULL ^ sip_k0, v1 = 0x646f72616e646f6dULL ^ sip_k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ sip_k0, v3 = 0x7465646279746573ULL ^ sip_k1;
    size_t whole = len - (len % 8);
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = 0;
        for (int b = 7; b >= 0; b--) m = (m << 8) | in[i + (size_t)b];
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++) last |= (uint64_t)in[whole + i] << (8 * i);
    v3 ^= last;
    SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void isync_set_init(isync_set *set) { memset(set, 0, sizeof(*set)); }

void isync_set_free(isync_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof(*set));
}

/* The slot holding key, or the empty slot where it would go. */
static isync_set_slot *slot_for(const isync_set *set, const char *key, size_t len, uint64_t hash)
{
    size_t mask = set->cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        isync_set_slot *s = &set->slots[i];
        if (!s->key) return s;
        if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0) return s;
    }
}

int isync_set_get(const isync_set *set, const char *key, size_t len, size_t *value)
{
    if (set->len == 0) return 0;
    const isync_set_slot *s = slot_for(set, key, len, isync_hash(key, len));
    if (!s->key) return 0;
    if (value) *value = s->value;
    return 1;
}

static int grow(isync_set *set)
{
    size_t cap = set->cap ? set->cap * 2 : 16;
    isync_set_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots) return -1;
    isync_set old = *set;
    set->slots = slots;
    set->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key) *slot_for(set, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
    }
    free(old.slots);
    return 0;
}

int isync_set_put(isync_set *set, const char *key, size_t len, size_t value)
{
    /* at most half full: probe chains stay short */
    if ((set->len + 1) * 2 > set->cap && grow(set)) return -1;
    uint64_t hash = isync_hash(key, len);
    isync_set_slot *s = slot_for(set, key, len, hash);
    if (!s->key) {
        s->key = key;
        s->len = len;
        s->hash = hash;
        set->len++;
    }
    s->value = value;
    return 0;
}

/* Growable byte buffer for response bodies, JSON output and URL building. */
#include "isync_core.h"

#include <stdlib.h>
#include <string.h>

void isync_buf_init(isync_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void isync_buf_free(isync_buf *b)
{
    free(b->data);
    isync_buf_init(b);
}

void isync_buf_clear(isync_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void isync_buf_shrink(isync_buf *b, size_t keep_bytes)
{
    if (b->cap > keep_bytes) isync_buf_free(b);
    else isync_buf_clear(b);
}

int isync_buf_append(isync_buf *b, const void *data, size_t len)
{
    if (len > SIZE_MAX - b->len - 1) return -1;
    size_t need = b->len + len + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *grown = realloc(b->data, cap);
        if (!grown) return -1;
        b->data = grown;
        b->cap = cap;
    }
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int isync_buf_append_str(isync_buf *b, const char *s)
{
    return isync_buf_append(b, s, strlen(s));
}

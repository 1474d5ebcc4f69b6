/*
 * isync_buf.c: a growable byte buffer, always NUL-terminated so it can be read as a C string.
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_BUF_H
#define ISYNC_BUF_H

#ifndef ISYNC_CORE_H
#error "isync_buf.h is one part of isync_core.h: include isync_core.h"
#endif

typedef struct isync_buf {
    char *data;  /* malloc'd; NULL until the first append */
    size_t len;  /* bytes used, excluding the terminating NUL */
    size_t cap;  /* bytes allocated */
} isync_buf;

void isync_buf_init(isync_buf *b);
void isync_buf_free(isync_buf *b);
void isync_buf_clear(isync_buf *b);                      /* keeps the allocation for reuse */
int isync_buf_append(isync_buf *b, const void *data, size_t len); /* 0, or -1 on OOM */
int isync_buf_append_str(isync_buf *b, const char *s);
/* Drops the allocation when it grew past keep_bytes, so one huge response does not pin memory. */
void isync_buf_shrink(isync_buf *b, size_t keep_bytes);

#endif /* ISYNC_BUF_H */

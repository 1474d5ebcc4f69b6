/*
 * What parsing one answer costs in memory (issue 9, finding 7): for each JSON file given, the
 * heap the document model holds once parsed (glibc's mallinfo2, exact) and the growth of the
 * process's peak RSS while parsing (VmHWM, which also sees transient buffers). Built and run
 * by bench/json_memory.rb; one file per process so peaks do not mix.
 */
#define _GNU_SOURCE
#include "isync_core.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long vm_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, field, n) == 0) kb = atol(line + n + 1);
    }
    if (f) fclose(f);
    return kb;
}

static size_t count_values(const isync_json *v)
{
    size_t n = 1;
    if (v->type == ISYNC_JSON_ARRAY || v->type == ISYNC_JSON_OBJECT) {
        for (size_t i = 0; i < v->u.list.len; i++) n += count_values(v->u.list.values[i]);
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s file.json\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 2;
    isync_buf text;
    isync_buf_init(&text);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (isync_buf_append(&text, chunk, n)) return 3;
    }
    fclose(f);

    size_t heap_before = mallinfo2().uordblks + mallinfo2().hblkhd;
    long hwm_before = vm_kb("VmHWM");
    isync_error e;
    isync_error_clear(&e);
    isync_json *doc = isync_json_parse(text.data, text.len, &e);
    size_t heap_after = mallinfo2().uordblks + mallinfo2().hblkhd;
    long hwm_after = vm_kb("VmHWM");
    printf("%zu %zu %ld %zu %s\n", text.len, heap_after - heap_before, (hwm_after - hwm_before) * 1024,
           doc ? count_values(doc) : 0, doc ? "ok" : e.message);
    isync_json_free(doc);
    isync_buf_free(&text);
    return 0;
}

/*
 * IntercomSync::Native.release_free_memory: gives the memory malloc holds free back to the
 * system, after a bulk run (FreeMemory). A run's threads parse pages, snapshots and answers in
 * the allocator's per-thread arenas; what they free stays mapped there, so a long-lived process
 * (a Sidekiq worker calling perform_all every few minutes) grew its RSS run after run with
 * memory it no longer used. glibc: malloc_trim(0) returns the free pages of every arena
 * (madvise), as Ruby 3.3's Process.warmup does for the same reason. jemalloc (LD_PRELOAD, or a
 * Ruby built with it): purging every arena returns its dirty pages now rather than after its
 * decay time.
 */
#include "isync.h" /* (Ruby's config.h defines _GNU_SOURCE: dlfcn.h has RTLD_DEFAULT) */

#include <dlfcn.h>
#include <string.h>

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

/* jemalloc's control call, and its name for every arena (MALLCTL_ARENAS_ALL, 4096 since 5.0) */
typedef int (*mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
#define JEMALLOC_PURGE_ALL "arena.4096.purge"

typedef struct release_args {
    mallctl_fn mallctl;
    int released;
} release_args;

static void *release(void *p)
{
    release_args *a = p;
    if (a->mallctl && a->mallctl(JEMALLOC_PURGE_ALL, NULL, NULL, NULL, 0) == 0) a->released = 1;
#ifdef HAVE_MALLOC_TRIM
    if (malloc_trim(0)) a->released = 1;
#endif
    return NULL;
}

/* true when memory was given back, false when there was none to give; nil where the allocator
 * has no such call (neither glibc's nor jemalloc's). The GVL is released: the walk over the
 * arenas takes milliseconds, and takes each arena's lock in turn, never all at once. */
/* jemalloc's mallctl when jemalloc is the process's malloc (preloaded, or linked into Ruby: there
 * when the extension loads), looked up once: a lookup that fails leaves glibc's error text in
 * the calling thread's state, lost with a worker thread that ends. */
static mallctl_fn jemalloc_mallctl;

static VALUE native_release_free_memory(VALUE self)
{
    (void)self;
    release_args a = {.mallctl = jemalloc_mallctl};
#ifndef HAVE_MALLOC_TRIM
    if (!a.mallctl) return Qnil;
#endif
    rb_nogvl(release, &a, NULL, NULL, 0);
    return a.released ? Qtrue : Qfalse;
}

void isync_init_memory(void)
{
    void *symbol = dlsym(RTLD_DEFAULT, "mallctl");
    memcpy(&jemalloc_mallctl, &symbol, sizeof(jemalloc_mallctl)); /* (a data pointer to a function: dlsym's way) */
    rb_define_module_function(mIntercomSyncNative, "release_free_memory", native_release_free_memory, 0);
}

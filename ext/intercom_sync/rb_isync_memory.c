/*
 * IntercomSync::Native.release_free_memory: gives the memory malloc holds free back to the
 * system, after a bulk run (Bulk). A run's threads parse pages, snapshots and answers in
 * glibc's per-thread arenas; what they free stays mapped in those arenas, so a long-lived
 * process (a Sidekiq worker calling perform_all every few minutes) grew its RSS run after run
 * with memory it no longer used. malloc_trim(0) returns the free pages of every arena
 * (madvise), as Ruby 3.3's Process.warmup does for the same reason.
 */
#include "isync.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>

static void *trim(void *released)
{
    *(int *)released = malloc_trim(0);
    return NULL;
}
#endif

/* true when memory was given back, false when there was none to give; nil where the allocator
 * has no such call (it is not glibc's). The GVL is released: the walk over the arenas takes
 * milliseconds, and it takes each arena's lock in turn, never all at once. */
static VALUE native_release_free_memory(VALUE self)
{
    (void)self;
#ifdef HAVE_MALLOC_TRIM
    int released = 0;
    rb_nogvl(trim, &released, NULL, NULL, 0);
    return released ? Qtrue : Qfalse;
#else
    return Qnil;
#endif
}

void isync_init_memory(void)
{
    rb_define_module_function(mIntercomSyncNative, "release_free_memory", native_release_free_memory, 0);
}

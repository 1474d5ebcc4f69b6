/*
 * IntercomSync::Native.sync(client, snapshot_json, dry_run, deadline_seconds) -> [result, error]
 *
 * Drives the core's sync engine (isync_sync.c) over a client: each request the engine asks
 * for runs with the GVL released, and its outcome is fed back. The result (a Hash) is returned
 * even when the sync fails, beside the exception, because it holds the ids learned from
 * Intercom before the failure: the Ruby layer saves those, then raises.
 */
#include "isync.h"

typedef struct sync_args {
    rb_isync_client *client;
    const char *snapshot;
    size_t snapshot_len;
    int dry_run;
    long long deadline_ms;
    isync_sync *engine;   /* freed in ensure */
    isync_buf result;     /* freed in ensure */
    isync_json *parsed;   /* freed in ensure */
} sync_args;

static VALUE sync_body(VALUE p)
{
    sync_args *a = (sync_args *)p;
    isync_error e, outcome;
    isync_error_clear(&e);

    a->engine = isync_sync_new(a->snapshot, a->snapshot_len, a->dry_run, &e);
    if (!a->engine) return rb_ary_new_from_args(2, Qnil, isync_make_error(&e, isync_client_secret(a->client)));

    int failed = 0;
    unsigned long retries_before = isync_client_retries(a->client);
    isync_sync_request req;
    int rc;
    while ((rc = isync_sync_next(a->engine, &req, &e)) == 1) {
        /* nothing can raise between the call's return and the feed, which takes the answer over */
        isync_json *doc = isync_client_call(a->client, req.method, req.path, req.body, req.body_len, a->deadline_ms,
                                            &outcome);
        if (isync_sync_feed(a->engine, doc, doc ? NULL : &outcome, &e)) {
            failed = 1;
            break;
        }
    }
    if (rc < 0) failed = 1;

    if (isync_sync_result(a->engine, &a->result)) rb_memerror();
    isync_error pe;
    if (!(a->parsed = isync_json_parse(a->result.data, a->result.len, &pe))) {
        isync_raise(&pe, NULL); /* our own generator's output: cannot happen */
    }
    VALUE result = isync_json_to_ruby(a->parsed);
    /* the engine counts the requests it asked for; repeats after failures are requests too */
    unsigned long retries = isync_client_retries(a->client) - retries_before;
    long requests = NUM2LONG(rb_hash_aref(result, rb_str_new_cstr("requests")));
    rb_hash_aset(result, rb_str_new_cstr("requests"), LONG2NUM(requests + (long)retries));
    rb_hash_aset(result, rb_str_new_cstr("retries"), ULONG2NUM(retries));
    VALUE error = failed ? isync_make_error(&e, isync_client_secret(a->client)) : Qnil;
    return rb_ary_new_from_args(2, result, error);
}

static VALUE sync_ensure(VALUE p)
{
    sync_args *a = (sync_args *)p;
    isync_sync_free(a->engine);
    isync_buf_free(&a->result);
    isync_json_free(a->parsed);
    isync_client_release(a->client);
    return Qnil;
}

static VALUE native_sync(VALUE self, VALUE client, VALUE snapshot, VALUE dry_run, VALUE deadline)
{
    /* nil or 0: no deadline; the bound keeps now + seconds * 1000 far from overflowing */
    double seconds = NIL_P(deadline) ? 0 : isync_option_number(deadline, "sync_deadline", 0, 1e9, 0);
    StringValue(snapshot);
    snapshot = rb_str_new_frozen(snapshot); /* the engine parses it before any GVL release */
    sync_args a = {
        .client = isync_client_acquire(client),
        .snapshot = RSTRING_PTR(snapshot),
        .snapshot_len = (size_t)RSTRING_LEN(snapshot),
        .dry_run = RTEST(dry_run),
        .deadline_ms = seconds > 0 ? isync_now_ms() + (long long)(seconds * 1000) : 0,
    };
    isync_buf_init(&a.result);
    VALUE out = rb_ensure(sync_body, (VALUE)&a, sync_ensure, (VALUE)&a);
    RB_GC_GUARD(snapshot);
    RB_GC_GUARD(client); /* its struct is used until the ensure released it */
    return out;
}

void isync_init_sync(void)
{
    rb_define_module_function(mIntercomSyncNative, "sync", native_sync, 4);
}

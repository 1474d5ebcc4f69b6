/*
 * IntercomSync::Native.sync(client, snapshot_json, dry_run, deadline_seconds) -> [result, error]
 *
 * Drives the core's sync engine (isync_ops.c) over a client: each request the engine asks
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
    isync_buf scrubbed;   /* freed in ensure */
    isync_json *parsed;   /* freed in ensure */
} sync_args;

#ifdef ISYNC_TEST_HOOKS
/* Built only into test builds (ISYNC_TEST_HOOKS=1, and the ASan build of rake spec:asan): no API.
 *
 * A result as JSON text (NULL when the engine could not write it) as a Hash: what
 * Native.decode_sync_result does for specs (Native.sync converts the engine's document directly).
 *
 * Whatever goes wrong here is a typed IntercomSync::Error in *why, never NoMemoryError unless an
 * allocation really failed: the sync may have created a contact or companies before, and the
 * Ruby layer saves the ids the result holds before it raises. Text that is not valid UTF-8 is
 * scrubbed (U+FFFD) and read again, so one broken warning does not lose those ids. */
static VALUE decode_result(sync_args *a, const char *text, size_t len, isync_error *why)
{
    isync_error_clear(why);
    if (!text) {
        isync_error_set(why, ISYNC_E_PARSE, "intercom_sync could not encode the sync's result "
                                            "(a string that is not UTF-8, or out of memory)");
        return Qnil;
    }
    isync_error pe;
    isync_error_clear(&pe);
    if (!(a->parsed = isync_json_parse(text, len, &pe)) && pe.kind != ISYNC_E_NOMEM && !isync_utf8_valid(text, len)) {
        isync_error_set(why, ISYNC_E_PARSE, "the sync's result was not valid UTF-8 (replaced with U+FFFD)");
        if (isync_utf8_scrub(text, len, &a->scrubbed)) rb_memerror();
        a->parsed = isync_json_parse(a->scrubbed.data, a->scrubbed.len, &pe);
    }
    if (!a->parsed && pe.kind == ISYNC_E_NOMEM) rb_memerror();
    if (!a->parsed || a->parsed->type != ISYNC_JSON_OBJECT) {
        isync_error_set(why, ISYNC_E_PARSE, "the sync's result is not a JSON object: %.200s",
                        a->parsed ? "another value" : pe.message);
        return Qnil;
    }
    return isync_json_to_ruby(a->parsed);
}
#endif

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

    /* repeats after failures are requests too: the engine counts them in its result */
    isync_sync_count_retries(a->engine, isync_client_retries(a->client) - retries_before);

    /* the engine's result document, straight into a Hash (owned by the engine, freed in ensure) */
    const isync_json *doc = isync_sync_result_doc(a->engine);
    isync_error why;
    isync_error_clear(&why);
    if (!doc) {
        isync_error_set(&why, ISYNC_E_PARSE, "intercom_sync could not encode the sync's result "
                                             "(a string that is not UTF-8, or out of memory)");
    }
    VALUE result = doc ? isync_json_to_ruby(doc) : Qnil;
    VALUE error = failed ? isync_make_error(&e, isync_client_secret(a->client))
                  : why.kind != ISYNC_OK ? isync_make_error(&why, NULL) : Qnil;
    return rb_ary_new_from_args(2, result, error);
}

static VALUE sync_ensure(VALUE p)
{
    sync_args *a = (sync_args *)p;
    isync_sync_free(a->engine);
    isync_buf_free(&a->scrubbed);
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
    isync_buf_init(&a.scrubbed);
    VALUE out = rb_ensure(sync_body, (VALUE)&a, sync_ensure, (VALUE)&a);
    RB_GC_GUARD(snapshot);
    RB_GC_GUARD(client); /* its struct is used until the ensure released it */
    return out;
}

#ifdef ISYNC_TEST_HOOKS
/* Native.decode_sync_result(text or nil) -> [result, error]: the decoding of an engine result's
 * text, for specs (nil stands for a result the engine could not write). */
static VALUE decode_body(VALUE p)
{
    sync_args *a = (sync_args *)p;
    isync_error why;
    VALUE result = decode_result(a, a->snapshot, a->snapshot_len, &why);
    return rb_ary_new_from_args(2, result, why.kind != ISYNC_OK ? isync_make_error(&why, NULL) : Qnil);
}

static VALUE decode_ensure(VALUE p)
{
    sync_args *a = (sync_args *)p;
    isync_buf_free(&a->scrubbed);
    isync_json_free(a->parsed);
    return Qnil;
}

static VALUE native_decode_sync_result(VALUE self, VALUE text)
{
    sync_args a = {0};
    if (!NIL_P(text)) {
        StringValue(text);
        a.snapshot = RSTRING_PTR(text);
        a.snapshot_len = (size_t)RSTRING_LEN(text);
    }
    isync_buf_init(&a.scrubbed);
    VALUE out = rb_ensure(decode_body, (VALUE)&a, decode_ensure, (VALUE)&a);
    RB_GC_GUARD(text);
    return out;
}

#endif

void isync_init_sync(void)
{
#ifdef ISYNC_TEST_HOOKS
    rb_define_singleton_method(mIntercomSyncNative, "decode_sync_result", native_decode_sync_result, 1);
#endif
    rb_define_module_function(mIntercomSyncNative, "sync", native_sync, 4);
}

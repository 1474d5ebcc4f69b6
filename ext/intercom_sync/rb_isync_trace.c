/*
 * Client#trace_start and Client#trace_take (private; IntercomSync::Instrumentation calls them
 * around a native call when someone subscribed to request.intercom_sync): the core records what
 * each request of the call did (isync_trace.c, bounded, ids already reduced to "{id}"), and
 * Ruby publishes it after the call has returned. The core never calls Ruby.
 */
#include "isync.h"
#include "isync_trace.h"

static VALUE sym_method, sym_path, sym_status, sym_retries, sym_waited_ms, sym_limit, sym_remaining,
    sym_error_class;

/* Client#trace_start: records the requests of the calls that follow (until trace_take). */
static VALUE client_trace_start(VALUE self)
{
    isync_exec *x = isync_client_exec(self);
    if (!x->trace && !(x->trace = isync_trace_new())) rb_memerror();
    isync_trace_clear(x->trace);
    x->trace->on = 1;
    return Qnil;
}

static VALUE number_or_nil(long n)
{
    return n >= 0 ? LONG2NUM(n) : Qnil;
}

static VALUE error_class_name(const isync_trace_entry *r)
{
    if (r->outcome != ISYNC_TRACE_FAILED) return Qnil;
    if (r->out_of_memory) return rb_str_new_cstr("NoMemoryError");
    if (r->error_class < 0 || r->error_class >= ISYNC_EC_COUNT) return Qnil;
    return rb_sprintf("IntercomSync::%s", isync_error_classes[r->error_class].name);
}

/* [start, finish, payload, interrupted]: monotonic seconds (Process::CLOCK_MONOTONIC's clock),
 * and the event's payload, whose error_class an interrupted request leaves to Ruby (the exception
 * that unwound it is only known there). */
static VALUE entry_to_ruby(const isync_trace_entry *r)
{
    VALUE payload = rb_hash_new();
    rb_hash_aset(payload, sym_method, rb_str_new_cstr(r->method));
    rb_hash_aset(payload, sym_path, rb_utf8_str_new_cstr(r->path));
    rb_hash_aset(payload, sym_status, r->status > 0 ? LONG2NUM(r->status) : Qnil);
    rb_hash_aset(payload, sym_retries, INT2NUM(r->retries));
    rb_hash_aset(payload, sym_waited_ms, LL2NUM(r->waited_ms));
    rb_hash_aset(payload, sym_limit, number_or_nil(r->limit));
    rb_hash_aset(payload, sym_remaining, number_or_nil(r->remaining));
    rb_hash_aset(payload, sym_error_class, error_class_name(r));
    return rb_ary_new_from_args(4, DBL2NUM((double)r->start_ns / 1e9), DBL2NUM((double)r->end_ns / 1e9), payload,
                                r->outcome == ISYNC_TRACE_INTERRUPTED ? Qtrue : Qfalse);
}

/* Client#trace_take -> [entries, dropped]: what was recorded since trace_start, and how many
 * requests went unrecorded past the bound; recording stops. */
static VALUE client_trace_take(VALUE self)
{
    isync_exec *x = isync_client_exec(self);
    isync_trace *t = x->trace;
    if (!t) return rb_ary_new_from_args(2, rb_ary_new(), INT2FIX(0));
    t->on = 0;
    VALUE entries = rb_ary_new_capa((long)t->len);
    for (size_t i = 0; i < t->len; i++) rb_ary_push(entries, entry_to_ruby(&t->entries[i]));
    VALUE out = rb_ary_new_from_args(2, entries, ULONG2NUM(t->dropped));
    isync_trace_clear(t);
    return out;
}

void isync_init_trace(void)
{
    VALUE client = rb_const_get(mIntercomSync, rb_intern("Client"));
    rb_define_private_method(client, "trace_start", client_trace_start, 0);
    rb_define_private_method(client, "trace_take", client_trace_take, 0);
    sym_method = ID2SYM(rb_intern("method"));
    sym_path = ID2SYM(rb_intern("path"));
    sym_status = ID2SYM(rb_intern("status"));
    sym_retries = ID2SYM(rb_intern("retries"));
    sym_waited_ms = ID2SYM(rb_intern("waited_ms"));
    sym_limit = ID2SYM(rb_intern("rate_limit_limit"));
    sym_remaining = ID2SYM(rb_intern("rate_limit_remaining"));
    sym_error_class = ID2SYM(rb_intern("error_class"));
    rb_define_const(mIntercomSyncNative, "TRACE_MAX", INT2FIX(ISYNC_TRACE_MAX));
}

/*
 * The rate-limit budget shared by processes (issue 13), as the core sees it: the core's loop
 * asks it for a slot before each request and tells it each answer's window (isync_exec.h,
 * isync_shared_budget). The record itself lives in Ruby (IntercomSync::SharedBudget, over
 * Redis): these calls take the GVL for the length of a Ruby method call, from inside the loop
 * that runs without it.
 *
 * Nothing may unwind through the core: a Ruby exception (in practice an interrupt, since the
 * Ruby side rescues its own errors) is caught with rb_protect and kept in pending_jump; the
 * loop is told to stop (ISYNC_SHARED_INTERRUPTED) and rb_isync_nogvl.c re-raises it once the
 * loop has returned.
 */
#include "rb_isync_client.h"

static ID id_reserve, id_done;

typedef struct shared_call {
    rb_isync_client *c;
    long long now_ms;
    unsigned int random;
    const isync_rate_limit *rl;
    long wait;
    int state;
} shared_call;

/* A wait the core can use: a non-negative Integer of ms, at most an hour (past any window). */
static long to_wait(VALUE v)
{
    if (!RB_INTEGER_TYPE_P(v)) return ISYNC_SHARED_UNUSABLE;
    if (rb_cmpint(rb_funcall(v, rb_intern("<=>"), 1, INT2FIX(0)), v, INT2FIX(0)) < 0) return 0;
    if (!FIXNUM_P(v) || FIX2LONG(v) > 3600L * 1000) return 3600L * 1000;
    return FIX2LONG(v);
}

static VALUE call_reserve(VALUE p)
{
    shared_call *s = (shared_call *)p;
    s->wait = to_wait(rb_funcall(s->c->shared_budget, id_reserve, 2, LL2NUM(s->now_ms), UINT2NUM(s->random)));
    return Qnil;
}

static VALUE call_done(VALUE p)
{
    shared_call *s = (shared_call *)p;
    const isync_rate_limit *rl = s->rl;
    VALUE window = Qnil;
    if (rl && rl->present) window = rb_ary_new_from_args(3, LONG2NUM(rl->limit), LONG2NUM(rl->remaining), LL2NUM(rl->reset));
    rb_funcall(s->c->shared_budget, id_done, 2, LL2NUM(s->now_ms), window);
    return Qnil;
}

static void *reserve_with_gvl(void *p)
{
    shared_call *s = p;
    rb_protect(call_reserve, (VALUE)s, &s->state);
    return NULL;
}

static void *done_with_gvl(void *p)
{
    shared_call *s = p;
    rb_protect(call_done, (VALUE)s, &s->state);
    return NULL;
}

/* Runs fn with the GVL: taken for the call when the loop runs without it, else already held
 * (isync_exec_cancel from an ensure). */
static void with_gvl(rb_isync_client *c, void *(*fn)(void *), shared_call *s)
{
    if (c->without_gvl) {
        rb_thread_call_with_gvl(fn, s);
    } else {
        fn(s);
    }
    if (s->state && !c->pending_jump) c->pending_jump = s->state;
}

static long shared_reserve(void *ctx, long long now_ms, unsigned int random)
{
    rb_isync_client *c = ctx;
    if (c->pending_jump) return ISYNC_SHARED_INTERRUPTED;
    shared_call s = {c, now_ms, random, NULL, ISYNC_SHARED_UNUSABLE, 0};
    with_gvl(c, reserve_with_gvl, &s);
    return s.state ? ISYNC_SHARED_INTERRUPTED : s.wait;
}

static void shared_done(void *ctx, const isync_rate_limit *rl, long long now_ms)
{
    rb_isync_client *c = ctx;
    shared_call s = {c, now_ms, 0, rl, 0, 0};
    with_gvl(c, done_with_gvl, &s);
}

/* For Client#shared_budget=: budget answers reserve(now_ms, random) -> a wait in ms (nil:
 * unusable) and done(now_ms, [limit, remaining, reset] or nil); nil for none. */
void isync_shared_budget_attach(VALUE self, rb_isync_client *c, VALUE budget)
{
    if (!NIL_P(budget) && !(rb_respond_to(budget, id_reserve) && rb_respond_to(budget, id_done))) {
        rb_raise(rb_eTypeError, "a shared budget answers reserve(now_ms, random) and done(now_ms, window)");
    }
    RB_OBJ_WRITE(self, &c->shared_budget, budget);
    c->shared = (isync_shared_budget){shared_reserve, shared_done, c};
    c->exec.shared = NIL_P(budget) ? NULL : &c->shared;
}

void isync_shared_budget_init(void)
{
    id_reserve = rb_intern("reserve");
    id_done = rb_intern("done");
}

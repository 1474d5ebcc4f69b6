/*
 * The rate-limit budget shared by processes (issue 13), served to the core's loop: the loop
 * stops with ISYNC_RUN_SHARED_BUDGET when it needs a slot, and leaves a report when a
 * reservation is over (isync_exec.h, isync_shared_request); rb_isync_nogvl.c calls
 * isync_shared_budget_serve with the GVL held, between two runs of the loop. The record itself
 * lives in Ruby (IntercomSync::SharedBudget, over Redis).
 *
 * Ruby is called only here, never from inside the loop, so an exception (an interrupt, say)
 * unwinds through Ruby's own frames alone: the loop is between runs, holding no slot of the
 * process's budget, and the caller's ensure cancels it.
 */
#include "rb_isync_client.h"

static ID id_reserve, id_done;

/* A wait the core can use: a non-negative Integer of ms, at most an hour (past any window). */
static long to_wait(VALUE v)
{
    if (!RB_INTEGER_TYPE_P(v)) return ISYNC_SHARED_UNUSABLE;
    if (!FIXNUM_P(v)) return RTEST(rb_funcall(v, '<', 1, INT2FIX(0))) ? 0 : 3600L * 1000;
    long ms = FIX2LONG(v);
    if (ms < 0) return 0;
    return ms > 3600L * 1000 ? 3600L * 1000 : ms;
}

static void report(rb_isync_client *c, const isync_shared_request *r)
{
    const isync_rate_limit *w = &r->window;
    VALUE window = w->present ? rb_ary_new_from_args(3, LONG2NUM(w->limit), LONG2NUM(w->remaining), LL2NUM(w->reset))
                              : Qnil;
    rb_funcall(c->shared_budget, id_done, 2, LL2NUM(r->now_ms), window);
}

/* Serves the loop's request (GVL held; may raise: the loop is left between runs). */
void isync_shared_budget_serve(rb_isync_client *c)
{
    isync_exec *x = &c->exec;
    isync_shared_request r = x->shared_request;
    memset(&x->shared_request, 0, sizeof(x->shared_request));
    if (NIL_P(c->shared_budget)) {
        if (r.reserve) isync_exec_shared_answer(x, ISYNC_SHARED_UNUSABLE);
        return;
    }
    if (r.report) report(c, &r);
    if (r.reserve) {
        VALUE wait = rb_funcall(c->shared_budget, id_reserve, 2, LL2NUM(r.now_ms), UINT2NUM(r.random));
        isync_exec_shared_answer(x, to_wait(wait));
    }
}

/* After a cancel, from an ensure: the report of a reservation the request held, if any. An
 * exception out of it is dropped (one is already on its way, or the request is over); the
 * reservation then expires in Redis after its hold. */
static VALUE serve_protected(VALUE p)
{
    isync_shared_budget_serve((rb_isync_client *)p);
    return Qnil;
}

void isync_shared_budget_serve_quietly(rb_isync_client *c)
{
    if (!c->exec.shared_request.report && !c->exec.shared_request.reserve) return;
    c->exec.shared_request.reserve = 0;
    int state = 0;
    rb_protect(serve_protected, (VALUE)c, &state);
    if (state) rb_set_errinfo(Qnil);
}

/* For Client#shared_budget=: budget answers reserve(now_ms, random) -> a wait in ms (nil:
 * unusable) and done(now_ms, [limit, remaining, reset] or nil); nil for none. */
void isync_shared_budget_attach(VALUE self, rb_isync_client *c, VALUE budget)
{
    if (!NIL_P(budget) && !(rb_respond_to(budget, id_reserve) && rb_respond_to(budget, id_done))) {
        rb_raise(rb_eTypeError, "a shared budget answers reserve(now_ms, random) and done(now_ms, window)");
    }
    RB_OBJ_WRITE(self, &c->shared_budget, budget);
    c->exec.shared = !NIL_P(budget);
}

void isync_shared_budget_init(void)
{
    id_reserve = rb_intern("reserve");
    id_done = rb_intern("done");
}

/*
 * A client's request through the core's loop (isync_exec.c) with the GVL released.
 *
 * A Ruby interrupt (Thread#kill, Thread#raise, Timeout) calls our unblocking function, which
 * wakes libcurl's poll or wait from the interrupting thread; the loop returns having given its
 * budget slot back, Ruby raises (or not: then the loop resumes), and an ensure detaches the
 * unfinished transfer so the client stays usable. Between two runs of the loop, with the GVL,
 * the shared rate-limit budget is served (rb_isync_shared_budget.c).
 */
#include "rb_isync_client.h"

typedef struct nogvl_call {
    isync_run_state (*fn)(void *arg);
    void *arg;
    isync_run_state state;
} nogvl_call;

static void *call_fn(void *p)
{
    nogvl_call *n = p;
    n->state = n->fn(n->arg);
    return NULL;
}

static void wake(void *http)
{
    isync_http_interrupt(http);
}

/* Runs fn(arg) without the GVL until it reports ISYNC_RUN_DONE. A Ruby interrupt wakes it
 * through http; fn returns ISYNC_RUN_INTERRUPTED (holding nothing it cannot resume), and Ruby
 * handles the interrupt here: it may raise or kill, else fn is called again to carry on.
 *
 * The unblocking function only stores a flag and writes to libcurl's wakeup socket, both
 * async-signal-safe. Saying so (RB_NOGVL_UBF_ASYNC_SAFE) spares Ruby 3.1 a round of timer-thread
 * wakeups, futexes and sched_yield at every GVL release: about 40% of the system time of a
 * request on loopback. */
static void run_without_gvl(rb_isync_client *c, isync_run_state (*fn)(void *arg), void *arg)
{
    nogvl_call n = {fn, arg, ISYNC_RUN_INTERRUPTED};
    do {
        n.state = ISYNC_RUN_INTERRUPTED; /* stays so if Ruby skips the call for a pending interrupt */
        rb_nogvl(call_fn, &n, wake, c->http, RB_NOGVL_UBF_ASYNC_SAFE);
        if (c->exec.shared) isync_shared_budget_serve(c); /* may raise, as may: */
        if (n.state == ISYNC_RUN_INTERRUPTED) rb_thread_check_ints();
    } while (n.state != ISYNC_RUN_DONE);
}

typedef struct exec_args {
    rb_isync_client *client;
    isync_exec *exec;
    isync_json *doc;   /* the decoded answer; freed by the ensure unless the body returned */
    isync_error *e;
    int returned;      /* the body got the answer out; else an interrupt unwound past it */
} exec_args;

static isync_run_state exec_run(void *p)
{
    exec_args *a = p;
    return isync_exec_run(a->exec, &a->doc, a->e);
}

static VALUE exec_body(VALUE p)
{
    exec_args *a = (exec_args *)p;
    run_without_gvl(a->client, exec_run, a);
    a->returned = 1;
    return Qnil;
}

/* When Ruby unwinds, the core has already given its budget slot back; left are an unfinished
 * transfer, and an answer decoded just before an interrupt (Thread#raise, Timeout) landed as
 * the GVL came back, which nobody else would free. */
static VALUE exec_ensure(VALUE p)
{
    exec_args *a = (exec_args *)p;
    isync_exec_cancel(a->exec);
    isync_shared_budget_serve_quietly(a->client); /* the report of a reservation it held */
    if (!a->returned) {
        isync_json_free(a->doc);
        a->doc = NULL;
    }
    return Qnil;
}

isync_json *isync_client_call(rb_isync_client *c, const char *method, const char *path, const char *body,
                              size_t body_len, long long deadline_ms, isync_error *e)
{
    isync_error_clear(e);
    exec_args a = {c, &c->exec, NULL, e, 0};
    isync_exec_start(&c->exec, method, path, body, body_len, deadline_ms);
    rb_ensure(exec_body, (VALUE)&a, exec_ensure, (VALUE)&a);
    return a.doc;
}

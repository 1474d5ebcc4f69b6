/*
 * IntercomSync::Client: the Ruby face of the core HTTP client (isync_http.c).
 *
 * Each request runs through the core's loop of retries, pacing and deadline (isync_exec.c)
 * without the GVL. A Ruby interrupt (Thread#kill, Thread#raise, Timeout) calls our unblocking
 * function, which wakes libcurl's poll or wait from the interrupting thread; the loop returns
 * having given its budget slot back, Ruby raises (or not: then the loop resumes), and an ensure
 * detaches the unfinished transfer so the client stays usable.
 */
#include "isync.h"
#include "isync_trace.h"

#include <ruby/util.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct client_config {
    char *base_url, *access_token, *api_version, *user_agent, *ca_file;
    long connect_timeout_ms, timeout_ms;
    size_t max_response_bytes;
} client_config;

struct rb_isync_client {
    isync_http *http;      /* NULL once closed */
    client_config config;  /* kept to rebuild the handle in a forked child */
    int in_use;            /* a request is running (the GVL is released while it waits) */
    int closed;
    isync_exec exec;       /* retry policy, pacing (budget shared by the workspace), counters */
};

static VALUE cClient;

static void wipe_free(char *s)
{
    if (!s) return;
    memset(s, 0, strlen(s));
    free(s);
}

static void config_free(client_config *c)
{
    wipe_free(c->base_url);
    wipe_free(c->access_token);
    wipe_free(c->api_version);
    wipe_free(c->user_agent);
    wipe_free(c->ca_file);
    memset(c, 0, sizeof(*c));
}

static void client_free(void *p)
{
    rb_isync_client *c = p;
    if (c->http) {
        if (isync_http_owner_pid(c->http) == getpid()) isync_http_free(c->http);
        else isync_http_abandon(c->http);
    }
    isync_trace_free(c->exec.trace);
    config_free(&c->config);
    xfree(c);
}

static size_t client_memsize(const void *p)
{
    return sizeof(rb_isync_client) + (size_t)64 * 1024; /* libcurl's handles and buffers, roughly */
}

/* No VALUEs are held, so no mark/compact. Not FREE_IMMEDIATELY: freeing closes sockets. */
static const rb_data_type_t client_type = {
    .wrap_struct_name = "IntercomSync::Client",
    .function = {.dmark = NULL, .dfree = client_free, .dsize = client_memsize},
    .flags = 0,
};

static VALUE client_alloc(VALUE klass)
{
    rb_isync_client *c;
    return TypedData_Make_Struct(klass, rb_isync_client, &client_type, c);
}

static isync_http_config http_config(const client_config *c)
{
    isync_http_config cfg = {
        .base_url = c->base_url,
        .access_token = c->access_token,
        .api_version = c->api_version,
        .user_agent = c->user_agent,
        .ca_file = c->ca_file,
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms,
        .max_response_bytes = c->max_response_bytes,
    };
    return cfg;
}

/* Returns the client, rebuilding its libcurl handles in a forked child. */
static rb_isync_client *get_client(VALUE self)
{
    rb_isync_client *c = rb_check_typeddata(self, &client_type);
    if (c->closed) rb_raise(eIntercomSyncError, "client is closed");
    if (!c->http) rb_raise(eIntercomSyncError, "client is not initialized");
    if (isync_http_owner_pid(c->http) != getpid()) {
        isync_http_abandon(c->http);
        c->http = NULL;
        c->in_use = 0;
        isync_error e;
        isync_error_clear(&e);
        isync_http_config cfg = http_config(&c->config);
        c->http = isync_http_new(&cfg, &e);
        c->exec.http = c->http;
        if (!c->http) isync_raise(&e, c->config.access_token);
    }
    return c;
}

/* ---------------------------------------------------------------------------------------- */
/* Client#setup(options): called once by the Ruby initializer with validated options. */

static VALUE option(VALUE opts, const char *name)
{
    return rb_hash_aref(opts, ID2SYM(rb_intern(name)));
}

static char *option_cstr(VALUE opts, const char *name, int required)
{
    VALUE v = option(opts, name);
    if (NIL_P(v)) {
        if (required) rb_raise(eIntercomSyncError, "%s is required", name);
        return NULL;
    }
    if (SYMBOL_P(v)) v = rb_sym2str(v);
    const char *s = StringValueCStr(v); /* raises on embedded NUL */
    char *copy = strdup(s);
    if (!copy) rb_memerror();
    return copy;
}

/* A number setting as a double within [min, max], refusing NaN, infinities and non-numbers
 * before any conversion to an integer type (out of range, that conversion is undefined). */
double isync_option_number(VALUE v, const char *name, double min, double max, int integer)
{
    if (integer ? !RB_INTEGER_TYPE_P(v) : !RTEST(rb_obj_is_kind_of(v, rb_cNumeric))) {
        rb_raise(eIntercomSyncConfigurationError, "%s must be %s, not %+" PRIsVALUE, name,
                 integer ? "an Integer" : "a number of seconds", v);
    }
    double d = NUM2DBL(v); /* an Integer of any size converts, at worst to an infinity; a Rational too */
    if (!(d >= min && d <= max)) {
        rb_raise(eIntercomSyncConfigurationError, "%s must be between %.15g and %.15g, not %+" PRIsVALUE, name, min,
                 max, v);
    }
    return d;
}

static long option_ms(VALUE opts, const char *name)
{
    double seconds = isync_option_number(option(opts, name), name, 0, 86400, 0);
    if (seconds == 0) rb_raise(eIntercomSyncConfigurationError, "%s must be more than 0 seconds, not 0", name);
    long ms = (long)(seconds * 1000.0);
    return ms > 0 ? ms : 1;
}

static int option_int(VALUE opts, const char *name, int fallback)
{
    VALUE v = option(opts, name);
    if (NIL_P(v)) return fallback;
    return (int)isync_option_number(v, name, 0, 100, 1);
}

static VALUE client_setup(VALUE self, VALUE opts)
{
    rb_isync_client *c = rb_check_typeddata(self, &client_type);
    Check_Type(opts, T_HASH);
    if (c->http || c->closed) rb_raise(eIntercomSyncError, "client is already set up");

    client_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    /* Option conversion can raise; keep the strings on the struct as they are made so
     * client_free releases them whatever happens. */
    c->config = cfg;
    c->config.base_url = option_cstr(opts, "base_url", 1);
    c->config.access_token = option_cstr(opts, "access_token", 1);
    c->config.api_version = option_cstr(opts, "api_version", 1);
    c->config.user_agent = option_cstr(opts, "user_agent", 1);
    c->config.ca_file = option_cstr(opts, "ca_file", 0);
    c->config.connect_timeout_ms = option_ms(opts, "connect_timeout");
    c->config.timeout_ms = option_ms(opts, "timeout");
    /* 1 GiB: far past any real answer, and still a size_t on every platform */
    c->config.max_response_bytes =
        (size_t)isync_option_number(option(opts, "max_response_bytes"), "max_response_bytes", 1, 1 << 30, 1);

    isync_retry_policy retry;
    retry.max_retries = option_int(opts, "max_retries", 3);
    retry.base_delay_ms = option_ms(opts, "retry_base_delay");
    retry.max_delay_ms = option_ms(opts, "retry_max_delay");
    retry.rate_limit_retries = option_int(opts, "rate_limit_retries", 3);
    retry.raise_on_rate_limit = RTEST(option(opts, "raise_on_rate_limit"));
    int pace = RTEST(option(opts, "pace"));
    unsigned int seed = (unsigned int)((uintptr_t)c ^ (uintptr_t)getpid() ^ (unsigned int)isync_now_ms()) | 1u;

    /* the process's one workspace key (Configuration.workspace_key), so the budget and the
     * attribute cache agree on what a workspace is; read before the handle exists, so nothing
     * can raise between creating it and the exec state that every request uses */
    VALUE workspace_key = option(opts, "workspace_key");
    if (NIL_P(workspace_key)) rb_raise(eIntercomSyncError, "workspace_key is required");
    isync_budget *budget = isync_budget_for(StringValueCStr(workspace_key));
    if (!budget) rb_memerror();

    isync_error e;
    isync_error_clear(&e);
    isync_http_config hc = http_config(&c->config);
    c->http = isync_http_new(&hc, &e);
    if (!c->http) isync_raise(&e, c->config.access_token);
    isync_exec_init(&c->exec, c->http, &retry, pace, budget, seed);
    return self;
}

/* ---------------------------------------------------------------------------------------- */
/* Core calls without the GVL */

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
static void run_without_gvl(isync_http *http, isync_run_state (*fn)(void *arg), void *arg)
{
    nogvl_call n = {fn, arg, ISYNC_RUN_INTERRUPTED};
    do {
        n.state = ISYNC_RUN_INTERRUPTED; /* stays so if Ruby skips the call for a pending interrupt */
        rb_nogvl(call_fn, &n, wake, http, RB_NOGVL_UBF_ASYNC_SAFE);
        if (n.state == ISYNC_RUN_INTERRUPTED) rb_thread_check_ints(); /* may raise or kill */
    } while (n.state != ISYNC_RUN_DONE);
}

typedef struct exec_args {
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
    run_without_gvl(a->exec->http, exec_run, a);
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
    exec_args a = {&c->exec, NULL, e, 0};
    isync_exec_start(&c->exec, method, path, body, body_len, deadline_ms);
    rb_ensure(exec_body, (VALUE)&a, exec_ensure, (VALUE)&a);
    return a.doc;
}

rb_isync_client *isync_client_acquire(VALUE self)
{
    rb_isync_client *c = get_client(self);
    if (c->in_use) {
        rb_raise(eIntercomSyncBusyError, "client is in use by another thread (use one client per thread)");
    }
    c->in_use = 1;
    return c;
}

void isync_client_release(rb_isync_client *c)
{
    c->in_use = 0;
}

unsigned long isync_client_retries(const rb_isync_client *c)
{
    return c->exec.retries;
}

isync_exec *isync_client_exec(VALUE self)
{
    rb_isync_client *c = get_client(self);
    if (c->in_use) rb_raise(eIntercomSyncBusyError, "client is in use by another thread (use one client per thread)");
    return &c->exec;
}

const char *isync_client_secret(const rb_isync_client *c)
{
    return c->config.access_token;
}

/* ---------------------------------------------------------------------------------------- */
/* Client#perform(method, path, body) -> [status, body, request_id, rate_limit] */

/* The method and path are used again at every retry and pacing wait, after the GVL was released
 * and another thread may have changed or freed the Strings' bytes: the request works on its own
 * copies (the body is encoded into gen before the first wait). */
typedef struct request_args {
    rb_isync_client *client;
    VALUE method_arg, path_arg, body;
    char *method;              /* private copies, freed in ensure */
    char *path;
    isync_json_gen *gen;       /* request body encoder, freed in ensure */
    isync_json *doc;           /* decoded response, freed in ensure */
} request_args;

static VALUE rate_limit_to_ruby(const isync_rate_limit *rl)
{
    if (!rl->present) return Qnil;
    return rb_ary_new_from_args(3, rl->limit >= 0 ? LONG2NUM(rl->limit) : Qnil,
                                rl->remaining >= 0 ? LONG2NUM(rl->remaining) : Qnil,
                                rl->reset >= 0 ? LL2NUM(rl->reset) : Qnil);
}

static VALUE request_body(VALUE p)
{
    request_args *a = (request_args *)p;
    rb_isync_client *c = a->client;
    isync_error e;

    a->method = ruby_strdup(StringValueCStr(a->method_arg)); /* raises on an embedded NUL */
    a->path = ruby_strdup(StringValueCStr(a->path_arg));
    const char *json = NULL;
    size_t json_len = 0;
    if (!NIL_P(a->body)) {
        if (!(a->gen = isync_json_gen_new())) rb_memerror();
        isync_ruby_to_json(a->body, a->gen);
        isync_json_gen_result(a->gen, &json, &json_len);
    }
    a->doc = isync_client_call(c, a->method, a->path, json, json_len, 0, &e);
    if (!a->doc) isync_raise(&e, c->config.access_token);

    const isync_response *r = isync_http_response(c->http);
    return rb_ary_new_from_args(4, LONG2NUM(r->status), isync_json_to_ruby(a->doc),
                                r->request_id[0] ? rb_utf8_str_new_cstr(r->request_id) : Qnil,
                                rate_limit_to_ruby(&r->rate_limit));
}

static VALUE request_ensure(VALUE p)
{
    request_args *a = (request_args *)p;
    xfree(a->method);
    xfree(a->path);
    isync_json_gen_free(a->gen);
    isync_json_free(a->doc);
    isync_client_release(a->client);
    return Qnil;
}

static VALUE client_perform(VALUE self, VALUE method, VALUE path, VALUE body)
{
    request_args a = {.client = isync_client_acquire(self), .method_arg = method, .path_arg = path, .body = body};
    return rb_ensure(request_body, (VALUE)&a, request_ensure, (VALUE)&a);
}

/* Client#stats -> {requests:, connections:} */
static VALUE client_stats(VALUE self)
{
    rb_isync_client *c = get_client(self);
    isync_http_stats s = isync_http_get_stats(c->http);
    VALUE h = rb_hash_new();
    rb_hash_aset(h, ID2SYM(rb_intern("requests")), ULONG2NUM(s.requests));
    rb_hash_aset(h, ID2SYM(rb_intern("connections")), ULONG2NUM(s.connections));
    rb_hash_aset(h, ID2SYM(rb_intern("retries")), ULONG2NUM(c->exec.retries));
    rb_hash_aset(h, ID2SYM(rb_intern("paced")), ULONG2NUM(c->exec.paced));
    return h;
}

/* Client#rate_limit -> [limit, remaining, reset] as the process last saw it for this workspace */
static VALUE client_rate_limit(VALUE self)
{
    rb_isync_client *c = get_client(self);
    isync_rate_limit rl = isync_budget_snapshot(c->exec.budget);
    if (!rl.present) return Qnil;
    return rb_ary_new_from_args(3, LONG2NUM(rl.limit), rl.remaining >= 0 ? LONG2NUM(rl.remaining) : Qnil,
                                rl.reset >= 0 ? LL2NUM(rl.reset) : Qnil);
}

/* Client#forget_rate_limit: drops what is known of the window (tests, a new token). */
static VALUE client_forget_rate_limit(VALUE self)
{
    isync_budget_reset(get_client(self)->exec.budget);
    return Qnil;
}

/* Client#close: closes connections now instead of at GC. Idempotent. */
static VALUE client_close(VALUE self)
{
    rb_isync_client *c = rb_check_typeddata(self, &client_type);
    if (c->in_use) rb_raise(eIntercomSyncBusyError, "cannot close a client during a request");
    if (c->http) {
        if (isync_http_owner_pid(c->http) == getpid()) isync_http_free(c->http);
        else isync_http_abandon(c->http);
        c->http = NULL;
        c->exec.http = NULL;
    }
    isync_trace_free(c->exec.trace);
    c->exec.trace = NULL;
    config_free(&c->config);
    c->closed = 1;
    return Qnil;
}

static VALUE client_closed_p(VALUE self)
{
    rb_isync_client *c = rb_check_typeddata(self, &client_type);
    return c->closed ? Qtrue : Qfalse;
}

void isync_init_client(void)
{
    cClient = rb_define_class_under(mIntercomSync, "Client", rb_cObject);
    rb_define_alloc_func(cClient, client_alloc);
    rb_define_private_method(cClient, "setup", client_setup, 1);
    rb_define_private_method(cClient, "perform", client_perform, 3);
    rb_define_method(cClient, "stats", client_stats, 0);
    rb_define_method(cClient, "rate_limit_state", client_rate_limit, 0);
    rb_define_method(cClient, "forget_rate_limit", client_forget_rate_limit, 0);
    rb_define_method(cClient, "close", client_close, 0);
    rb_define_method(cClient, "closed?", client_closed_p, 0);
}

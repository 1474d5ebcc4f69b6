/*
 * IntercomSync::Client: the Ruby face of the core HTTP client (isync_http.h), as TypedData:
 * set up once from validated options, rebuilt in a forked child, closed, and asked for stats.
 *
 * Each request runs through the core's loop of retries, pacing and deadline (isync_exec.c)
 * without the GVL: rb_isync_nogvl.c. Client#perform is rb_isync_perform.c; rb_isync_client.h
 * holds what these files share.
 */
#include "rb_isync_client.h"
#include "isync_trace.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static VALUE cClient;

static void wipe_free(char *s)
{
    if (!s) return;
    memset(s, 0, strlen(s));
    free(s);
}

static void config_free(isync_client_config *c)
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

/* The one VALUE held: the shared budget, marked and moved with compaction. Not
 * FREE_IMMEDIATELY: freeing closes sockets. */
static void client_mark(void *p)
{
    rb_isync_client *c = p;
    rb_gc_mark_movable(c->shared_budget);
}

static void client_compact(void *p)
{
    rb_isync_client *c = p;
    c->shared_budget = rb_gc_location(c->shared_budget);
}

static const rb_data_type_t client_type = {
    .wrap_struct_name = "IntercomSync::Client",
    .function = {.dmark = client_mark, .dfree = client_free, .dsize = client_memsize, .dcompact = client_compact},
    .flags = RUBY_TYPED_WB_PROTECTED,
};

static VALUE client_alloc(VALUE klass)
{
    rb_isync_client *c;
    VALUE self = TypedData_Make_Struct(klass, rb_isync_client, &client_type, c);
    c->shared_budget = Qnil;
    return self;
}

static isync_http_config http_config(const isync_client_config *c)
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

    isync_client_config cfg;
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
/* The client as the other binding files hold it (isync.h) */

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
/* Client#stats, #rate_limit_state, #forget_rate_limit, #close, #closed? */

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

/* Client#shared_budget=(budget): see rb_isync_shared_budget.c */
static VALUE client_set_shared_budget(VALUE self, VALUE budget)
{
    rb_isync_client *c = get_client(self);
    if (c->in_use) rb_raise(eIntercomSyncBusyError, "client is in use by another thread (use one client per thread)");
    isync_shared_budget_attach(self, c, budget);
    return budget;
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
    rb_define_private_method(cClient, "perform", isync_client_perform, 3);
    rb_define_private_method(cClient, "read_contact_page", isync_client_read_contact_page, 1);
    rb_define_method(cClient, "stats", client_stats, 0);
    rb_define_method(cClient, "rate_limit_state", client_rate_limit, 0);
    rb_define_method(cClient, "forget_rate_limit", client_forget_rate_limit, 0);
    rb_define_private_method(cClient, "close_handles", client_close, 0);
    rb_define_method(cClient, "shared_budget=", client_set_shared_budget, 1);
    isync_shared_budget_init();
    rb_define_method(cClient, "closed?", client_closed_p, 0);
}

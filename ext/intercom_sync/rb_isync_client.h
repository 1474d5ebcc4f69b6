/*
 * What the files of IntercomSync::Client share (isync.h declares what the rest of the binding
 * may call):
 *
 *   rb_isync_client.c   the TypedData client: set-up from options, fork, close, stats
 *   rb_isync_nogvl.c    one request through the core's loop with the GVL released
 *   rb_isync_perform.c  Client#perform: a Ruby request in, the answer back as Ruby objects
 *   rb_isync_shared_budget.c  the core's shared budget (isync_shared_budget) over a Ruby object
 */
#ifndef RB_ISYNC_CLIENT_H
#define RB_ISYNC_CLIENT_H

#include "isync.h"

typedef struct isync_client_config {
    char *base_url, *access_token, *api_version, *user_agent, *ca_file;
    long connect_timeout_ms, timeout_ms;
    size_t max_response_bytes;
} isync_client_config;

struct rb_isync_client {
    isync_http *http;           /* NULL once closed */
    isync_client_config config; /* kept to rebuild the handle in a forked child */
    int in_use;                 /* a request is running (the GVL is released while it waits) */
    int closed;
    isync_exec exec;            /* retry policy, pacing (budget shared by the workspace), counters */
    /* The rate-limit budget shared with other processes (IntercomSync::SharedBudget), if any:
     * a Ruby object asked for a slot before each request and told each answer's window
     * (rb_isync_shared_budget.c serves what the core's loop asks for). */
    VALUE shared_budget;        /* Qnil: none */
};

/* rb_isync_shared_budget.c: what Client#shared_budget= sets (budget: an object, or nil); serving
 * the loop's shared-budget request with the GVL (may raise), or quietly from an ensure. */
void isync_shared_budget_attach(VALUE self, rb_isync_client *c, VALUE budget);
void isync_shared_budget_serve(rb_isync_client *c);
void isync_shared_budget_serve_quietly(rb_isync_client *c);
void isync_shared_budget_init(void);

/* rb_isync_perform.c: Client#perform(method, path, body) -> [status, body, request_id, rate_limit] */
VALUE isync_client_perform(VALUE self, VALUE method, VALUE path, VALUE body);
VALUE isync_client_read_contact_page(VALUE self, VALUE path);

#endif /* RB_ISYNC_CLIENT_H */

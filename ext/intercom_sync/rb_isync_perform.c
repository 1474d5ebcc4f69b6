/*
 * Client#perform(method, path, body) -> [status, body, request_id, rate_limit]: the Ruby
 * request copied and encoded into C, run through the client (isync_client_call), and the
 * answer (or the error) turned back into Ruby objects.
 *
 * Client#read_contact_page(path) -> the page as rb_isync_contact.c gives it: a GET of a page
 * of contacts the same way, read by the core instead of turned into Ruby objects whole.
 */
#include "rb_isync_client.h"

#include <ruby/util.h>

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
    int contact_page;          /* read_contact_page: the answer is read into page */
    isync_contact_page page;   /* freed in ensure */
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
    if (a->contact_page) {
        if (isync_contact_page_read(a->doc, &a->page, &e)) isync_raise(&e, c->config.access_token);
        return isync_contact_page_to_ruby(&a->page);
    }

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
    isync_contact_page_free(&a->page);
    isync_json_free(a->doc);
    isync_client_release(a->client);
    return Qnil;
}

VALUE isync_client_perform(VALUE self, VALUE method, VALUE path, VALUE body)
{
    request_args a = {.client = isync_client_acquire(self), .method_arg = method, .path_arg = path, .body = body};
    return rb_ensure(request_body, (VALUE)&a, request_ensure, (VALUE)&a);
}

VALUE isync_client_read_contact_page(VALUE self, VALUE path)
{
    VALUE get = rb_str_new_cstr("GET"); /* (allocated before the client is taken: it may raise) */
    request_args a = {.client = isync_client_acquire(self), .method_arg = get, .path_arg = path, .body = Qnil,
                      .contact_page = 1};
    VALUE page = rb_ensure(request_body, (VALUE)&a, request_ensure, (VALUE)&a);
    RB_GC_GUARD(get);
    return page;
}

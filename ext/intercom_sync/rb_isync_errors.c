/*
 * The exception tree under IntercomSync, defined from the error table (isync_errors.def, which
 * documents each class), and the one function that turns a core isync_error into a raise.
 * Besides the classes, the table is exported to Ruby as IntercomSync::Native::ERROR_TABLE and
 * ERROR_STATUS_RULES, from which Error#transient? reads (lib/intercom_sync/errors.rb).
 *
 * Attributes beyond Error's #http_status #code #request_id #curl_code #step (the sync step that failed):
 *   ConflictError #existing_id #archived?; ContactMergedError #canonical_id;
 *   RateLimitError #limit #remaining #reset_at #retry_after.
 */
#include "isync.h"

#include <string.h>

VALUE eIntercomSyncError;
VALUE eIntercomSyncEncodeError;
VALUE eIntercomSyncConfigurationError;
VALUE eIntercomSyncBusyError;
static VALUE classes[ISYNC_EC_COUNT]; /* by isync_error_class */

static VALUE error_archived_p(VALUE self)
{
    return RTEST(rb_attr_get(self, rb_intern("@archived"))) ? Qtrue : Qfalse;
}

static VALUE frozen_str(const char *s)
{
    return rb_obj_freeze(rb_str_new_cstr(s));
}

/* {name:, parent:, kind:, statuses:, codes:, transient:} for one row of the table. */
static VALUE table_row(const isync_error_class_info *info)
{
    VALUE row = rb_hash_new();
    VALUE codes = rb_ary_new();
    size_t len;
    for (const char *p = info->codes; (p = isync_error_next_code(p, &len)) != NULL; p += len) {
        rb_ary_push(codes, rb_obj_freeze(rb_str_new(p, (long)len)));
    }
    rb_hash_aset(row, ID2SYM(rb_intern("name")), frozen_str(info->name));
    rb_hash_aset(row, ID2SYM(rb_intern("parent")),
                 info->parent == ISYNC_EC_NONE ? Qnil : frozen_str(isync_error_classes[info->parent].name));
    rb_hash_aset(row, ID2SYM(rb_intern("kind")),
                 info->kind == ISYNC_OK ? Qnil : ID2SYM(rb_intern(isync_err_kind_name(info->kind))));
    rb_hash_aset(row, ID2SYM(rb_intern("statuses")),
                 info->status_min > info->status_max
                     ? Qnil
                     : rb_obj_freeze(rb_range_new(LONG2NUM(info->status_min), LONG2NUM(info->status_max), 0)));
    rb_hash_aset(row, ID2SYM(rb_intern("codes")), rb_obj_freeze(codes));
    rb_hash_aset(row, ID2SYM(rb_intern("transient")), info->transient ? Qtrue : Qfalse);
    return rb_obj_freeze(row);
}

static void export_table(void)
{
    VALUE table = rb_ary_new_capa(ISYNC_EC_COUNT);
    for (int c = 0; c < ISYNC_EC_COUNT; c++) rb_ary_push(table, table_row(&isync_error_classes[c]));
    rb_define_const(mIntercomSyncNative, "ERROR_TABLE", rb_obj_freeze(table));

    VALUE rules = rb_ary_new();
    for (size_t i = 0; i < isync_error_status_rule_count; i++) {
        const isync_error_status_rule *rule = &isync_error_status_rules[i];
        VALUE statuses = rb_obj_freeze(rb_range_new(LONG2NUM(rule->status_min), LONG2NUM(rule->status_max), 0));
        rb_ary_push(rules, rb_obj_freeze(rb_ary_new_from_args(2, statuses, rule->transient ? Qtrue : Qfalse)));
    }
    rb_define_const(mIntercomSyncNative, "ERROR_STATUS_RULES", rb_obj_freeze(rules));
}

void isync_init_errors(void)
{
    /* the table lists parents before their children */
    for (int c = 0; c < ISYNC_EC_COUNT; c++) {
        const isync_error_class_info *info = &isync_error_classes[c];
        VALUE super = info->parent == ISYNC_EC_NONE ? rb_eStandardError : classes[info->parent];
        classes[c] = rb_define_class_under(mIntercomSync, info->name, super);
    }
    eIntercomSyncError = classes[ISYNC_EC_ERROR];
    eIntercomSyncEncodeError = classes[ISYNC_EC_ENCODE];
    eIntercomSyncConfigurationError = classes[ISYNC_EC_CONFIGURATION];
    eIntercomSyncBusyError = classes[ISYNC_EC_BUSY];

    rb_define_attr(eIntercomSyncError, "http_status", 1, 0);
    rb_define_attr(eIntercomSyncError, "code", 1, 0);
    rb_define_attr(eIntercomSyncError, "request_id", 1, 0);
    rb_define_attr(eIntercomSyncError, "curl_code", 1, 0);
    rb_define_attr(eIntercomSyncError, "step", 1, 0); /* the sync step that failed, or nil */
    rb_define_attr(classes[ISYNC_EC_CONTACT_MERGED], "canonical_id", 1, 0);
    rb_define_attr(classes[ISYNC_EC_CONFLICT], "existing_id", 1, 0);
    rb_define_method(classes[ISYNC_EC_CONFLICT], "archived?", error_archived_p, 0);
    VALUE rate_limit = classes[ISYNC_EC_RATE_LIMIT];
    rb_define_attr(rate_limit, "limit", 1, 0);
    rb_define_attr(rate_limit, "remaining", 1, 0);
    rb_define_attr(rate_limit, "reset_at", 1, 0); /* Unix seconds, nil when unknown */
    rb_define_attr(rate_limit, "retry_after", 1, 0);

    export_table();
}

static VALUE error_class(const isync_error *e)
{
    if (e->kind == ISYNC_E_NOMEM) return rb_eNoMemError;
    return classes[isync_error_classify(e)];
}

static VALUE redacted(const char *text, const char *secret)
{
    VALUE out = rb_utf8_str_new_cstr("");
    size_t slen = secret ? strlen(secret) : 0;
    if (slen < 4) slen = 0; /* too short to be a real token; replacing it would garble text */
    const char *p = text;
    const char *hit;
    while (slen > 0 && (hit = strstr(p, secret))) {
        rb_str_cat(out, p, (long)(hit - p));
        rb_str_cat_cstr(out, "[FILTERED]");
        p = hit + slen;
    }
    /* a message cut in the core may end in the first characters of the token: those too */
    size_t rest = strlen(p);
    size_t tail = slen > 0 ? isync_redact_tail(p, rest, secret) : 0;
    rb_str_cat(out, p, (long)(rest - tail));
    if (tail) rb_str_cat_cstr(out, "[FILTERED]");
    /* messages may quote server text that is not valid UTF-8 */
    if (rb_enc_str_coderange(out) == ENC_CODERANGE_BROKEN) rb_enc_associate(out, rb_ascii8bit_encoding());
    return out;
}

static VALUE str_or_nil(const char *s, const char *secret)
{
    return s[0] ? redacted(s, secret) : Qnil;
}

void isync_raise(const isync_error *e, const char *secret)
{
    rb_exc_raise(isync_make_error(e, secret));
}

VALUE isync_make_error(const isync_error *e, const char *secret)
{
    VALUE klass = error_class(e);
    VALUE exc = rb_exc_new_str(klass, redacted(e->message, secret));
    rb_iv_set(exc, "@http_status", e->http_status ? LONG2NUM(e->http_status) : Qnil);
    rb_iv_set(exc, "@code", str_or_nil(e->code, secret));
    rb_iv_set(exc, "@request_id", str_or_nil(e->request_id, secret));
    rb_iv_set(exc, "@curl_code", e->curl_code ? INT2NUM(e->curl_code) : Qnil);
    rb_iv_set(exc, "@step", e->step ? rb_str_new_cstr(e->step) : Qnil);
    if (rb_obj_is_kind_of(exc, classes[ISYNC_EC_CONFLICT])) {
        rb_iv_set(exc, "@existing_id", str_or_nil(e->resource_id, secret));
        rb_iv_set(exc, "@archived", e->archived ? Qtrue : Qfalse);
    } else if (rb_obj_is_kind_of(exc, classes[ISYNC_EC_CONTACT_MERGED])) {
        rb_iv_set(exc, "@canonical_id", str_or_nil(e->resource_id, secret));
    } else if (rb_obj_is_kind_of(exc, classes[ISYNC_EC_RATE_LIMIT])) {
        const isync_rate_limit *rl = &e->rate_limit;
        rb_iv_set(exc, "@limit", rl->present && rl->limit >= 0 ? LONG2NUM(rl->limit) : Qnil);
        rb_iv_set(exc, "@remaining", rl->present && rl->remaining >= 0 ? LONG2NUM(rl->remaining) : Qnil);
        rb_iv_set(exc, "@reset_at", rl->present && rl->reset >= 0 ? LL2NUM(rl->reset) : Qnil);
        rb_iv_set(exc, "@retry_after", e->retry_after >= 0 ? LONG2NUM(e->retry_after) : Qnil);
    }
    return exc;
}

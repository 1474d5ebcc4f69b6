/*
 * The exception tree, and the one function that turns a core isync_error into a raise.
 *
 *   IntercomSync::Error < StandardError     #http_status #code #request_id #curl_code
 *     ConfigurationError                    bad option; nothing was sent
 *       UnknownAttributeError               a custom attribute Intercom lacks, policy :raise
 *     InvalidInputError                     the app's data cannot be synced; nothing was sent
 *     EncodeError                           a value JSON cannot hold; nothing was sent
 *     BusyError                             the client is running a request in another thread
 *     TransportError                        no usable response arrived
 *       ConnectionError                     refused, reset, truncated
 *         DNSError
 *         TLSError
 *       TimeoutError
 *     ResponseError                         a response arrived but cannot be used
 *       ParseError                          invalid/truncated JSON, HTML, empty body
 *       ResponseTooLargeError               over max_response_bytes
 *     HTTPError                             status >= 300
 *       RedirectError                       3xx (never followed)
 *       ClientError                         4xx
 *         BadRequestError                   400
 *           ParameterInvalidError           parameter_invalid, type_mismatch, data_invalid
 *         AuthenticationError               401, token_* codes
 *         ForbiddenError                    403
 *         NotFoundError                     404, not_found, company_not_found
 *           ContactMergedError              410 / contact_merged  #canonical_id
 *         NotAcceptableError                406
 *         ConflictError                     409  #existing_id #archived?
 *         UnprocessableEntityError          422
 *         RateLimitError                    429  #limit #remaining #reset_at #retry_after
 *       ServerError                         5xx
 *         ServiceUnavailableError           503
 */
#include "isync.h"

#include <string.h>

VALUE eIntercomSyncError;
VALUE eIntercomSyncEncodeError;
VALUE eIntercomSyncConfigurationError;
VALUE eIntercomSyncBusyError;
#define eConfiguration eIntercomSyncConfigurationError
#define eBusy eIntercomSyncBusyError
static VALUE eUnknownAttribute, eInvalidInput;
static VALUE eTransport, eConnection, eDNS, eTLS, eTimeout;
static VALUE eResponse, eParse, eTooLarge;
static VALUE eHTTP, eRedirect, eClient, eBadRequest, eParameterInvalid, eAuthentication,
    eForbidden, eNotFound, eContactMerged, eNotAcceptable, eConflict, eUnprocessable,
    eRateLimit, eServer, eServiceUnavailable;

static VALUE define(const char *name, VALUE super)
{
    return rb_define_class_under(mIntercomSync, name, super);
}

static VALUE error_archived_p(VALUE self)
{
    return RTEST(rb_attr_get(self, rb_intern("@archived"))) ? Qtrue : Qfalse;
}

void isync_init_errors(void)
{
    eIntercomSyncError = define("Error", rb_eStandardError);
    rb_define_attr(eIntercomSyncError, "http_status", 1, 0);
    rb_define_attr(eIntercomSyncError, "code", 1, 0);
    rb_define_attr(eIntercomSyncError, "request_id", 1, 0);
    rb_define_attr(eIntercomSyncError, "curl_code", 1, 0);

    eConfiguration = define("ConfigurationError", eIntercomSyncError);
    eUnknownAttribute = define("UnknownAttributeError", eConfiguration);
    eInvalidInput = define("InvalidInputError", eIntercomSyncError);
    eIntercomSyncEncodeError = define("EncodeError", eIntercomSyncError);
    eBusy = define("BusyError", eIntercomSyncError);

    eTransport = define("TransportError", eIntercomSyncError);
    eConnection = define("ConnectionError", eTransport);
    eDNS = define("DNSError", eConnection);
    eTLS = define("TLSError", eConnection);
    eTimeout = define("TimeoutError", eTransport);

    eResponse = define("ResponseError", eIntercomSyncError);
    eParse = define("ParseError", eResponse);
    eTooLarge = define("ResponseTooLargeError", eResponse);

    eHTTP = define("HTTPError", eIntercomSyncError);
    eRedirect = define("RedirectError", eHTTP);
    eClient = define("ClientError", eHTTP);
    eBadRequest = define("BadRequestError", eClient);
    eParameterInvalid = define("ParameterInvalidError", eBadRequest);
    eAuthentication = define("AuthenticationError", eClient);
    eForbidden = define("ForbiddenError", eClient);
    eNotFound = define("NotFoundError", eClient);
    eContactMerged = define("ContactMergedError", eNotFound);
    rb_define_attr(eContactMerged, "canonical_id", 1, 0);
    eNotAcceptable = define("NotAcceptableError", eClient);
    eConflict = define("ConflictError", eClient);
    rb_define_attr(eConflict, "existing_id", 1, 0);
    rb_define_method(eConflict, "archived?", error_archived_p, 0);
    eUnprocessable = define("UnprocessableEntityError", eClient);
    eRateLimit = define("RateLimitError", eClient);
    rb_define_attr(eRateLimit, "limit", 1, 0);
    rb_define_attr(eRateLimit, "remaining", 1, 0);
    rb_define_attr(eRateLimit, "reset_at", 1, 0);   /* Unix seconds, nil when unknown */
    rb_define_attr(eRateLimit, "retry_after", 1, 0);
    eServer = define("ServerError", eHTTP);
    eServiceUnavailable = define("ServiceUnavailableError", eServer);
}

/* Intercom's errors[0].code decides first; the status decides when the code is unknown. */
static const struct {
    const char *code;
    VALUE *klass;
} code_classes[] = {
    {"unauthorized", &eAuthentication},        {"token_revoked", &eAuthentication},
    {"token_blocked", &eAuthentication},       {"token_not_found", &eAuthentication},
    {"token_expired", &eAuthentication},       {"token_suspended", &eAuthentication},
    {"missing_authorization", &eAuthentication},
    {"forbidden", &eForbidden},                {"action_forbidden", &eForbidden},
    {"api_plan_restricted", &eForbidden},      {"token_unauthorized", &eForbidden},
    {"not_found", &eNotFound},                 {"company_not_found", &eNotFound},
    {"contact_merged", &eContactMerged},
    {"conflict", &eConflict},                  {"resource_conflict", &eConflict},
    {"unique_user_constraint", &eConflict},
    {"rate_limit_exceeded", &eRateLimit},      {"too_many_requests", &eRateLimit},
    {"parameter_invalid", &eParameterInvalid}, {"type_mismatch", &eParameterInvalid},
    {"data_invalid", &eParameterInvalid},
    {"bad_request", &eBadRequest},             {"parameter_not_found", &eBadRequest},
    {"parameter_missing", &eBadRequest},       {"missing_parameter", &eBadRequest},
    {"invalid_merge", &eBadRequest},           {"invalid_sort_order", &eBadRequest},
    {"intercom_version_invalid", &eBadRequest},
    {"contact_company_limit_exceeded", &eBadRequest},
    {"custom_data_limit_reached", &eBadRequest},
    {"media_type_not_acceptable", &eNotAcceptable},
    {"unprocessable_entity", &eUnprocessable},
    {"server_error", &eServer},                {"service_unavailable", &eServiceUnavailable},
};

static VALUE http_error_class(const isync_error *e)
{
    for (size_t i = 0; i < sizeof(code_classes) / sizeof(code_classes[0]); i++) {
        if (strcmp(e->code, code_classes[i].code) == 0) return *code_classes[i].klass;
    }
    long s = e->http_status;
    switch (s) {
    case 400: return eBadRequest;
    case 401: return eAuthentication;
    case 403: return eForbidden;
    case 404: return eNotFound;
    case 406: return eNotAcceptable;
    case 409: return eConflict;
    case 410: return eContactMerged;
    case 422: return eUnprocessable;
    case 429: return eRateLimit;
    case 503: return eServiceUnavailable;
    default:
        if (s >= 500) return eServer;
        if (s >= 400) return eClient;
        if (s >= 300) return eRedirect;
        return eHTTP;
    }
}

static VALUE error_class(const isync_error *e)
{
    switch (e->kind) {
    case ISYNC_E_CONFIG: return eConfiguration;
    case ISYNC_E_CONNECTION: return eConnection;
    case ISYNC_E_DNS: return eDNS;
    case ISYNC_E_TLS: return eTLS;
    case ISYNC_E_TIMEOUT: return eTimeout;
    case ISYNC_E_TOO_LARGE: return eTooLarge;
    case ISYNC_E_PARSE: return eParse;
    case ISYNC_E_ENCODE: return eIntercomSyncEncodeError;
    case ISYNC_E_HTTP: return http_error_class(e);
    case ISYNC_E_BUSY: return eBusy;
    case ISYNC_E_ATTRIBUTE: return eUnknownAttribute;
    case ISYNC_E_INPUT: return eInvalidInput;
    case ISYNC_E_NOMEM: return rb_eNoMemError;
    case ISYNC_E_INTERRUPTED:
    case ISYNC_OK:
        break;
    }
    return eIntercomSyncError;
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
    if (rb_obj_is_kind_of(exc, eConflict)) {
        rb_iv_set(exc, "@existing_id", str_or_nil(e->resource_id, secret));
        rb_iv_set(exc, "@archived", e->archived ? Qtrue : Qfalse);
    } else if (rb_obj_is_kind_of(exc, eContactMerged)) {
        rb_iv_set(exc, "@canonical_id", str_or_nil(e->resource_id, secret));
    } else if (rb_obj_is_kind_of(exc, eRateLimit)) {
        const isync_rate_limit *rl = &e->rate_limit;
        rb_iv_set(exc, "@limit", rl->present && rl->limit >= 0 ? LONG2NUM(rl->limit) : Qnil);
        rb_iv_set(exc, "@remaining", rl->present && rl->remaining >= 0 ? LONG2NUM(rl->remaining) : Qnil);
        rb_iv_set(exc, "@reset_at", rl->present && rl->reset >= 0 ? LL2NUM(rl->reset) : Qnil);
        rb_iv_set(exc, "@retry_after", e->retry_after >= 0 ? LONG2NUM(e->retry_after) : Qnil);
    }
    return exc;
}

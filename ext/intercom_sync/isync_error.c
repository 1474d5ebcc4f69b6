/* The error record every core layer fills in; the binding turns it into an exception. */
#include "isync_core.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void isync_error_clear(isync_error *e)
{
    memset(e, 0, sizeof(*e));
    e->retry_after = -1;
}

int isync_error_set(isync_error *e, isync_err_kind kind, const char *fmt, ...)
{
    va_list ap;
    e->kind = kind;
    e->step = NULL; /* a new error: no step has named it yet */
    va_start(ap, fmt);
    /* the arguments may quote a server: cut between characters, never inside one */
    isync_text_vformat(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return -1;
}

const char *isync_err_kind_name(isync_err_kind kind)
{
    switch (kind) {
    case ISYNC_OK: return "ok";
    case ISYNC_E_CONFIG: return "config";
    case ISYNC_E_CONNECTION: return "connection";
    case ISYNC_E_DNS: return "dns";
    case ISYNC_E_TLS: return "tls";
    case ISYNC_E_TIMEOUT: return "timeout";
    case ISYNC_E_TOO_LARGE: return "too_large";
    case ISYNC_E_PARSE: return "parse";
    case ISYNC_E_ENCODE: return "encode";
    case ISYNC_E_HTTP: return "http";
    case ISYNC_E_NOMEM: return "nomem";
    case ISYNC_E_INTERRUPTED: return "interrupted";
    case ISYNC_E_BUSY: return "busy";
    case ISYNC_E_ATTRIBUTE: return "attribute";
    case ISYNC_E_INPUT: return "input";
    }
    return "unknown";
}

/* ---------------------------------------------------------------------------------------- */
/* The error table (isync_errors.def) and what is read from it */

const isync_error_class_info isync_error_classes[ISYNC_EC_COUNT] = {
#define ISYNC_ERROR_CLASS(id, name, parent, kind, status_min, status_max, codes, transient) \
    {name, ISYNC_EC_##parent, kind, status_min, status_max, codes, transient},
#include "isync_errors.def"
};

const isync_error_status_rule isync_error_status_rules[] = {
#define ISYNC_ERROR_STATUS(status_min, status_max, transient) {status_min, status_max, transient},
#include "isync_errors.def"
};
const size_t isync_error_status_rule_count = sizeof(isync_error_status_rules) / sizeof(isync_error_status_rules[0]);

const char *isync_error_next_code(const char *codes, size_t *len)
{
    codes += strspn(codes, " ");
    *len = strcspn(codes, " ");
    return *len ? codes : NULL;
}

/* Whether code is one of the words of codes. */
static int lists_code(const char *codes, const char *code)
{
    size_t len = strlen(code);
    size_t word;
    for (const char *p = codes; len > 0 && (p = isync_error_next_code(p, &word)) != NULL; p += word) {
        if (word == len && strncmp(p, code, len) == 0) return 1;
    }
    return 0;
}

static isync_error_class http_class(const isync_error *e)
{
    for (int c = 0; c < ISYNC_EC_COUNT; c++) {
        if (lists_code(isync_error_classes[c].codes, e->code)) return (isync_error_class)c;
    }
    isync_error_class best = ISYNC_EC_HTTP;
    unsigned long best_width = ULONG_MAX;
    for (int c = 0; c < ISYNC_EC_COUNT; c++) {
        const isync_error_class_info *info = &isync_error_classes[c];
        if (info->kind != ISYNC_E_HTTP || e->http_status < info->status_min || e->http_status > info->status_max) {
            continue;
        }
        unsigned long width = (unsigned long)info->status_max - (unsigned long)info->status_min;
        if (width < best_width) {
            best = (isync_error_class)c;
            best_width = width;
        }
    }
    return best;
}

isync_error_class isync_error_classify(const isync_error *e)
{
    if (e->kind == ISYNC_E_HTTP) return http_class(e);
    if (e->kind == ISYNC_OK) return ISYNC_EC_ERROR;
    for (int c = 0; c < ISYNC_EC_COUNT; c++) {
        if (isync_error_classes[c].kind == e->kind) return (isync_error_class)c;
    }
    return ISYNC_EC_ERROR; /* interrupted, out of memory */
}

int isync_error_class_transient(isync_error_class c, long http_status)
{
    for (size_t i = 0; http_status != 0 && i < isync_error_status_rule_count; i++) {
        const isync_error_status_rule *rule = &isync_error_status_rules[i];
        if (http_status >= rule->status_min && http_status <= rule->status_max) return rule->transient;
    }
    return c >= 0 && c < ISYNC_EC_COUNT && isync_error_classes[c].transient;
}

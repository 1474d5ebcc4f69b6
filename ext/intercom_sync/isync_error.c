/* The error record every core layer fills in; the binding turns it into an exception. */
#include "isync_core.h"

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

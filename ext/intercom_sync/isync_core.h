/*
 * intercom_sync's Ruby-free core: the one header its files, the C tests and the fuzzers include.
 *
 * Nothing declared here touches Ruby, so the core can be driven, tested and fuzzed from plain C.
 * The binding files (rb_isync_*.c, through isync.h) translate between these structs and VALUEs.
 * Every function reports failure through its return value and an isync_error; none longjmps.
 *
 * Here is the error record every layer fills; each module declares the rest in a header named
 * after it (isync_json.h for isync_json*.c, ...), included at the end in the order they build
 * on each other. Those headers are parts of this one: include isync_core.h, not them.
 */
#ifndef ISYNC_CORE_H
#define ISYNC_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

/* ------------------------------------------------------------------------------------------ */
/* isync_error.c: one error record shared by every layer. */

typedef struct isync_rate_limit {
    int present;            /* the response carried X-RateLimit-* headers */
    long limit;             /* X-RateLimit-Limit: requests allowed in the window (-1 if garbled) */
    long remaining;         /* X-RateLimit-Remaining (-1 if garbled) */
    long long reset;        /* X-RateLimit-Reset: Unix seconds when the window refills (-1) */
} isync_rate_limit;

typedef enum isync_err_kind {
    ISYNC_OK = 0,
    ISYNC_E_CONFIG,       /* bad option: URL, token, path; nothing was sent */
    ISYNC_E_CONNECTION,   /* refused, reset, truncated, other transport failure */
    ISYNC_E_DNS,          /* host name could not be resolved */
    ISYNC_E_TLS,          /* handshake or certificate verification failed */
    ISYNC_E_TIMEOUT,      /* connect or total timeout */
    ISYNC_E_TOO_LARGE,    /* response body over the configured cap */
    ISYNC_E_PARSE,        /* body is not the JSON we expect (invalid, truncated, HTML, empty) */
    ISYNC_E_ENCODE,       /* request body cannot be encoded as JSON */
    ISYNC_E_HTTP,         /* status >= 300 (redirects are never followed) */
    ISYNC_E_NOMEM,        /* allocation failed */
    ISYNC_E_INTERRUPTED,  /* cancelled by the caller (Ruby thread interrupt) */
    ISYNC_E_BUSY,         /* the client is already running a request */
    ISYNC_E_ATTRIBUTE,    /* a custom attribute Intercom does not know, with policy "raise" */
    ISYNC_E_INPUT         /* the snapshot (the app's data) is unusable; nothing was sent */
} isync_err_kind;

typedef struct isync_error {
    isync_err_kind kind;
    int curl_code;          /* CURLcode for transport errors, else 0 */
    long http_status;       /* HTTP status when a response arrived, else 0 */
    char code[64];          /* Intercom's errors[0].code, "" if none */
    char message[512];      /* human readable; never contains the access token */
    char request_id[96];    /* Intercom's request_id, "" if none */
    /* Ids Intercom names in the error: the existing contact of a 409 on create
     * ("... already exists with id=<id>"), the canonical contact of a merged one (410 + Link). */
    char resource_id[64];
    int archived;           /* the 409 names an archived contact */
    isync_rate_limit rate_limit; /* from the error response's headers */
    long retry_after;       /* Retry-After seconds, -1 if absent */
    /* The sync step that failed (a static name from the engine's OPS[] table), NULL outside a
     * sync or before the engine named it; the message then starts with it too. */
    const char *step;
} isync_error;

void isync_error_clear(isync_error *e);
/* printf-style; returns -1 so callers can `return isync_error_set(...)`. */
int isync_error_set(isync_error *e, isync_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *isync_err_kind_name(isync_err_kind kind);

/* The error table (isync_errors.def): which class an error becomes, and whether it is transient. */
#include "isync_error_table.h"

/* isync_retry.c: 1 for the failures a retry may cure. */
int isync_error_transient(const isync_error *e);

/* ------------------------------------------------------------------------------------------ */
/* The modules */

#include "isync_buf.h"           /* isync_buf.c: byte buffer */
#include "isync_text.h"          /* isync_text.c: UTF-8, safe text from servers, redaction */
#include "isync_set.h"           /* isync_set.c: SipHash index */
#include "isync_json.h"          /* isync_json*.c: document model, parser, generator */
#include "isync_contact_owner.h" /* isync_contact_owner.c: whose a contact is */
#include "isync_contact_page.h"  /* isync_contact_page.c: a page of GET /contacts for a bulk sync */
#include "isync_url.h"           /* isync_url.c: URL policy, path segments */
#include "isync_retry.h"         /* isync_retry.c: backoff policy, rate-limit budgets */
#include "isync_http.h"          /* isync_http*.c: the libcurl client */
#include "isync_exec.h"          /* isync_exec.c: one request with retries, pacing, deadline */
#include "isync_sync.h"          /* isync_ops.c and the engine's files: the sync of one user */

#endif /* ISYNC_CORE_H */

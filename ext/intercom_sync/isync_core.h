/*
 * intercom_sync's Ruby-free core: byte buffers, typed errors, JSON (yajl) and HTTP (libcurl).
 *
 * Nothing declared here touches Ruby, so the core can be driven, tested and fuzzed from plain C.
 * The binding files (rb_isync_*.c, through isync.h) translate between these structs and VALUEs.
 * Every function reports failure through its return value and an isync_error; none longjmps.
 */
#ifndef ISYNC_CORE_H
#define ISYNC_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

/* ------------------------------------------------------------------------------------------ */
/* isync_buf.c: a growable byte buffer, always NUL-terminated so it can be read as a C string. */

typedef struct isync_buf {
    char *data;  /* malloc'd; NULL until the first append */
    size_t len;  /* bytes used, excluding the terminating NUL */
    size_t cap;  /* bytes allocated */
} isync_buf;

void isync_buf_init(isync_buf *b);
void isync_buf_free(isync_buf *b);
void isync_buf_clear(isync_buf *b);                      /* keeps the allocation for reuse */
int isync_buf_append(isync_buf *b, const void *data, size_t len); /* 0, or -1 on OOM */
int isync_buf_append_str(isync_buf *b, const char *s);
/* Drops the allocation when it grew past keep_bytes, so one huge response does not pin memory. */
void isync_buf_shrink(isync_buf *b, size_t keep_bytes);

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

/* ------------------------------------------------------------------------------------------ */
/* isync_json.c: a small JSON document model built with yajl's event parser, and a generator. */

typedef enum isync_json_type {
    ISYNC_JSON_NULL,
    ISYNC_JSON_FALSE,
    ISYNC_JSON_TRUE,
    ISYNC_JSON_INTEGER,  /* fits in int64_t: .u.integer */
    ISYNC_JSON_BIGNUM,   /* integer too large for int64_t: decimal text in .u.str */
    ISYNC_JSON_DOUBLE,   /* .u.dbl */
    ISYNC_JSON_STRING,   /* UTF-8 (validated by yajl), may contain NUL: .u.str */
    ISYNC_JSON_ARRAY,    /* .u.list (keys NULL) */
    ISYNC_JSON_OBJECT    /* .u.list, insertion order, duplicate keys kept (last one wins on lookup) */
} isync_json_type;

typedef struct isync_json isync_json;

typedef struct isync_json_str {
    char *ptr;   /* NUL-terminated copy */
    size_t len;
} isync_json_str;

/* A parsed document lives in one arena owned by its root: isync_json_free(root) releases it
 * all at once, and nodes inside it are never freed (or changed) one by one. A node is 32 bytes
 * plus its slot in the parent (8, and 16 for an object key); there is no per-node malloc. */
struct isync_json {
    isync_json_type type;
    unsigned int alloc;   /* how the node was allocated (isync_json.c); 0: calloc'd by hand */
    union {
        int64_t integer;
        double dbl;
        isync_json_str str;
        struct {
            isync_json_str *keys;  /* objects only */
            isync_json **values;
            size_t len;
        } list;
    } u;
};

#define ISYNC_JSON_MAX_DEPTH 64
/* Values (scalars and containers) one document may hold. The largest real answers are pages of
 * 150 contacts: with 250 custom attributes each and 10 embedded companies, about 350 values a
 * contact, 52,500 in all. 2^18 leaves 5x room and bounds a parsed document to
 * about 11 MB of nodes plus its strings, whatever the server sends; past it the parse fails with
 * ISYNC_E_TOO_LARGE. */
#define ISYNC_JSON_MAX_VALUES (1u << 18)

/* 1 if s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
int isync_utf8_valid(const char *s, size_t len);
/* Appends s to out, each byte that does not begin a valid character replaced by U+FFFD.
 * 0, or -1 when out of memory. */
int isync_utf8_scrub(const char *s, size_t len, isync_buf *out);

/* Parses exactly one JSON document (no trailing garbage, at most ISYNC_JSON_MAX_VALUES values).
 * NULL on failure with e filled in. */
isync_json *isync_json_parse(const char *data, size_t len, isync_error *e);
/* Frees a document (its root) or a node calloc'd by hand; NULL is fine. */
void isync_json_free(isync_json *v);
/* A deep copy, in its own arena; NULL when out of memory (or v is NULL). */
isync_json *isync_json_clone(const isync_json *v);
/* Object lookup; NULL when v is not an object or has no such key. */
const isync_json *isync_json_get(const isync_json *v, const char *key);
/* The string at key, or NULL when absent or not a string. */
const char *isync_json_get_str(const isync_json *v, const char *key);

/* Number of the value as a double (integer, double or bignum); 0 when not a number. */
int isync_json_number(const isync_json *v, double *out);
/* Deep equality; integers and doubles compare by value (1 == 1.0). NULL equals JSON null. */
int isync_json_equal(const isync_json *a, const isync_json *b);
/* Length of a string value in characters (UTF-8 code points). */
size_t isync_json_strlen_chars(const isync_json *v);

/* A generator over yajl_gen writing compact UTF-8 JSON; strings are validated as UTF-8. */
typedef struct isync_json_gen isync_json_gen;
isync_json_gen *isync_json_gen_new(void);
void isync_json_gen_free(isync_json_gen *g);
int isync_json_gen_null(isync_json_gen *g);
int isync_json_gen_bool(isync_json_gen *g, int value);
int isync_json_gen_integer(isync_json_gen *g, long long value);
int isync_json_gen_number_text(isync_json_gen *g, const char *digits, size_t len);
int isync_json_gen_double(isync_json_gen *g, double value); /* -1 for NaN/Infinity */
int isync_json_gen_string(isync_json_gen *g, const char *s, size_t len); /* -1 if not UTF-8 */
int isync_json_gen_map_open(isync_json_gen *g);
int isync_json_gen_map_close(isync_json_gen *g);
int isync_json_gen_array_open(isync_json_gen *g);
int isync_json_gen_array_close(isync_json_gen *g);
/* Writes a whole document model value. */
int isync_json_gen_value(isync_json_gen *g, const isync_json *v);
int isync_json_gen_cstr(isync_json_gen *g, const char *s); /* NUL-terminated string */
/* The document so far; valid until the next call on g. */
void isync_json_gen_result(isync_json_gen *g, const char **out, size_t *len);
/* Why the last call returned -1. */
const char *isync_json_gen_error(const isync_json_gen *g);

/* ------------------------------------------------------------------------------------------ */
/* isync_contact_owner.c: whose a contact is. */

/* Whether contact (from a page of GET /contacts) is the contact of the user with external_id:
 * the same external_id (not empty), role "user", and a non-empty id to update it by. */
int isync_contact_is_users(const isync_json *contact, const char *external_id);
/* The same rule on the fields themselves (NULL: absent or not a string), for a contact held as
 * something else than a document (the binding's Hash). */
int isync_contact_fields_are_users(const char *ext, size_t ext_len, const char *role, size_t role_len,
                                   const char *id, size_t id_len, const char *external_id, size_t external_len);

/* ------------------------------------------------------------------------------------------ */
/* isync_url.c: URL policy and path building. */

/* Normalises and validates a base URL: http or https only; plain http only to a loopback host
 * (127.0.0.0/8, ::1, localhost) so a token never crosses a network in clear; no user info, query
 * or fragment. Writes the URL without a trailing slash into out (malloc'd). */
int isync_url_check_base(const char *url, char **out, int *is_plain_http, isync_error *e);
/* Checks a request path (begins with '/', printable ASCII, no "..", no fragment). */
int isync_url_check_path(const char *path, isync_error *e);
/* Percent-encodes one path segment (everything but RFC 3986 unreserved characters). */
int isync_url_escape_segment(isync_buf *out, const char *s, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* isync_http.c: one Intercom HTTP client over a persistent libcurl handle. */

typedef struct isync_http_config {
    const char *base_url;       /* required; checked by isync_url_check_base */
    const char *access_token;   /* required; sent only as "Authorization: Bearer" */
    const char *api_version;    /* Intercom-Version header, e.g. "2.16" */
    const char *user_agent;     /* e.g. "intercom_sync/0.1.0" */
    const char *ca_file;        /* optional extra trust anchor (PEM), NULL for the system store */
    long connect_timeout_ms;    /* > 0 */
    long timeout_ms;            /* > 0, whole request */
    size_t max_response_bytes;  /* > 0 */
} isync_http_config;

typedef struct isync_response {
    long status;
    isync_buf body;
    char content_type[128];
    char request_id[96];     /* from the X-Request-Id header or the body's request_id */
    char link[512];          /* Link header, e.g. the canonical contact of a merged one */
    isync_rate_limit rate_limit;
    long retry_after;        /* Retry-After seconds, -1 if absent */
} isync_response;

typedef struct isync_http isync_http;

/* Allocates a client; NULL with e filled in on a bad config or libcurl failure. */
isync_http *isync_http_new(const isync_http_config *cfg, isync_error *e);
/* Closes connections and frees everything. NULL is fine. */
void isync_http_free(isync_http *h);
/* After fork(): frees our memory but never touches the inherited sockets or libcurl state that
 * the parent still owns (cleanup could write TLS close_notify into the parent's connection). */
void isync_http_abandon(isync_http *h);
pid_t isync_http_owner_pid(const isync_http *h);

/* A request is run in three phases so the binding can release the GVL around the waiting:
 *   isync_http_begin     prepares the transfer (may fail with a config or encode error);
 *   isync_http_run       drives it until done or isync_http_interrupt is called (no allocation
 *                        of Ruby memory, safe without the GVL);
 *   isync_http_finish    classifies the outcome into h's response or an error.
 * isync_http_cancel drops a transfer that will not be finished (after an interrupt). */
int isync_http_begin(isync_http *h, const char *method, const char *path,
                     const char *body, size_t body_len, isync_error *e);
typedef enum { ISYNC_RUN_DONE, ISYNC_RUN_INTERRUPTED } isync_run_state;
isync_run_state isync_http_run(isync_http *h);
void isync_http_interrupt(isync_http *h);   /* callable from any thread */
int isync_http_finish(isync_http *h, isync_error *e);
void isync_http_cancel(isync_http *h);
int isync_http_in_progress(const isync_http *h);

/* Waits up to ms milliseconds with no transfer, returning early (ISYNC_RUN_INTERRUPTED) when
 * isync_http_interrupt is called: the interruptible sleep behind backoff and pacing. */
isync_run_state isync_http_sleep(isync_http *h, long ms);
/* Caps the next request's total time (0: the configured timeout), for a sync's deadline. */
void isync_http_set_request_timeout(isync_http *h, long ms);

/* Blocking convenience for C drivers: begin + run + finish. */
int isync_http_perform(isync_http *h, const char *method, const char *path,
                       const char *body, size_t body_len, isync_error *e);

/* The last finished response (status, body, headers); owned by h. */
const isync_response *isync_http_response(const isync_http *h);
/* Decodes the last response: JSON for 2xx, or an error for everything else (HTTP status with
 * Intercom's error.list code/message/request_id, or a parse error). Caller frees the result. */
isync_json *isync_http_decode(isync_http *h, isync_error *e);

typedef struct isync_http_stats {
    unsigned long requests;      /* transfers finished (successfully or not) */
    unsigned long connections;   /* new TCP connections opened */
} isync_http_stats;
isync_http_stats isync_http_get_stats(const isync_http *h);

/* ------------------------------------------------------------------------------------------ */
/* isync_retry.c: rate-limit budgets shared by the process, and the retry policy. */

/* What Intercom said about one app's current window, shared by every client and thread that
 * uses the same base URL and token. */
typedef struct isync_budget isync_budget;

/* The budget for a workspace (never freed; a process talks to few). NULL only on OOM. */
/* workspace_key: the caller's key of the workspace (base URL and a digest of the token; the
 * binding's comes from Configuration.workspace_key). Keys equal in their 64-bit FNV share a budget. */
isync_budget *isync_budget_for(const char *workspace_key);
/* Reserves the next request: how long to wait before sending it so the window's budget lasts
 * until its reset (0 when there is room, or nothing is known yet). Every reservation must be
 * followed by isync_budget_done, with the answer's X-RateLimit-* headers (or none). */
long isync_budget_delay_ms(isync_budget *b, long long now_ms, unsigned int random);
void isync_budget_done(isync_budget *b, const isync_rate_limit *rl, long long now_ms);
/* For tests and stats: the budget as last seen. */
isync_rate_limit isync_budget_snapshot(isync_budget *b);
void isync_budget_reset(isync_budget *b);

typedef struct isync_retry_policy {
    int max_retries;           /* transient failures: 5xx, transport, truncated or garbled bodies */
    long base_delay_ms;        /* first backoff; doubles per attempt */
    long max_delay_ms;         /* backoff cap */
    int rate_limit_retries;    /* 429s; 0 with raise_on_rate_limit */
    int raise_on_rate_limit;   /* 1: a 429 is returned at once, for the job to reschedule */
} isync_retry_policy;

/* Whether e is worth another attempt: a delay in ms (>= 0), or -1 to give up. attempt counts
 * the retries already made; random is any random number (for jitter). Pure. */
long isync_retry_delay(const isync_retry_policy *p, const isync_error *e, int attempt, long long now_ms,
                       unsigned int random);
/* 1 for the failures a retry may cure. */
int isync_error_transient(const isync_error *e);

long long isync_now_ms(void); /* wall clock, milliseconds */

/* ------------------------------------------------------------------------------------------ */
/* The sync engine (isync_ops.c and the files README.md lists): the sync of one user, as a
 * state machine that does no I/O.
 *
 * It starts from a snapshot of the app's user and teams (JSON; see isync_snapshot.c),
 * asks for one HTTP request at a time and is fed each outcome, so the same engine runs over
 * libcurl in the gem and over canned responses in tests and fuzzers:
 *
 *     s = isync_sync_new(snapshot, len, dry_run, &e);
 *     while ((rc = isync_sync_next(s, &req, &e)) == 1) {
 *         doc = <perform req; decode; NULL and outcome filled on failure>;
 *         if (isync_sync_feed(s, doc, &outcome, &e)) break;       (doc ownership moves in)
 *     }
 *     isync_sync_result_doc(s) or isync_sync_result(s, &json);  (also after a failure: it holds
 *                                  the ids learned so far)
 */

typedef struct isync_sync isync_sync;

typedef struct isync_sync_request {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *path;    /* escaped, valid until the next call on the engine */
    const char *body;    /* JSON text or NULL */
    size_t body_len;
    const char *step;    /* what the request is for, e.g. "find contact" */
} isync_sync_request;

isync_sync *isync_sync_new(const char *snapshot_json, size_t len, int dry_run, isync_error *e);
/* 1: *req is the next request; 0: finished; -1: failed (e filled). */
int isync_sync_next(isync_sync *s, isync_sync_request *req, isync_error *e);
/* Feeds the outcome of the last request: doc (a 2xx body, owned by the engine from here on) or
 * NULL with outcome describing the failure. 0 to go on, -1 when the sync failed (e filled). */
int isync_sync_feed(isync_sync *s, isync_json *doc, const isync_error *outcome, isync_error *e);
/* Repeats of the engine's requests that the executor made after transient failures (same
 * call, same body): the result counts them in "retries" and in "requests" (every request that
 * went out). Set before reading the result; the engine itself never retries. */
void isync_sync_count_retries(isync_sync *s, unsigned long retries);
/* The result document (built anew by each call, owned by the engine, valid until the next
 * call on it; NULL when memory ran out or a string was not UTF-8). */
const isync_json *isync_sync_result_doc(isync_sync *s);
/* The same document as JSON text, appended to out (the C tests and fuzzers read it). */
int isync_sync_result(isync_sync *s, isync_buf *out);
void isync_sync_free(isync_sync *s);

/* ------------------------------------------------------------------------------------------ */
/* Hostile servers (issue 9): bounds, safe text and O(1) lookups.                              */

/* What one sync accepts from Intercom; past these it refuses (ISYNC_E_TOO_LARGE) or, where the
 * rest can be done without, cuts with a warning. README, "Security", explains each. */
#define ISYNC_MAX_COMPANIES 2000      /* per contact: Intercom allows 1,000; refused past it */
#define ISYNC_MAX_ATTRIBUTES 2000     /* definitions per model kept; the rest cut with a warning */
#define ISYNC_MAX_LEADS 1000          /* leads merged into one user; the rest left with a warning */

/* isync_url.c: 1 when a path segment is "." or "..", or decodes to one (up to three rounds of
 * percent-decoding): a normalising server would route /contacts/%2E%2E to /. */
int isync_url_dot_segment(const char *segment, size_t len);

/* isync_text.c: text from a server made safe to embed in our messages. */
#include <stdarg.h>

/* The length of the longest prefix of s[0..len), at most max bytes, that does not end inside a
 * UTF-8 character. */
size_t isync_utf8_prefix(const char *s, size_t len, size_t max);
/* Replaces each byte that is not part of a valid UTF-8 sequence with '?', in place. */
void isync_utf8_scrub_inplace(char *s);
/* snprintf that cuts only between characters and scrubs what is not UTF-8; returns vsnprintf's. */
int isync_text_format(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int isync_text_vformat(char *dst, size_t cap, const char *fmt, va_list ap);
/* Copies src[0..len) into dst the same way (NULL src: ""). */
void isync_text_copy(char *dst, size_t cap, const char *src, size_t len);
/* FNV-1a, 64 bits, over len bytes from h (ISYNC_FNV_OFFSET to start): a fast fingerprint (the
 * digest of what was pushed for a team, the key of a rate-limit budget), not a security measure. */
#define ISYNC_FNV_OFFSET 1469598103934665603ULL
uint64_t isync_fnv1a(uint64_t h, const void *data, size_t len);
/* A request id: kept only when it is printable ASCII that fits (never cut); else "". */
void isync_copy_request_id(char *dst, size_t cap, const char *src, size_t len);

/* Redaction of the access token from server text, done before any cut. A secret shorter than
 * this is not redacted (it would garble text); a tail of text that is a prefix of the secret at
 * least this long is redacted too, since a cut further on may have taken the rest of it. */
#define ISYNC_REDACT_MIN 4
int isync_redact_append(isync_buf *out, const char *text, size_t len, const char *secret);
/* The length of the tail of text[0..len) that is a proper prefix of secret (0 when none). */
size_t isync_redact_tail(const char *text, size_t len, const char *secret);
/* Redacts text, then copies it into dst cut on a character boundary. */
void isync_redact_into(char *dst, size_t cap, const char *text, const char *secret);

/* isync_set.c: an index from strings to positions, SipHash-1-3 under a per-process random key.
 * Keys are not copied: each must stay in place while the set holds it. */
typedef struct isync_set_slot {
    const char *key;  /* NULL: empty */
    size_t len;
    uint64_t hash;
    size_t value;
} isync_set_slot;

typedef struct isync_set {
    isync_set_slot *slots;
    size_t len, cap;  /* cap: 0 or a power of two, at least twice len */
} isync_set;

uint64_t isync_hash(const char *data, size_t len);
void isync_set_init(isync_set *set);
void isync_set_free(isync_set *set);
/* 1 and *value (when value is not NULL) if key is in the set, else 0. */
int isync_set_get(const isync_set *set, const char *key, size_t len, size_t *value);
/* Adds key or replaces its value; -1 when out of memory. */
int isync_set_put(isync_set *set, const char *key, size_t len, size_t value);

/* ------------------------------------------------------------------------------------------ */
/* isync_exec.c: one request with retries, rate-limit pacing and a deadline (issue 11).
 *
 * A resumable loop: isync_exec_start names the request, isync_exec_run drives it until it is
 * done or interrupted (isync_http_interrupt, from any thread). An interrupted run holds no
 * budget reservation; it can be resumed (call isync_exec_run again) or abandoned
 * (isync_exec_cancel). The binding runs it without the GVL; tests and fuzzers run it over io
 * functions of their own (clock, random source, sleep, transport). */

typedef struct isync_exec isync_exec;

typedef struct isync_exec_io {
    long long (*now_ms)(isync_exec *x);        /* a clock in ms */
    unsigned int (*random)(isync_exec *x);     /* for jitter */
    /* Waits up to ms (> 0); ISYNC_RUN_INTERRUPTED when woken early by an interrupt. */
    isync_run_state (*sleep)(isync_exec *x, long ms);
    /* Starts a request whose total time is capped at timeout_ms (0: no cap of the sync's). */
    int (*begin)(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                 long timeout_ms, isync_error *e);
    isync_run_state (*run)(isync_exec *x);     /* drives it until done or interrupted */
    /* Ends it: the decoded 2xx body, or NULL with e filled; *rl is the answer's X-RateLimit-*. */
    isync_json *(*finish)(isync_exec *x, isync_rate_limit *rl, isync_error *e);
    void (*cancel)(isync_exec *x);             /* drops an unfinished transfer */
} isync_exec_io;

/* The real ones: isync_now_ms, xorshift over random_state, and isync_http for sleep and transport. */
extern const isync_exec_io isync_exec_http_io;

typedef enum isync_exec_phase {
    ISYNC_EXEC_IDLE,     /* no request, or it is done */
    ISYNC_EXEC_ATTEMPT,  /* about to check the deadline and reserve a slot */
    ISYNC_EXEC_PACING,   /* waiting for the budget's slot (reserved) */
    ISYNC_EXEC_SENDING,  /* the transfer is running (reserved) */
    ISYNC_EXEC_BACKOFF   /* waiting before a retry */
} isync_exec_phase;

struct isync_exec {
    /* the owner's settings (isync_exec_init) */
    const isync_exec_io *io;
    isync_http *http;            /* the transport of isync_exec_http_io */
    void *ctx;                   /* free for io functions of the caller's own */
    isync_retry_policy retry;
    int pace;                    /* spread requests over the rate-limit window */
    isync_budget *budget;        /* required when pace is set */
    unsigned int random_state;   /* xorshift, never 0 */
    unsigned long retries;       /* requests repeated after a transient failure or a 429 */
    unsigned long paced;         /* waits before a request to stay inside the budget */
    struct isync_trace *trace;   /* what each request did, when on (isync_trace.h); NULL: none */
    long answer_status;          /* HTTP status of the last answer, set by io->finish (0: none) */
    /* the request under way (isync_exec_start) */
    isync_exec_phase phase;
    const char *method, *path, *body;  /* the caller's; must outlive the request */
    size_t body_len;
    long long deadline_ms;       /* absolute, on io->now_ms's clock; 0: none */
    int retry_count;             /* retries made so far for this request */
    int reserved;                /* this request has a budget slot (released while suspended) */
    int suspended;               /* the last run returned ISYNC_RUN_INTERRUPTED */
    long long wait_until;        /* the end of the pacing wait or backoff under way */
    isync_error last;            /* the failure before the current attempt, for TimeoutError */
};

void isync_exec_init(isync_exec *x, isync_http *http, const isync_retry_policy *retry, int pace,
                     isync_budget *budget, unsigned int seed);
void isync_exec_start(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                      long long deadline_ms);
/* ISYNC_RUN_DONE: *doc is the decoded 2xx body (caller frees), or NULL with e filled (the
 * deadline passing is ISYNC_E_TIMEOUT naming the last error). ISYNC_RUN_INTERRUPTED: resume or
 * cancel. Either way no budget reservation is held on return. */
isync_run_state isync_exec_run(isync_exec *x, isync_json **doc, isync_error *e);
/* Abandons an interrupted request (drops its transfer); a no-op once it is done. */
void isync_exec_cancel(isync_exec *x);
/* Blocking start + run, resuming after interrupts: for C drivers. */
isync_json *isync_exec_call(isync_exec *x, const char *method, const char *path, const char *body,
                            size_t body_len, long long deadline_ms, isync_error *e);

/* isync_retry.c, for isync_exec: a reservation given back while its request is suspended, and
 * taken again on resume (isync_budget_done gives it back for good); the count, for tests. */
void isync_budget_hold(isync_budget *b);
void isync_budget_release(isync_budget *b);
long isync_budget_in_flight(isync_budget *b);

#endif /* ISYNC_CORE_H */

/*
 * The Intercom HTTP client over a persistent libcurl handle: the handle (isync_http.c), one
 * request at a time (isync_http_transfer.c), and its answer read into a document or an error
 * (isync_http_decode.c). isync_http_internal.h is what those files share.
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_HTTP_H
#define ISYNC_HTTP_H

#ifndef ISYNC_CORE_H
#error "isync_http.h is one part of isync_core.h: include isync_core.h"
#endif

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
/* (ISYNC_RUN_SHARED_BUDGET: only isync_exec_run returns it; see isync_exec.h) */
typedef enum { ISYNC_RUN_DONE, ISYNC_RUN_INTERRUPTED, ISYNC_RUN_SHARED_BUDGET } isync_run_state;
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

#endif /* ISYNC_HTTP_H */

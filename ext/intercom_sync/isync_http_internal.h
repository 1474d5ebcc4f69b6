/*
 * What the files of the HTTP client share (isync_http.h is its public face): the handle, and the
 * functions one file installs or calls and another defines.
 *
 *   isync_http.c           the handle: checked configuration, libcurl options, free, abandon
 *   isync_http_share.c     DNS answers and TLS sessions shared by every client of the process
 *   isync_http_transfer.c  one request: begin, run (interruptible), finish; the body callback
 *   isync_http_headers.c   the response headers: content type, request id, rate limit, ...
 *   isync_http_decode.c    an answer into a document, or into a typed error
 *
 * libcurl callbacks here only copy bytes and set flags; they never call into Ruby.
 */
#ifndef ISYNC_HTTP_INTERNAL_H
#define ISYNC_HTTP_INTERNAL_H

#include "isync_core.h"

#define ISYNC_RESPONSE_KEEP_BYTES ((size_t)256 * 1024) /* larger body buffers are released after decode */

struct isync_http {
    CURL *easy;
    CURLM *multi;
    struct curl_slist *headers;      /* Authorization, Intercom-Version, Accept, Content-Type */
    char *base_url;
    char *token;                     /* to redact from server text in messages; wiped when freed */
    int plain_http;
    size_t max_response_bytes;
    pid_t owner_pid;                 /* the process that created the handles (fork safety) */

    /* the transfer in flight */
    isync_buf url;
    char method[8];
    char path_for_errors[200];       /* truncated copy for error messages */
    int attached;                    /* the easy handle is added to the multi handle */
    int done;
    CURLcode result;
    int too_large;                   /* the write callback refused a body over the cap */
    int out_of_memory;
    int interrupted;                 /* written from other threads with __atomic builtins */
    char errbuf[CURL_ERROR_SIZE];

    long timeout_ms;                 /* configured total timeout */
    long request_timeout_ms;         /* this request's cap (a deadline), 0 for none */

    isync_response resp;
    isync_http_stats stats;
};

/* isync_http.c: the error for a curl_easy_setopt that failed. */
int isync_http_setopt_failed(isync_error *e, CURLcode c);

/* isync_http_share.c: the process's share (NULL: clients go without sharing); a forked child
 * starts its own. */
CURLSH *isync_http_process_share(void);

/* isync_http_transfer.c: CURLOPT_WRITEFUNCTION, with the handle as its data: appends to the
 * response body, refusing one over max_response_bytes. */
size_t isync_http_on_body(char *data, size_t size, size_t nmemb, void *userdata);

/* isync_http_headers.c: CURLOPT_HEADERFUNCTION, with the handle as its data: fills the
 * response's headers; the reset empties them (and the status) for the next response. */
size_t isync_http_on_header(char *line, size_t size, size_t nmemb, void *userdata);
void isync_http_reset_response_headers(isync_response *r);

#endif /* ISYNC_HTTP_INTERNAL_H */

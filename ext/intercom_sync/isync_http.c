/*
 * The Intercom HTTP client: one persistent libcurl easy handle driven through a multi handle.
 *
 * Why a multi handle for one transfer at a time: curl_multi_poll can be woken from another
 * thread with curl_multi_wakeup, which is how a Ruby Thread#kill or Timeout reaches a request
 * blocked on the network (see isync_http_interrupt). The multi handle also owns the connection
 * cache, so keep-alive connections survive between requests.
 *
 * libcurl callbacks here only copy bytes and set flags; they never call into Ruby.
 */
#include "isync_core.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RESPONSE_KEEP_BYTES ((size_t)256 * 1024) /* larger body buffers are released after decode */

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

/* ---------------------------------------------------------------------------------------- */
/* libcurl callbacks */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    isync_http *h = userdata;
    size_t n = size * nmemb;
    if (h->resp.body.len + n > h->max_response_bytes) {
        h->too_large = 1;
        return 0; /* makes libcurl fail the transfer with CURLE_WRITE_ERROR */
    }
    if (isync_buf_append(&h->resp.body, data, n) != 0) {
        h->out_of_memory = 1;
        return 0;
    }
    return n;
}

/* Copies a header value (trimmed) into dst if the line is "name: value". */
static int header_value(const char *line, size_t len, const char *name, char *dst, size_t cap)
{
    size_t nlen = strlen(name);
    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0) return 0;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) end--;
    size_t vlen = (size_t)(end - v);
    if (vlen >= cap) vlen = cap - 1;
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
    return 1;
}

/* Parses a non-negative decimal header value, saturating at max (a server may send any number
 * of digits: the callers' sanity bounds then treat it as absurd); -1 if it is not a number. */
static long long parse_count(const char *s, long long max)
{
    if (!*s) return -1;
    long long n = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) return -1;
        int digit = *s - '0';
        n = n > (max - digit) / 10 ? max : n * 10 + digit;
    }
    return n;
}

static void reset_response_headers(isync_response *r)
{
    r->status = 0;
    r->content_type[0] = '\0';
    r->request_id[0] = '\0';
    r->link[0] = '\0';
    r->rate_limit.present = 0;
    r->rate_limit.limit = -1;
    r->rate_limit.remaining = -1;
    r->rate_limit.reset = -1;
    r->retry_after = -1;
}

/* X-Request-Id: a raw header may hold any bytes; kept only when it is a plain id (issue 9). */
static int request_id_header(const char *line, size_t len, isync_response *r)
{
    char raw[sizeof(r->request_id) + 1];
    if (!header_value(line, len, "X-Request-Id", raw, sizeof(raw))) return 0;
    isync_copy_request_id(r->request_id, sizeof(r->request_id), raw, strlen(raw));
    return 1;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
    isync_http *h = userdata;
    isync_response *r = &h->resp;
    size_t len = size * nmemb;
    char value[64];

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        reset_response_headers(r); /* a new response (after 100 Continue) starts fresh */
        return len;
    }
    if (header_value(line, len, "Content-Type", r->content_type, sizeof(r->content_type)) ||
        request_id_header(line, len, r) ||
        header_value(line, len, "Link", r->link, sizeof(r->link))) {
        return len;
    }
    if (header_value(line, len, "X-RateLimit-Limit", value, sizeof(value))) {
        r->rate_limit.limit = (long)parse_count(value, LONG_MAX);
        r->rate_limit.present = 1;
    } else if (header_value(line, len, "X-RateLimit-Remaining", value, sizeof(value))) {
        r->rate_limit.remaining = (long)parse_count(value, LONG_MAX);
        r->rate_limit.present = 1;
    } else if (header_value(line, len, "X-RateLimit-Reset", value, sizeof(value))) {
        r->rate_limit.reset = parse_count(value, LLONG_MAX);
        r->rate_limit.present = 1;
    } else if (header_value(line, len, "Retry-After", value, sizeof(value))) {
        r->retry_after = (long)parse_count(value, LONG_MAX);
    }
    return len;
}

/* ---------------------------------------------------------------------------------------- */
/* DNS answers and TLS sessions shared by every client of the process (libcurl's share
 * interface), so a thread's new connection resumes a TLS session another thread negotiated
 * instead of paying a full handshake. Connections themselves are not shared: libcurl does not
 * support sharing its connection cache between concurrently running threads. */

static CURLSH *shared;
static pid_t shared_pid;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_mutex_t share_init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t share_once = PTHREAD_ONCE_INIT;

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)handle;
    (void)access;
    (void)user;
    pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *user)
{
    (void)handle;
    (void)user;
    pthread_mutex_unlock(&share_locks[data]);
}

/* fork() copies the locks as they are: hold them all across the fork so the child never
 * inherits one that another thread held. */
static void before_fork(void)
{
    pthread_mutex_lock(&share_init_lock);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_lock(&share_locks[i]);
}

static void after_fork(void)
{
    for (int i = CURL_LOCK_DATA_LAST - 1; i >= 0; i--) pthread_mutex_unlock(&share_locks[i]);
    pthread_mutex_unlock(&share_init_lock);
}

static void init_share_locks(void)
{
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&share_locks[i], NULL);
    pthread_atfork(before_fork, after_fork, after_fork);
}

/* The process's share; a forked child starts its own (the parent's is left alone). */
static CURLSH *process_share(void)
{
    pthread_once(&share_once, init_share_locks);
    pthread_mutex_lock(&share_init_lock);
    if (!shared || shared_pid != getpid()) {
        CURLSH *sh = curl_share_init();
        if (sh && (curl_share_setopt(sh, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
                   curl_share_setopt(sh, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
                   curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
                   curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)) {
            curl_share_cleanup(sh);
            sh = NULL;
        }
        shared = sh; /* NULL: clients go without sharing, nothing else changes */
        shared_pid = getpid();
    }
    CURLSH *sh = shared;
    pthread_mutex_unlock(&share_init_lock);
    return sh;
}

/* ---------------------------------------------------------------------------------------- */
/* Construction */

/* Printable ASCII only: a CR or LF would let a value inject headers. */
static int check_header_value(const char *what, const char *v, int allow_space, isync_error *e)
{
    if (!v || !*v) return isync_error_set(e, ISYNC_E_CONFIG, "%s must not be empty", what);
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < (allow_space ? 0x20 : 0x21) || c > 0x7e) {
            /* never echo the value: it may be the token */
            return isync_error_set(e, ISYNC_E_CONFIG,
                                   "%s contains a character not allowed in an HTTP header", what);
        }
    }
    return 0;
}

/* Appends the header line prefix + value ("Accept: " + "application/json"). */
static int add_header(struct curl_slist **list, const char *prefix, const char *value)
{
    isync_buf line;
    isync_buf_init(&line);
    int rc = isync_buf_append_str(&line, prefix) || isync_buf_append_str(&line, value) ? -1 : 0;
    if (rc == 0) {
        struct curl_slist *grown = curl_slist_append(*list, line.data);
        if (grown) *list = grown;
        else rc = -1;
    }
    /* the Authorization line held the token: wipe our copy before freeing it */
    if (line.data) memset(line.data, 0, line.cap);
    isync_buf_free(&line);
    return rc;
}

static void wipe_and_free_headers(struct curl_slist *list)
{
    for (struct curl_slist *p = list; p; p = p->next) {
        if (p->data) memset(p->data, 0, strlen(p->data));
    }
    curl_slist_free_all(list);
}

static void wipe_and_free(char *secret)
{
    if (secret) memset(secret, 0, strlen(secret));
    free(secret);
}

static int setopt_failed(isync_error *e, CURLcode c)
{
    return isync_error_set(e, ISYNC_E_CONFIG, "libcurl rejected an option: %s", curl_easy_strerror(c));
}

isync_http *isync_http_new(const isync_http_config *cfg, isync_error *e)
{
    if (check_header_value("access token", cfg->access_token, 0, e) ||
        check_header_value("API version", cfg->api_version, 0, e) ||
        check_header_value("user agent", cfg->user_agent ? cfg->user_agent : "x", 1, e)) {
        return NULL;
    }
    if (cfg->connect_timeout_ms <= 0 || cfg->timeout_ms <= 0) {
        isync_error_set(e, ISYNC_E_CONFIG, "timeouts must be positive");
        return NULL;
    }
    if (cfg->max_response_bytes == 0) {
        isync_error_set(e, ISYNC_E_CONFIG, "max_response_bytes must be positive");
        return NULL;
    }

    isync_http *h = calloc(1, sizeof(*h));
    if (!h) {
        isync_error_set(e, ISYNC_E_NOMEM, "out of memory allocating the HTTP client");
        return NULL;
    }
    isync_buf_init(&h->url);
    isync_buf_init(&h->resp.body);
    reset_response_headers(&h->resp);
    h->max_response_bytes = cfg->max_response_bytes;
    h->timeout_ms = cfg->timeout_ms;
    h->owner_pid = getpid();

    if (isync_url_check_base(cfg->base_url ? cfg->base_url : "", &h->base_url, &h->plain_http, e)) {
        goto fail;
    }
    size_t token_len = strlen(cfg->access_token);
    if (!(h->token = malloc(token_len + 1))) {
        isync_error_set(e, ISYNC_E_NOMEM, "out of memory allocating the HTTP client");
        goto fail;
    }
    memcpy(h->token, cfg->access_token, token_len + 1);

    h->easy = curl_easy_init();
    h->multi = curl_multi_init();
    if (!h->easy || !h->multi) {
        isync_error_set(e, ISYNC_E_NOMEM, "libcurl could not allocate a handle");
        goto fail;
    }

    if (add_header(&h->headers, "Authorization: Bearer ", cfg->access_token) ||
        add_header(&h->headers, "Intercom-Version: ", cfg->api_version) ||
        add_header(&h->headers, "Accept: ", "application/json") ||
        add_header(&h->headers, "Content-Type: ", "application/json") ||
        /* an empty Expect: no 100-continue round trip before larger bodies */
        add_header(&h->headers, "Expect:", "")) {
        isync_error_set(e, ISYNC_E_NOMEM, "out of memory building request headers");
        goto fail;
    }

    CURL *c = h->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) do { if ((rc = curl_easy_setopt(c, opt, val)) != CURLE_OK) goto setopt_fail; } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);              /* no SIGALRM-based DNS timeouts in a threaded Ruby */
    SET(CURLOPT_HTTPHEADER, h->headers);
    SET(CURLOPT_USERAGENT, cfg->user_agent ? cfg->user_agent : "intercom_sync");
    SET(CURLOPT_ACCEPT_ENCODING, "");       /* any compression libcurl supports */
    SET(CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_response_bytes);
    SET(CURLOPT_FOLLOWLOCATION, 0L);        /* a redirect must never carry the token elsewhere */
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS); /* HTTP/2 where the server offers it */
    {
        CURLSH *sh = process_share();
        if (sh) SET(CURLOPT_SHARE, sh);
    }
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0: the string form; the bitmask is deprecated */
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (cfg->ca_file && *cfg->ca_file) SET(CURLOPT_CAINFO, cfg->ca_file);
    /* Loopback over plain http: bypass any *_proxy environment variable, or the token would be
     * handed in clear to a proxy on the network. */
    if (h->plain_http) SET(CURLOPT_PROXY, "");
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, h);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, h);
#undef SET
    return h;

setopt_fail:
    setopt_failed(e, rc);
fail:
    isync_http_free(h);
    return NULL;
}

void isync_http_free(isync_http *h)
{
    if (!h) return;
    if (h->attached) curl_multi_remove_handle(h->multi, h->easy);
    if (h->easy) curl_easy_cleanup(h->easy);
    if (h->multi) curl_multi_cleanup(h->multi);
    wipe_and_free_headers(h->headers);
    wipe_and_free(h->token);
    free(h->base_url);
    isync_buf_free(&h->url);
    isync_buf_free(&h->resp.body);
    free(h);
}

/* Handles a forked child inherited and must not clean up. Kept reachable so memory checkers
 * tell this deliberate, bounded leak from a real one. */
#define MAX_ABANDONED 64
static void *volatile abandoned[MAX_ABANDONED * 2]; /* volatile: never read, must stay written */
static size_t abandoned_count;

void isync_http_abandon(isync_http *h)
{
    if (!h) return;
    /* The easy and multi handles (and their sockets) belong to the parent process: leak them
     * deliberately rather than let a cleanup write to or close connections the parent uses. */
    size_t slot = (abandoned_count++ % MAX_ABANDONED) * 2;
    abandoned[slot] = h->easy;
    abandoned[slot + 1] = h->multi;
    wipe_and_free_headers(h->headers);
    wipe_and_free(h->token);
    free(h->base_url);
    isync_buf_free(&h->url);
    isync_buf_free(&h->resp.body);
    free(h);
}

pid_t isync_http_owner_pid(const isync_http *h) { return h->owner_pid; }
int isync_http_in_progress(const isync_http *h) { return h->attached; }
const isync_response *isync_http_response(const isync_http *h) { return &h->resp; }
isync_http_stats isync_http_get_stats(const isync_http *h) { return h->stats; }

/* ---------------------------------------------------------------------------------------- */
/* A request */

int isync_http_begin(isync_http *h, const char *method, const char *path,
                     const char *body, size_t body_len, isync_error *e)
{
    if (h->attached) return isync_error_set(e, ISYNC_E_BUSY, "a request is already in progress");
    if (isync_url_check_path(path, e)) return -1;

    int has_body;
    if (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0) has_body = 0;
    else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) has_body = 1;
    else return isync_error_set(e, ISYNC_E_CONFIG, "unsupported HTTP method");
    if (has_body && !body) {
        body = "{}";
        body_len = 2;
    }
    if (!has_body && body) {
        return isync_error_set(e, ISYNC_E_CONFIG, "%s requests carry no body", method);
    }

    isync_buf_clear(&h->url);
    if (isync_buf_append_str(&h->url, h->base_url) || isync_buf_append_str(&h->url, path)) {
        return isync_error_set(e, ISYNC_E_NOMEM, "out of memory building the URL");
    }
    snprintf(h->method, sizeof(h->method), "%s", method);
    snprintf(h->path_for_errors, sizeof(h->path_for_errors), "%s", path);

    CURL *c = h->easy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) do { if ((rc = curl_easy_setopt(c, opt, val)) != CURLE_OK) goto setopt_fail; } while (0)
    SET(CURLOPT_URL, h->url.data);
    SET(CURLOPT_TIMEOUT_MS, h->request_timeout_ms > 0 && h->request_timeout_ms < h->timeout_ms
                                ? h->request_timeout_ms : h->timeout_ms);
    SET(CURLOPT_HTTPGET, 1L); /* resets any body and method left by the previous request */
    SET(CURLOPT_CUSTOMREQUEST, (char *)NULL);
    if (has_body) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
        SET(CURLOPT_COPYPOSTFIELDS, body); /* copied: the caller's memory may move or be freed */
        if (strcmp(method, "PUT") == 0) SET(CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (strcmp(method, "DELETE") == 0) {
        SET(CURLOPT_CUSTOMREQUEST, "DELETE");
    }
#undef SET

    isync_buf_clear(&h->resp.body);
    reset_response_headers(&h->resp);
    h->errbuf[0] = '\0';
    h->too_large = 0;
    h->out_of_memory = 0;
    h->done = 0;
    h->result = CURLE_OK;
    __atomic_store_n(&h->interrupted, 0, __ATOMIC_SEQ_CST);

    CURLMcode mc = curl_multi_add_handle(h->multi, h->easy);
    if (mc != CURLM_OK) {
        return isync_error_set(e, ISYNC_E_CONNECTION, "libcurl: %s", curl_multi_strerror(mc));
    }
    h->attached = 1;
    return 0;

setopt_fail:
    return setopt_failed(e, rc);
}

void isync_http_set_request_timeout(isync_http *h, long ms)
{
    h->request_timeout_ms = ms > 0 ? ms : 0;
}

void isync_http_interrupt(isync_http *h)
{
    __atomic_store_n(&h->interrupted, 1, __ATOMIC_SEQ_CST);
    curl_multi_wakeup(h->multi); /* documented as callable from any thread */
}

static int interrupted(isync_http *h)
{
    return __atomic_exchange_n(&h->interrupted, 0, __ATOMIC_SEQ_CST);
}

isync_run_state isync_http_sleep(isync_http *h, long ms)
{
    long long until = isync_now_ms() + ms;
    for (;;) {
        if (interrupted(h)) return ISYNC_RUN_INTERRUPTED;
        long long left = until - isync_now_ms();
        if (left <= 0) return ISYNC_RUN_DONE;
        /* no transfer is attached: this only waits, and curl_multi_wakeup ends it early */
        if (curl_multi_poll(h->multi, NULL, 0, (int)(left > 1000 ? 1000 : left), NULL) != CURLM_OK) {
            return ISYNC_RUN_DONE;
        }
    }
}

isync_run_state isync_http_run(isync_http *h)
{
    while (!h->done) {
        if (interrupted(h)) return ISYNC_RUN_INTERRUPTED;
        int running = 0;
        CURLMcode mc = curl_multi_perform(h->multi, &running);
        int queued;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(h->multi, &queued))) {
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == h->easy) {
                h->done = 1;
                h->result = msg->data.result;
            }
        }
        if (h->done) break;
        if (mc == CURLM_OK) mc = curl_multi_poll(h->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            h->done = 1;
            h->result = CURLE_RECV_ERROR;
            snprintf(h->errbuf, sizeof(h->errbuf), "%s", curl_multi_strerror(mc));
        }
    }
    return ISYNC_RUN_DONE;
}

void isync_http_cancel(isync_http *h)
{
    if (!h->attached) return;
    /* An unfinished transfer's connection is closed by libcurl, never reused half-read. */
    curl_multi_remove_handle(h->multi, h->easy);
    h->attached = 0;
    h->stats.requests++;
}

static isync_err_kind classify(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return ISYNC_E_DNS;
    case CURLE_OPERATION_TIMEDOUT:
        return ISYNC_E_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return ISYNC_E_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return ISYNC_E_TOO_LARGE;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return ISYNC_E_CONFIG;
    case CURLE_OUT_OF_MEMORY:
        return ISYNC_E_NOMEM;
    default:
        return ISYNC_E_CONNECTION;
    }
}

int isync_http_finish(isync_http *h, isync_error *e)
{
    if (!h->attached) return isync_error_set(e, ISYNC_E_CONFIG, "no request in progress");
    curl_multi_remove_handle(h->multi, h->easy);
    h->attached = 0;
    h->stats.requests++;

    long connects = 0;
    if (curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
        h->stats.connections += (unsigned long)connects;
    }

    if (h->result != CURLE_OK) {
        isync_err_kind kind = classify(h->result);
        const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(h->result);
        if (h->too_large || kind == ISYNC_E_TOO_LARGE) {
            isync_error_set(e, ISYNC_E_TOO_LARGE, "%s %s: response body larger than %zu bytes",
                            h->method, h->path_for_errors, h->max_response_bytes);
        } else if (h->out_of_memory) {
            isync_error_set(e, ISYNC_E_NOMEM, "%s %s: out of memory reading the response",
                            h->method, h->path_for_errors);
        } else if (h->result == CURLE_PARTIAL_FILE) {
            isync_error_set(e, kind, "%s %s: response truncated (connection closed mid-body): %s",
                            h->method, h->path_for_errors, detail);
        } else {
            isync_error_set(e, kind, "%s %s: %s", h->method, h->path_for_errors, detail);
        }
        e->curl_code = (int)h->result;
        isync_buf_shrink(&h->resp.body, RESPONSE_KEEP_BYTES);
        return -1;
    }
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &h->resp.status);
    return 0;
}

int isync_http_perform(isync_http *h, const char *method, const char *path,
                       const char *body, size_t body_len, isync_error *e)
{
    if (isync_http_begin(h, method, path, body, body_len, e)) return -1;
    isync_http_run(h);
    return isync_http_finish(h, e);
}

/* ---------------------------------------------------------------------------------------- */
/* Decoding */

static int is_json_content_type(const char *ct)
{
    if (!*ct) return 1; /* absent: judge by the body */
    return strstr(ct, "json") != NULL;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Redirect";
    }
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    if (!src) return;
    snprintf(dst, cap, "%s", src);
}

/* Intercom names the existing contact only inside the 409 message:
 * "A contact matching those details already exists with id=5ba6..." (or "An archived contact"). */
static void extract_conflict_id(const char *message, isync_error *e)
{
    const char *p = strstr(message, "id=");
    if (!p) return;
    p += 3;
    size_t n = strspn(p, "0123456789abcdefABCDEF");
    if (n == 0 || n >= sizeof(e->resource_id)) return;
    memcpy(e->resource_id, p, n);
    e->resource_id[n] = '\0';
    e->archived = strstr(message, "archived") != NULL;
}

/* A merged contact answers 410 with  Link: </contacts/<canonical id>>; rel="canonical". */
static void extract_canonical_id(const char *link, isync_error *e)
{
    const char *p = strstr(link, "/contacts/");
    if (!p || !strstr(link, "canonical")) return;
    p += strlen("/contacts/");
    size_t n = strspn(p, "0123456789abcdefABCDEF");
    if (n == 0 || n >= sizeof(e->resource_id)) return;
    memcpy(e->resource_id, p, n);
    e->resource_id[n] = '\0';
}

/* The body's request_id (a JSON string, so UTF-8, but of any length): the same rule as the
 * header's, never a cut copy. */
static void body_request_id(char *dst, size_t cap, const isync_json *doc)
{
    const isync_json *v = isync_json_get(doc, "request_id");
    char id[sizeof(((isync_response *)0)->request_id)];
    if (!v || v->type != ISYNC_JSON_STRING) return;
    isync_copy_request_id(id, sizeof(id), v->u.str.ptr, v->u.str.len);
    if (id[0]) isync_text_copy(dst, cap, id, strlen(id)); /* else the header's stays */
}

/* Fills e from an error response; uses Intercom's error.list body when there is one. */
static void http_error(isync_http *h, isync_error *e)
{
    isync_response *r = &h->resp;
    isync_error ignored;
    const char *message = NULL;
    isync_json *doc = NULL;

    if (r->body.len > 0 && is_json_content_type(r->content_type)) {
        doc = isync_json_parse(r->body.data, r->body.len, &ignored);
    }
    const isync_json *errors = isync_json_get(doc, "errors");
    const isync_json *first = (errors && errors->type == ISYNC_JSON_ARRAY && errors->u.list.len > 0)
                                  ? errors->u.list.values[0] : NULL;
    e->kind = ISYNC_E_HTTP;
    e->http_status = r->status;
    /* server text: redacted first, then cut between characters (a cut first could leave a
     * piece of the token behind, and a byte cut can split a character) */
    isync_redact_into(e->code, sizeof(e->code), isync_json_get_str(first, "code"), h->token);
    message = isync_json_get_str(first, "message");
    body_request_id(e->request_id, sizeof(e->request_id), doc);
    if (!e->request_id[0]) copy_str(e->request_id, sizeof(e->request_id), r->request_id);

    e->rate_limit = r->rate_limit;
    e->retry_after = r->retry_after;
    if (r->status == 409 && message) extract_conflict_id(message, e);
    if (r->status == 410 || strcmp(e->code, "contact_merged") == 0) extract_canonical_id(r->link, e);

    if (e->code[0] || message) {
        isync_buf said;
        isync_buf_init(&said);
        int nomem = message && isync_redact_append(&said, message, strlen(message), h->token);
        isync_error_set(e, ISYNC_E_HTTP, "%s %s: HTTP %ld %s%s%s", h->method, h->path_for_errors, r->status,
                        e->code, e->code[0] && message ? ": " : "",
                        nomem ? "(message withheld: out of memory)" : said.data ? said.data : "");
        isync_buf_free(&said);
    } else {
        char ct[sizeof(r->content_type)];
        isync_redact_into(ct, sizeof(ct), r->content_type, h->token);
        isync_error_set(e, ISYNC_E_HTTP, "%s %s: HTTP %ld %s (%s%s%s)", h->method, h->path_for_errors, r->status,
                        reason_phrase(r->status),
                        !r->body.len ? "empty body" : doc ? "body is not an Intercom error.list" : "non-JSON body",
                        ct[0] ? ", " : "", ct);
    }
    isync_json_free(doc);
}

isync_json *isync_http_decode(isync_http *h, isync_error *e)
{
    isync_response *r = &h->resp;
    isync_json *doc = NULL;

    if (r->status < 200 || r->status >= 300) {
        http_error(h, e);
    } else if (r->body.len == 0) {
        isync_error_set(e, ISYNC_E_PARSE, "%s %s: HTTP %ld with an empty body (expected JSON)",
                        h->method, h->path_for_errors, r->status);
    } else if (!is_json_content_type(r->content_type)) {
        char ct[sizeof(r->content_type)];
        isync_redact_into(ct, sizeof(ct), r->content_type, h->token);
        isync_error_set(e, ISYNC_E_PARSE, "%s %s: HTTP %ld with a %s body (expected JSON)",
                        h->method, h->path_for_errors, r->status, ct);
    } else if (!(doc = isync_json_parse(r->body.data, r->body.len, e))) {
        char why[sizeof(e->message)];
        snprintf(why, sizeof(why), "%s", e->message);
        isync_error_set(e, e->kind, "%s %s: HTTP %ld, %s", h->method, h->path_for_errors,
                        r->status, why);
    } else if (doc->type != ISYNC_JSON_OBJECT) {
        isync_error_set(e, ISYNC_E_PARSE, "%s %s: HTTP %ld, expected a JSON object", h->method,
                        h->path_for_errors, r->status);
        isync_json_free(doc);
        doc = NULL;
    }
    if (!doc) {
        e->http_status = r->status;
        if (!e->request_id[0]) copy_str(e->request_id, sizeof(e->request_id), r->request_id);
    } else {
        body_request_id(r->request_id, sizeof(r->request_id), doc);
    }
    isync_buf_shrink(&r->body, RESPONSE_KEEP_BYTES);
    return doc;
}

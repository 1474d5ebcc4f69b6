/*
 * The Intercom HTTP client's handle: one persistent libcurl easy handle driven through a multi
 * handle, set up once from a checked configuration, and freed (or, after fork, abandoned).
 *
 * Why a multi handle for one transfer at a time: curl_multi_poll can be woken from another
 * thread with curl_multi_wakeup, which is how a Ruby Thread#kill or Timeout reaches a request
 * blocked on the network (see isync_http_interrupt). The multi handle also owns the connection
 * cache, so keep-alive connections survive between requests.
 *
 * A request on it is isync_http_transfer.c; isync_http_internal.h lists the client's files.
 */
#include "isync_http_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int isync_http_setopt_failed(isync_error *e, CURLcode c)
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
    isync_http_reset_response_headers(&h->resp);
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
        CURLSH *sh = isync_http_process_share();
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
    SET(CURLOPT_WRITEFUNCTION, isync_http_on_body);
    SET(CURLOPT_WRITEDATA, h);
    SET(CURLOPT_HEADERFUNCTION, isync_http_on_header);
    SET(CURLOPT_HEADERDATA, h);
#undef SET
    return h;

setopt_fail:
    isync_http_setopt_failed(e, rc);
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

/*
 * One request on the client's handle, in the phases isync_http.h describes: begin sets the
 * transfer up, run drives it until it is done or interrupted from another thread, finish turns
 * libcurl's outcome into the response or a transport error. Also the body's write callback, and
 * the interruptible sleep that backoff and pacing wait in.
 */
#include "isync_http_internal.h"

#include <stdio.h>
#include <string.h>

/* libcurl's write callback: the body, up to the configured cap. */
size_t isync_http_on_body(char *data, size_t size, size_t nmemb, void *userdata)
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
    isync_http_reset_response_headers(&h->resp);
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
    return isync_http_setopt_failed(e, rc);
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
        isync_buf_shrink(&h->resp.body, ISYNC_RESPONSE_KEEP_BYTES);
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

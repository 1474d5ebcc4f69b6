/*
 * URL policy: which base URLs a token may be sent to, and safe request paths.
 *
 * Plain http is refused unless the host is loopback: an Intercom token in clear over a network
 * is a leaked token. Paths are checked so that an id from the app can never turn a request into
 * a call to a different endpoint.
 */
#include "isync_core.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_loopback_host(const char *host)
{
    if (strcasecmp(host, "localhost") == 0) return 1;
    if (strcmp(host, "[::1]") == 0) return 1;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    return 0;
}

static char *url_part(CURLU *u, CURLUPart part)
{
    char *out = NULL;
    if (curl_url_get(u, part, &out, 0) != CURLUE_OK) return NULL;
    return out;
}

int isync_url_check_base(const char *url, char **out, int *is_plain_http, isync_error *e)
{
    int rc = -1;
    char *scheme = NULL, *host = NULL, *user = NULL, *query = NULL, *fragment = NULL, *full = NULL;
    *out = NULL;

    CURLU *u = curl_url();
    if (!u) return isync_error_set(e, ISYNC_E_NOMEM, "out of memory parsing the base URL");

    /* The URL is only echoed back once we know it carries no credentials. */
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        isync_error_set(e, ISYNC_E_CONFIG, "base URL is not a valid absolute http(s) URL");
        goto done;
    }
    scheme = url_part(u, CURLUPART_SCHEME);
    host = url_part(u, CURLUPART_HOST);
    user = url_part(u, CURLUPART_USER);
    query = url_part(u, CURLUPART_QUERY);
    fragment = url_part(u, CURLUPART_FRAGMENT);

    if (user) {
        isync_error_set(e, ISYNC_E_CONFIG, "base URL must not contain user info (credentials)");
        goto done;
    }
    if (!scheme || !host || (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)) {
        isync_error_set(e, ISYNC_E_CONFIG, "base URL must use https (got %s)", url);
        goto done;
    }
    if (query || fragment) {
        isync_error_set(e, ISYNC_E_CONFIG, "base URL must not have a query or fragment (got %s)", url);
        goto done;
    }
    *is_plain_http = strcmp(scheme, "http") == 0;
    if (*is_plain_http && !is_loopback_host(host)) {
        isync_error_set(e, ISYNC_E_CONFIG,
                        "refusing plain http to %s: the access token would travel unencrypted; "
                        "use https (http is allowed only for loopback hosts)", host);
        goto done;
    }
    full = url_part(u, CURLUPART_URL);
    if (!full) {
        isync_error_set(e, ISYNC_E_NOMEM, "out of memory normalising the base URL");
        goto done;
    }
    size_t len = strlen(full);
    while (len > 0 && full[len - 1] == '/') len--;
    *out = malloc(len + 1);
    if (!*out) {
        isync_error_set(e, ISYNC_E_NOMEM, "out of memory normalising the base URL");
        goto done;
    }
    memcpy(*out, full, len);
    (*out)[len] = '\0';
    rc = 0;

done:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(query);
    curl_free(fragment);
    curl_free(full);
    curl_url_cleanup(u);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes up to three rounds of percent-encoding: a server (or a proxy in front of it) may
 * decode more than once, and "%252E" is "." after two. A dot segment is at most 2 * 3^3 bytes
 * encoded three times, so anything longer is not one. */
int isync_url_dot_segment(const char *s, size_t len)
{
    char buf[2][64];
    if (len >= sizeof(buf[0])) return 0;
    memcpy(buf[0], s, len);
    for (int round = 0;; round++) {
        char *cur = buf[round & 1], *next = buf[(round + 1) & 1];
        if ((len == 1 && cur[0] == '.') || (len == 2 && cur[0] == '.' && cur[1] == '.')) return 1;
        if (round == 3 || !memchr(cur, '%', len)) return 0;
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
            int hi, lo;
            if (cur[i] == '%' && i + 2 < len && (hi = hexval(cur[i + 1])) >= 0 && (lo = hexval(cur[i + 2])) >= 0) {
                next[n++] = (char)(hi * 16 + lo);
                i += 2;
            } else {
                next[n++] = cur[i];
            }
        }
        len = n;
    }
}

int isync_url_check_path(const char *path, isync_error *e)
{
    if (path[0] != '/') return isync_error_set(e, ISYNC_E_CONFIG, "request path must begin with '/'");
    const char *query = strchr(path, '?');
    size_t path_len = query ? (size_t)(query - path) : strlen(path);
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '#' || c == '\\') {
            return isync_error_set(e, ISYNC_E_CONFIG,
                                   "request path contains a character that must be escaped (0x%02x)", c);
        }
    }
    /* Reject dot segments in the path part: "/contacts/../admin" must never leave the client. */
    for (size_t i = 0; i < path_len; i++) {
        if (path[i] != '/') continue;
        size_t j = i + 1;
        size_t dots = 0;
        while (j < path_len && path[j] == '.') { dots++; j++; }
        if ((dots == 1 || dots == 2) && (j == path_len || path[j] == '/')) {
            return isync_error_set(e, ISYNC_E_CONFIG, "request path contains a dot segment");
        }
        /* and "/%2E%2E" or "/%252E": dot segments to a server that decodes before routing */
        size_t end = i + 1;
        while (end < path_len && path[end] != '/') end++;
        if (isync_url_dot_segment(path + i + 1, end - i - 1)) {
            return isync_error_set(e, ISYNC_E_CONFIG, "request path contains an encoded dot segment");
        }
    }
    return 0;
}

int isync_url_escape_segment(isync_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        /* '.' is escaped too, so "." and ".." stay literal ids, never dot segments. */
        int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '~';
        char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
        if (plain ? isync_buf_append(out, &s[i], 1) : isync_buf_append(out, enc, 3)) return -1;
    }
    return 0;
}

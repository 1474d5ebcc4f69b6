/*
 * The headers of an answer, read as libcurl hands them over (the header callback): Content-Type,
 * X-Request-Id, Link, X-RateLimit-* and Retry-After into the handle's isync_response. It only
 * copies and parses; it never fails the transfer.
 */
#include "isync_http_internal.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

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

void isync_http_reset_response_headers(isync_response *r)
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

size_t isync_http_on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
    isync_http *h = userdata;
    isync_response *r = &h->resp;
    size_t len = size * nmemb;
    char value[64];

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        isync_http_reset_response_headers(r); /* a new response (after 100 Continue) starts fresh */
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

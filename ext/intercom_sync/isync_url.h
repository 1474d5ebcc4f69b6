/*
 * isync_url.c: URL policy and path building.
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_URL_H
#define ISYNC_URL_H

#ifndef ISYNC_CORE_H
#error "isync_url.h is one part of isync_core.h: include isync_core.h"
#endif

/* Normalises and validates a base URL: http or https only; plain http only to a loopback host
 * (127.0.0.0/8, ::1, localhost) so a token never crosses a network in clear; no user info, query
 * or fragment. Writes the URL without a trailing slash into out (malloc'd). */
int isync_url_check_base(const char *url, char **out, int *is_plain_http, isync_error *e);
/* Checks a request path (begins with '/', printable ASCII, no "..", no fragment). */
int isync_url_check_path(const char *path, isync_error *e);
/* Percent-encodes one path segment (everything but RFC 3986 unreserved characters). */
int isync_url_escape_segment(isync_buf *out, const char *s, size_t len);
/* 1 when a path segment is "." or "..", or decodes to one (up to three rounds of
 * percent-decoding): a normalising server would route /contacts/%2E%2E to /. */
int isync_url_dot_segment(const char *segment, size_t len);

#endif /* ISYNC_URL_H */

/*
 * Strict UTF-8, and text that crosses from a server into our messages: cut only on UTF-8
 * character boundaries, scrubbed when it is not UTF-8, and with the access token redacted
 * before any cut (issue 9).
 *
 * Every fixed-size text field of isync_error and isync_response is filled through these, so a
 * message, code or request id handed to the binding is always valid UTF-8 (the binding's JSON
 * generator and Ruby strings both reject anything else).
 */
#include "isync_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Strict UTF-8 (RFC 3629): yajl's own check lets overlong forms such as C0 AF through, and
 * surrogates; both would reach Ruby as broken strings. */

int isync_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned int cp, min;
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1Fu; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0Fu; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07u; min = 0x10000; }
        else return 0;
        if (len - i <= n) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}

/* Appends s to out with every byte that does not start a valid sequence replaced by U+FFFD
 * (as Ruby's String#scrub does for each invalid byte). 0, or -1 when out of memory. */
int isync_utf8_scrub(const char *s, size_t len, isync_buf *out)
{
    size_t i = 0, run = 0; /* run: valid bytes not yet copied, ending at i */
    while (i < len) {
        size_t n = 1;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (len - i < n || !isync_utf8_valid(s + i, n)) {
                if (isync_buf_append(out, s + i - run, run) || isync_buf_append(out, "\xEF\xBF\xBD", 3)) return -1;
                run = 0;
                i++;
                continue;
            }
        }
        i += n;
        run += n;
    }
    return isync_buf_append(out, s + len - run, run);
}

/* Length of the valid UTF-8 sequence at s[0..len), 0 when it is invalid or incomplete. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    unsigned int cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    if (len < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
        return 0;
    }
    return n;
}

/* s[0..len) without a character the end cuts in half (a lead byte missing continuation bytes). */
static size_t complete_prefix(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = len;
    while (start > 0 && len - start < 3 && (p[start - 1] & 0xC0) == 0x80) start--;
    if (start == 0 || p[start - 1] < 0xC0) return len; /* stray bytes: the scrub replaces them */
    size_t lead = start - 1;
    size_t need = p[lead] >= 0xF0 ? 4 : p[lead] >= 0xE0 ? 3 : 2;
    return len - lead < need ? lead : len;
}

size_t isync_utf8_prefix(const char *s, size_t len, size_t max)
{
    return len <= max ? len : complete_prefix(s, max);
}

void isync_utf8_scrub_inplace(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0) {
            p[i++] = '?';
        } else {
            i += n;
        }
    }
}

int isync_text_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
{
    if (cap == 0) return 0;
    int wanted = vsnprintf(dst, cap, fmt, ap);
    if (wanted < 0) dst[0] = '\0';
    /* vsnprintf cuts on a byte count: drop a character it split, then scrub what the
     * arguments brought in that was never UTF-8 */
    if (wanted >= 0 && (size_t)wanted >= cap) dst[complete_prefix(dst, cap - 1)] = '\0';
    isync_utf8_scrub_inplace(dst);
    return wanted;
}

int isync_text_format(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int wanted = isync_text_vformat(dst, cap, fmt, ap);
    va_end(ap);
    return wanted;
}

void isync_text_copy(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0) return;
    size_t n = isync_utf8_prefix(src ? src : "", src ? len : 0, cap - 1);
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
    isync_utf8_scrub_inplace(dst);
}

void isync_copy_request_id(char *dst, size_t cap, const char *src, size_t len)
{
    if (cap == 0) return;
    dst[0] = '\0';
    if (!src || len == 0 || len >= cap) return; /* too long for an id: dropped, never cut */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x21 || c > 0x7e) return; /* Intercom's ids are printable ASCII: anything else is dropped */
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static const char FILTERED[] = "[FILTERED]";

/* memmem is a GNU extension; texts here are a few KB at most. */
static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    for (const char *p = hay; (size_t)(hay + hlen - p) >= nlen; p++) {
        p = memchr(p, needle[0], (size_t)(hay + hlen - p) - nlen + 1);
        if (!p) return NULL;
        if (memcmp(p, needle, nlen) == 0) return p;
    }
    return NULL;
}

size_t isync_redact_tail(const char *text, size_t len, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    if (slen < ISYNC_REDACT_MIN) return 0;
    /* the longest tail of text that is a proper prefix of the secret, 4 characters or more */
    size_t max = len < slen ? len : slen - 1;
    for (size_t n = max; n >= ISYNC_REDACT_MIN; n--) {
        if (memcmp(text + len - n, secret, n) == 0) return n;
    }
    return 0;
}

int isync_redact_append(isync_buf *out, const char *text, size_t len, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    const char *p = text, *end = text + len;
    if (slen >= ISYNC_REDACT_MIN) {
        const char *hit;
        while ((size_t)(end - p) >= slen && (hit = find(p, (size_t)(end - p), secret, slen))) {
            if (isync_buf_append(out, p, (size_t)(hit - p)) || isync_buf_append_str(out, FILTERED)) return -1;
            p = hit + slen;
        }
    }
    size_t tail = isync_redact_tail(p, (size_t)(end - p), secret);
    if (isync_buf_append(out, p, (size_t)(end - p) - tail)) return -1;
    return tail ? isync_buf_append_str(out, FILTERED) : 0;
}

void isync_redact_into(char *dst, size_t cap, const char *text, const char *secret)
{
    isync_buf b;
    isync_buf_init(&b);
    if (isync_redact_append(&b, text ? text : "", text ? strlen(text) : 0, secret) == 0) {
        isync_text_copy(dst, cap, b.data ? b.data : "", b.len);
    } else if (cap > 0) {
        /* out of memory: say nothing rather than risk quoting the secret */
        isync_text_copy(dst, cap, "(message withheld: out of memory)", 33);
    }
    if (b.data) memset(b.data, 0, b.cap);
    isync_buf_free(&b);
}

uint64_t isync_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

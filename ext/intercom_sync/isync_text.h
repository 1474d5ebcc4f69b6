/*
 * isync_text.c: strict UTF-8, and text from a server made safe to embed in our messages (cut
 * between characters, scrubbed, the access token redacted), and FNV-1a.
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_TEXT_H
#define ISYNC_TEXT_H

#ifndef ISYNC_CORE_H
#error "isync_text.h is one part of isync_core.h: include isync_core.h"
#endif

#include <stdarg.h>

/* 1 if s is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
int isync_utf8_valid(const char *s, size_t len);
/* Appends s to out, each byte that does not begin a valid character replaced by U+FFFD.
 * 0, or -1 when out of memory. */
int isync_utf8_scrub(const char *s, size_t len, isync_buf *out);
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

#endif /* ISYNC_TEXT_H */

/*
 * The sync engine's public face (isync_ops.c and the files README.md lists; its private header
 * is isync_engine.h): the sync of one user, as a state machine that does no I/O.
 *
 * It starts from a snapshot of the app's user and teams (JSON; see isync_snapshot.c),
 * asks for one HTTP request at a time and is fed each outcome, so the same engine runs over
 * libcurl in the gem and over canned responses in tests and fuzzers:
 *
 *     s = isync_sync_new(snapshot, len, dry_run, &e);
 *     while ((rc = isync_sync_next(s, &req, &e)) == 1) {
 *         doc = <perform req; decode; NULL and outcome filled on failure>;
 *         if (isync_sync_feed(s, doc, &outcome, &e)) break;       (doc ownership moves in)
 *     }
 *     isync_sync_result_doc(s) or isync_sync_result(s, &json);  (also after a failure: it holds
 *                                  the ids learned so far)
 *
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_SYNC_H
#define ISYNC_SYNC_H

#ifndef ISYNC_CORE_H
#error "isync_sync.h is one part of isync_core.h: include isync_core.h"
#endif

typedef struct isync_sync isync_sync;

typedef struct isync_sync_request {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *path;    /* escaped, valid until the next call on the engine */
    const char *body;    /* JSON text or NULL */
    size_t body_len;
    const char *step;    /* what the request is for, e.g. "find contact" */
} isync_sync_request;

isync_sync *isync_sync_new(const char *snapshot_json, size_t len, int dry_run, isync_error *e);
/* 1: *req is the next request; 0: finished; -1: failed (e filled). */
int isync_sync_next(isync_sync *s, isync_sync_request *req, isync_error *e);
/* Feeds the outcome of the last request: doc (a 2xx body, owned by the engine from here on) or
 * NULL with outcome describing the failure. 0 to go on, -1 when the sync failed (e filled). */
int isync_sync_feed(isync_sync *s, isync_json *doc, const isync_error *outcome, isync_error *e);
/* Repeats of the engine's requests that the executor made after transient failures (same
 * call, same body): the result counts them in "retries" and in "requests" (every request that
 * went out). Set before reading the result; the engine itself never retries. */
void isync_sync_count_retries(isync_sync *s, unsigned long retries);
/* The result document (built anew by each call, owned by the engine, valid until the next
 * call on it; NULL when memory ran out or a string was not UTF-8). */
const isync_json *isync_sync_result_doc(isync_sync *s);
/* The same document as JSON text, appended to out (the C tests and fuzzers read it). */
int isync_sync_result(isync_sync *s, isync_buf *out);
void isync_sync_free(isync_sync *s);

/* What one sync accepts from Intercom; past these it refuses (ISYNC_E_TOO_LARGE) or, where the
 * rest can be done without, cuts with a warning. README, "Security", explains each. */
#define ISYNC_MAX_COMPANIES 2000      /* per contact: Intercom allows 1,000; refused past it */
#define ISYNC_MAX_ATTRIBUTES 2000     /* definitions per model kept; the rest cut with a warning */
#define ISYNC_MAX_LEADS 1000          /* leads merged into one user; the rest left with a warning */

#endif /* ISYNC_SYNC_H */

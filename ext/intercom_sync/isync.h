/*
 * Private umbrella header of the Ruby binding. Include order matters: the extconf header first,
 * then system and Ruby headers, then the Ruby-free core.
 */
#ifndef ISYNC_H
#define ISYNC_H

#include "isync_extconf.h"

#include <ruby.h>
#include <ruby/encoding.h>
#include <ruby/thread.h>

#include "isync_core.h"

/* rb_isync.c */
extern VALUE mIntercomSync;
extern VALUE mIntercomSyncNative;

/* rb_isync_errors.c */
extern VALUE eIntercomSyncError;
extern VALUE eIntercomSyncEncodeError;
extern VALUE eIntercomSyncConfigurationError;
extern VALUE eIntercomSyncBusyError;
void isync_init_errors(void);
/* Raises the exception for e. Any occurrence of secret (the access token; may be NULL) in the
 * message is replaced by "[FILTERED]". */
NORETURN(void isync_raise(const isync_error *e, const char *secret));
/* The exception isync_raise would raise, without raising it. */
VALUE isync_make_error(const isync_error *e, const char *secret);

/* rb_isync_json.c */
void isync_init_json(void);
/* Converts a core document to Ruby (Hash, Array, String, Integer, Float, true, false, nil). */
VALUE isync_json_to_ruby(const isync_json *v);
/* Encodes obj into g; raises IntercomSync::EncodeError for what JSON cannot hold. */
void isync_ruby_to_json(VALUE obj, isync_json_gen *g);

/* rb_isync_client.c */
typedef struct rb_isync_client rb_isync_client;
void isync_init_client(void);
/* Marks the client busy for the caller's thread (raises BusyError if it is not free, and
 * rebuilds its handles after fork); isync_client_release frees it again. */
rb_isync_client *isync_client_acquire(VALUE client);
void isync_client_release(rb_isync_client *c);
const char *isync_client_secret(const rb_isync_client *c);
/* A number setting (an Integer, or with integer 0 any real Numeric) within [min, max], as a double;
 * raises ConfigurationError naming the setting and the value otherwise (NaN, infinities, wrong
 * type), so no out-of-range float reaches a C integer conversion. */
double isync_option_number(VALUE v, const char *name, double min, double max, int integer);
unsigned long isync_client_retries(const rb_isync_client *c);
/* The client's request loop, for its trace (rb_isync_trace.c); raises BusyError during a request. */
isync_exec *isync_client_exec(VALUE client);

/* rb_isync_trace.c (after isync_init_client) */
void isync_init_trace(void);

/* rb_isync_nogvl.c: runs one request through the core's loop (isync_exec.c: the client's retry
 * policy and rate-limit pacing, within an absolute deadline in ms since the epoch, 0 for none)
 * with the GVL released. Returns the decoded 2xx body (caller frees), or NULL with e describing the outcome.
 * Raises only for Ruby interrupts (Thread#kill, Timeout), after detaching the unfinished
 * transfer; the budget slot is given back by then whatever happens. */
isync_json *isync_client_call(rb_isync_client *c, const char *method, const char *path, const char *body,
                              size_t body_len, long long deadline_ms, isync_error *e);

/* rb_isync_contact.c */
void isync_init_contact(void);
/* A read page as Ruby sees it: [total_count | nil, next_cursor | nil, listed,
 * {external_id => contact JSON text}]. Allocates (may raise): the caller frees page in an ensure. */
VALUE isync_contact_page_to_ruby(const isync_contact_page *page);

/* rb_isync_memory.c */
void isync_init_memory(void);

/* rb_isync_sync.c */
void isync_init_sync(void);

#endif /* ISYNC_H */

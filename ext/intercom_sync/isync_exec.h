/*
 * isync_exec.c: one request with retries, rate-limit pacing and a deadline (issue 11).
 *
 * A resumable loop: isync_exec_start names the request, isync_exec_run drives it until it is
 * done or interrupted (isync_http_interrupt, from any thread). An interrupted run holds no
 * budget reservation; it can be resumed (call isync_exec_run again) or abandoned
 * (isync_exec_cancel). The binding runs it without the GVL; tests and fuzzers run it over io
 * functions of their own (clock, random source, sleep, transport).
 * One part of isync_core.h (include that).
 */
#ifndef ISYNC_EXEC_H
#define ISYNC_EXEC_H

#ifndef ISYNC_CORE_H
#error "isync_exec.h is one part of isync_core.h: include isync_core.h"
#endif

typedef struct isync_exec isync_exec;

/* A rate-limit budget kept outside the process, consulted next to the process's own before
 * each request (when pacing): the gem's is a record in Redis that every process of the app
 * shares (IntercomSync::SharedBudget), so N processes together stay inside one limit. The
 * request waits for the later of the two slots.
 *
 * The loop never calls it: it may need the GVL, and code run with the GVL may raise, which must
 * not unwind through the loop. Instead isync_exec_run returns ISYNC_RUN_SHARED_BUDGET with what
 * it needs in x->shared_request; the caller serves that (reports a finished reservation, makes
 * a new one and answers with isync_exec_shared_answer) and runs the loop again. A reservation
 * finished as the loop returns for another reason (the answer, a cancel) is in the request too:
 * serve it then. isync_exec_serve does it all with the functions below, for C drivers. */
typedef struct isync_shared_budget {
    /* Reserves a slot for the next request: the wait in ms (>= 0), or ISYNC_SHARED_UNUSABLE
     * when the record cannot be reached (the process's budget alone paces this request). */
    long (*reserve)(void *ctx, long long now_ms, unsigned int random);
    /* The reserved request is over: rl is its answer's window, or NULL (no answer, cancelled). */
    void (*done)(void *ctx, const isync_rate_limit *rl, long long now_ms);
    void *ctx;
} isync_shared_budget;

#define ISYNC_SHARED_UNUSABLE (-1L)

/* What the loop needs from the shared budget before it goes on (both may be set: report first). */
typedef struct isync_shared_request {
    int report;               /* a reservation is over: done(window if window.present, else NULL) */
    isync_rate_limit window;
    int reserve;              /* reserve a slot, then isync_exec_shared_answer */
    long long now_ms;         /* for both calls */
    unsigned int random;
} isync_shared_request;

typedef struct isync_exec_io {
    long long (*now_ms)(isync_exec *x);        /* a clock in ms */
    unsigned int (*random)(isync_exec *x);     /* for jitter */
    /* Waits up to ms (> 0); ISYNC_RUN_INTERRUPTED when woken early by an interrupt. */
    isync_run_state (*sleep)(isync_exec *x, long ms);
    /* Starts a request whose total time is capped at timeout_ms (0: no cap of the sync's). */
    int (*begin)(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                 long timeout_ms, isync_error *e);
    isync_run_state (*run)(isync_exec *x);     /* drives it until done or interrupted */
    /* Ends it: the decoded 2xx body, or NULL with e filled; *rl is the answer's X-RateLimit-*. */
    isync_json *(*finish)(isync_exec *x, isync_rate_limit *rl, isync_error *e);
    void (*cancel)(isync_exec *x);             /* drops an unfinished transfer */
} isync_exec_io;

/* The real ones: isync_now_ms, xorshift over random_state, and isync_http for sleep and transport. */
extern const isync_exec_io isync_exec_http_io;

typedef enum isync_exec_phase {
    ISYNC_EXEC_IDLE,     /* no request, or it is done */
    ISYNC_EXEC_ATTEMPT,  /* about to check the deadline and reserve a slot */
    ISYNC_EXEC_PACING,   /* waiting for the budget's slot (reserved) */
    ISYNC_EXEC_SENDING,  /* the transfer is running (reserved) */
    ISYNC_EXEC_BACKOFF   /* waiting before a retry */
} isync_exec_phase;

struct isync_exec {
    /* the owner's settings (isync_exec_init) */
    const isync_exec_io *io;
    isync_http *http;            /* the transport of isync_exec_http_io */
    void *ctx;                   /* free for io functions of the caller's own */
    isync_retry_policy retry;
    int pace;                    /* spread requests over the rate-limit window */
    isync_budget *budget;        /* required when pace is set */
    int shared;                  /* a shared budget paces too (the caller serves it; 0: none, the default) */
    const isync_shared_budget *shared_budget; /* how isync_exec_call serves it (C drivers) */
    isync_shared_request shared_request;      /* what the caller must serve before running again */
    unsigned int random_state;   /* xorshift, never 0 */
    unsigned long retries;       /* requests repeated after a transient failure or a 429 */
    unsigned long paced;         /* waits before a request to stay inside the budget */
    struct isync_trace *trace;   /* what each request did, when on (isync_trace.h); NULL: none */
    long answer_status;          /* HTTP status of the last answer, set by io->finish (0: none) */
    /* the request under way (isync_exec_start) */
    isync_exec_phase phase;
    const char *method, *path, *body;  /* the caller's; must outlive the request */
    size_t body_len;
    long long deadline_ms;       /* absolute, on io->now_ms's clock; 0: none */
    int retry_count;             /* retries made so far for this request */
    int reserved;                /* this request has a budget slot (released while suspended) */
    int shared_reserved;         /* ... and one in the shared budget (kept while suspended) */
    int shared_answered;         /* the attempt under way has the shared budget's answer: */
    long shared_wait;            /* a wait from shared_asked_at, or ISYNC_SHARED_UNUSABLE */
    long long shared_asked_at;
    int suspended;               /* the last run returned ISYNC_RUN_INTERRUPTED */
    long long wait_until;        /* the end of the pacing wait or backoff under way */
    isync_error last;            /* the failure before the current attempt, for TimeoutError */
};

void isync_exec_init(isync_exec *x, isync_http *http, const isync_retry_policy *retry, int pace,
                     isync_budget *budget, unsigned int seed);
void isync_exec_start(isync_exec *x, const char *method, const char *path, const char *body, size_t body_len,
                      long long deadline_ms);
/* ISYNC_RUN_DONE: *doc is the decoded 2xx body (caller frees), or NULL with e filled (the
 * deadline passing is ISYNC_E_TIMEOUT naming the last error). ISYNC_RUN_INTERRUPTED: resume or
 * cancel; no slot of the process's budget is held. ISYNC_RUN_SHARED_BUDGET: serve
 * x->shared_request, then resume (or cancel). */
isync_run_state isync_exec_run(isync_exec *x, isync_json **doc, isync_error *e);
/* The shared budget's answer to x->shared_request.reserve: a wait in ms, or ISYNC_SHARED_UNUSABLE. */
void isync_exec_shared_answer(isync_exec *x, long wait);
/* Serves x->shared_request with b's functions (NULL: the budget is unusable). */
void isync_exec_serve(isync_exec *x, const isync_shared_budget *b);
/* Abandons an interrupted request (drops its transfer); a no-op once it is done. A shared
 * reservation it held becomes a report in x->shared_request. */
void isync_exec_cancel(isync_exec *x);
/* Blocking start + run, resuming after interrupts: for C drivers. */
isync_json *isync_exec_call(isync_exec *x, const char *method, const char *path, const char *body,
                            size_t body_len, long long deadline_ms, isync_error *e);

#endif /* ISYNC_EXEC_H */

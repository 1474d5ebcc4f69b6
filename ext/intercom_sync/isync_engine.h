/*
 * The sync engine's private header: the parsed snapshot, the work queue and its OPS[] table,
 * and the state the steps share. Only isync_snapshot.c, isync_ops.c, isync_attrs.c,
 * isync_contact*.c, isync_companies.c, isync_leads.c and isync_result.c include it; the public
 * API (isync_sync_new/next/feed/result/free) is in isync_sync.h. See README.md beside it.
 */
#ifndef ISYNC_ENGINE_H
#define ISYNC_ENGINE_H

#include "isync_core.h"

enum { MODEL_CONTACT = 0, MODEL_COMPANY = 1, MODEL_COUNT = 2 };

/* Intercom's page sizes: the most it lists of a contact's companies, and of a search. */
enum { COMPANIES_PER_PAGE = 60, LEADS_PER_PAGE = 150 };
/* Merged-contact redirects (410 naming the canonical contact) followed before giving up. */
enum { MAX_MERGE_HOPS = 3 };
/* Snapshot options' defaults: the seed's 24-hour new-user window for lead merges, and the
 * pages of a contact's companies or of a lead search read before refusing to go on. */
enum { DEFAULT_LEAD_WINDOW = 86400, DEFAULT_MAX_PAGES = 50 };
/* Room for a dry run's "company-for-team-<team id>" placeholder (team ids are cut to fit). */
enum { PLACEHOLDER_SIZE = 128 };
extern const char *const isync_model_names[MODEL_COUNT];

/* ---------------------------------------------------------------------------------------- */
/* Containers (isync_snapshot.c) */

/* An ordered list of strings with a hash index: lookups are O(1) whatever a server lists. */
typedef struct strvec {
    char **items;
    size_t len, cap;
    isync_set index;  /* item -> position; keys point into items */
} strvec;

char *dup_str(const char *s);
int strvec_push(strvec *v, const char *s);
int strvec_has(const strvec *v, const char *s);
int strvec_add_unique(strvec *v, const char *s);
void strvec_free(strvec *v);

/* JSON value helpers for what servers answer */
const char *nonempty_str(const isync_json *v);
int has_nul(const isync_json *v);
const char *usable_id(const isync_json *v);
const char *unusable_why(const isync_json *v);
int get_int(const isync_json *v, long long *out);
const isync_json *array_at(const isync_json *a, size_t i);
size_t array_len(const isync_json *a);

/* ---------------------------------------------------------------------------------------- */
/* The snapshot, parsed once (isync_snapshot.c). Strings point into doc, which it owns. */

typedef struct member_team {
    const char *id;
    const char *stored_company_id;  /* NULL when the app has none */
} member_team;

typedef struct owned_team {
    const char *id;
    const char *stored_company_id;
    const char *stored_digest;
    const isync_json *fields[3];    /* COMPANY_FIELDS, as given (NULL when absent) */
    const isync_json *custom;       /* the company's custom attributes (object or NULL) */
} owned_team;

/* The company's own fields an upsert sends, in the order it sends them. */
#define COMPANY_FIELD_COUNT 3
extern const char *const isync_company_fields[COMPANY_FIELD_COUNT];

typedef struct has_int {
    int present;      /* given, not null nor "": a field the create reports as pushed */
    int known;        /* a number we can send */
    long long value;
} has_int;

typedef enum unknown_policy { POLICY_CREATE, POLICY_SKIP, POLICY_RAISE } unknown_policy;
/* Which users with no stored id are created before any lookup (config.create_first). */
typedef enum create_first { CREATE_FIRST_ALL, CREATE_FIRST_RECENT, CREATE_FIRST_NEVER } create_first;

typedef struct snapshot {
    isync_json *doc;
    const char *external_id;        /* never NULL once parsed */
    const char *intercom_id, *email, *name, *phone; /* NULL when absent or empty */
    const isync_json *name_value;   /* compared as JSON with the contact's */
    has_int signed_up_at, last_seen_at;
    long long now;
    int from_oauth, known_absent;
    const isync_json *custom;       /* the user's custom attributes (object or NULL) */
    const isync_json *prefetched;   /* the contact from a bulk page (object or NULL) */
    isync_json *contact_doc;        /* prefetched, when the snapshot held it as JSON text */
    const isync_json *known_attributes[MODEL_COUNT]; /* per model: {name: type} from the process cache */
    int knows_membership;           /* "teams" given: never read a missing list as "no teams" */
    member_team *members;
    owned_team *owned;
    size_t n_member, n_owned;
    isync_set owned_by_id;          /* owned team id -> index (first of duplicates wins) */
    unknown_policy policy;
    create_first create_first;
    long long lead_window;
    long max_pages;
} snapshot;

int snapshot_parse(snapshot *snap, const char *json, size_t len, isync_error *e);
void snapshot_free(snapshot *snap);
/* 1 when the user signed up inside the lead window (the seed's "created in the last 24 hours"). */
int snapshot_is_fresh(const snapshot *snap);
/* Whether a user with no stored id is created before any lookup (see isync_contact.c). */
int snapshot_creates_first(const snapshot *snap);
/* The custom attributes of the user (MODEL_CONTACT) or of owned team i. */
const isync_json *custom_of(const snapshot *snap, int model, size_t i);

/* ---------------------------------------------------------------------------------------- */
/* Attribute definitions (isync_attrs.c) */

typedef struct attr_def {
    char *name;
    char *type;       /* "string", "integer", ...; STANDARD_TYPE for Intercom's own fields */
    int from_server;  /* listed or created by Intercom (not only planned in a dry run) */
} attr_def;

#define STANDARD_TYPE "standard"

typedef struct attr_set {
    attr_def *items;
    size_t len, cap;
    isync_set index;  /* name -> position in items */
} attr_set;

attr_def *attr_find(attr_set *set, const char *name);
int attr_put(attr_set *set, const char *name, const char *type, int from_server);
void attr_set_free(attr_set *set);

/* ---------------------------------------------------------------------------------------- */
/* The work queue and the OPS[] table (isync_ops.c) */

typedef enum op_kind {
    OP_LIST_ATTRS,
    OP_PLAN_ATTRS,
    OP_CREATE_ATTR,
    OP_FIND,
    OP_GET_CONTACT,
    OP_FIND_EXTERNAL,
    OP_CREATE_CONTACT,
    OP_UNARCHIVE,
    OP_LIST_COMPANIES,
    OP_PLAN_COMPANIES,
    OP_UPSERT_OWNED,
    OP_UPSERT_MEMBER,
    OP_PLAN_MEMBERSHIP,
    OP_ATTACH,
    OP_DETACH,
    OP_PLAN_CONTACT,
    OP_UPDATE_CONTACT,
    OP_SEARCH_LEADS,
    OP_MERGE,
    OP_COUNT
} op_kind;

/* Why an op was queued, where it changes what its answer means. */
enum op_flags {
    OPF_NAMED_BY_CONFLICT = 1, /* GET_CONTACT: the contact a 409 named (adopt, or a ConflictError) */
    OPF_UNCHECKED = 2,         /* CREATE_CONTACT: made without a lookup (known absent) */
    OPF_AFTER_REUPSERT = 4,    /* ATTACH: the second try, after a stale company id was upserted */
    OPF_CREATE_FIRST = 8,      /* CREATE_CONTACT: made before the lookup it skips (create_first);
                                * FIND_EXTERNAL: that lookup, after the create conflicted (a 404
                                * hands over to the contact the 409 named, in arg) */
    OPF_NAMED_ARCHIVED = 16    /* FIND_EXTERNAL after a create-first: the 409 named an archived contact */
};

/* A queued step. Queue one with a compound literal naming only what it needs, e.g.
 * queue(s, QUEUE_BACK, (op){.kind = OP_ATTACH, .team = j}, e); the strings are copied. */
typedef struct op {
    op_kind kind;
    int model;        /* MODEL_* of the attribute steps */
    size_t team;      /* UPSERT_OWNED: index in snap.owned; UPSERT_MEMBER, ATTACH: in snap.members */
    long page;        /* LIST_COMPANIES, SEARCH_LEADS: the page to read, from 1 */
    unsigned flags;   /* enum op_flags */
    const char *arg;  /* an id, attribute name or cursor (the queue's own copy) */
    const char *arg2; /* attribute type (the queue's own copy) */
} op;

typedef enum queue_end { QUEUE_BACK, QUEUE_FRONT } queue_end;

/* What preparing a step gave. */
typedef enum step_result {
    STEP_FAILED = -1,
    STEP_PLANNED,     /* a planning step ran: no request */
    STEP_REQUEST,     /* a request is in s->path / s->body */
    STEP_RECORDED     /* a dry run recorded the write: its success handler runs without answer */
} step_result;

/* What a failure handler made of an error answer. */
typedef enum recovery { RECOVERY_FAILED = -1, NOT_RECOVERED, RECOVERED } recovery;


/* One row per step. build: plans (no method), or writes s->path and s->body for the request.
 * on_success: takes doc over (frees it or keeps it); doc is NULL after a recorded dry-run
 * write. on_failure: NULL when no error answer is expected to be survivable. */
typedef struct op_row {
    const char *step;   /* the step's name in results, logs and messages */
    const char *method; /* NULL for planning steps */
    int is_write;       /* a dry run records it instead of sending it */
    int has_body;
    int (*build)(isync_sync *s, const op *o, isync_error *e);
    int (*on_success)(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
    recovery (*on_failure)(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);
} op_row;

extern const op_row OPS[OP_COUNT];

/* Queues a copy of o (its strings copied too); 0, or -1 with e set. */
int queue(isync_sync *s, queue_end end, op o, isync_error *e);

struct isync_sync {
    snapshot snap;
    int dry_run;

    attr_set attrs[MODEL_COUNT];
    strvec skipped[MODEL_COUNT];          /* custom attributes left out (unknown with policy "skip") */

    op *ops;
    size_t nops, cap;
    op current;
    int has_current;

    isync_buf path, body;

    isync_json *contact;        /* the contact as Intercom last returned it */
    char *contact_id;
    int created;
    int hops;                   /* merged-contact redirects followed */
    strvec attached;            /* Intercom ids of attached companies */

    char **member_ids;          /* Intercom company id per member team, NULL when unknown */
    char **owned_ids;           /* per owned team */
    char **owned_digests;       /* digest of what was pushed, per owned team */
    int *owned_learned;         /* owned team ids or digests changed: report for local save */
    int *member_learned;

    strvec pushed, pulled, upserted, attached_now, detached_now, merged, warnings;
    strvec pending_fields;      /* fields of the PUT in flight */
    strvec leads;               /* leads found, to merge */
    isync_json *planned;        /* dry run: the planned writes, an array (isync_result.c) */
    isync_json *result;         /* the last result document built */
    char *pull_name, *pull_phone;
    int has_last_request;
    long long last_request_at;
    long requests;              /* the requests the engine asked for */
    unsigned long retries;      /* repeats of them the executor made (isync_sync_count_retries) */
};

/* ---------------------------------------------------------------------------------------- */
/* Shared helpers (isync_ops.c) */

int fail_nomem(isync_error *e);
int warn(isync_sync *s, isync_error *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes prefix + escaped segment + suffix into s->path, refusing a dot segment. */
int set_path(isync_sync *s, isync_error *e, const char *prefix, const char *segment, const char *suffix);
/* Copies the generator's document into s->body. */
int take_body(isync_sync *s, isync_json_gen *g, isync_error *e);
int gen_key_str(isync_json_gen *g, const char *key, const char *value);
/* A failure the engine cannot work around ends the sync, naming the step (name_step). */
int fatal(isync_sync *s, const isync_error *outcome, isync_error *e);
/* Prefixes e->message with the current step, once: the one place messages are re-prefixed. */
void name_step(isync_sync *s, isync_error *e);

/* Steps' functions, by file; the OPS[] table in isync_ops.c lists them. */
int attrs_gen_custom(isync_sync *s, isync_json_gen *g, int model, const isync_json *values,
                     const isync_json *compare_to, size_t *changed, isync_error *e);
int attrs_need_list(isync_sync *s, int model, int *need, isync_error *e);
int attrs_load_known(isync_sync *s, isync_error *e);
int build_list_attrs(isync_sync *s, const op *o, isync_error *e);
int plan_attributes(isync_sync *s, const op *o, isync_error *e);
int build_create_attr(isync_sync *s, const op *o, isync_error *e);
int on_list_attrs(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int on_create_attr(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
recovery create_attr_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);

int plan_find(isync_sync *s, const op *o, isync_error *e);
int build_get_contact(isync_sync *s, const op *o, isync_error *e);
int build_find_external(isync_sync *s, const op *o, isync_error *e);
int build_create_contact(isync_sync *s, const op *o, isync_error *e);
int build_unarchive(isync_sync *s, const op *o, isync_error *e);
int on_get_contact(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int on_find_external(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int on_create_contact(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
recovery get_contact_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);
recovery find_external_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);
recovery create_contact_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);
int set_contact(isync_sync *s, isync_json *doc, isync_error *e);
int adopt_contact(isync_sync *s, isync_json *doc, isync_error *e);

int plan_contact(isync_sync *s, const op *o, isync_error *e);
int plan_pulls(isync_sync *s, isync_error *e);
int build_update_contact(isync_sync *s, const op *o, isync_error *e);
int on_update_contact(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int push_pending_fields(isync_sync *s, isync_error *e);

int learn_attached(isync_sync *s, const isync_json *data, isync_error *e);
int build_list_companies(isync_sync *s, const op *o, isync_error *e);
int on_list_companies(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int plan_companies(isync_sync *s, const op *o, isync_error *e);
int build_upsert_owned(isync_sync *s, const op *o, isync_error *e);
int build_upsert_member(isync_sync *s, const op *o, isync_error *e);
int on_upsert_owned(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int on_upsert_member(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int plan_membership(isync_sync *s, const op *o, isync_error *e);
int build_attach(isync_sync *s, const op *o, isync_error *e);
int on_attach(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
recovery attach_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);
int build_detach(isync_sync *s, const op *o, isync_error *e);
int on_detach(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
recovery detach_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);

int build_search_leads(isync_sync *s, const op *o, isync_error *e);
int on_search_leads(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
int build_merge(isync_sync *s, const op *o, isync_error *e);
int on_merge(isync_sync *s, const op *o, isync_json *doc, isync_error *e);
recovery merge_failed(isync_sync *s, const op *o, const isync_error *outcome, isync_error *e);

/* isync_result.c: records a write a dry run planned instead of sending it. */
int result_add_planned(isync_sync *s, const op_row *row, isync_error *e);

/* 1 when outcome is an HTTP error with that status. */
int is_status(const isync_error *outcome, long status);
/* The path id of the contact: a placeholder in a dry run that has not created it yet. */
const char *contact_path_id(const isync_sync *s);

#endif

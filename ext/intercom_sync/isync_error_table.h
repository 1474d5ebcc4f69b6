/*
 * The error model's one table (isync_errors.def), as C: part of the Ruby-free core, included by
 * isync_core.h after the isync_error record it classifies. Implemented in isync_error.c.
 */
#ifndef ISYNC_ERROR_TABLE_H
#define ISYNC_ERROR_TABLE_H

/* The exception classes of isync_errors.def, the one table of the error model: which class an
 * error becomes and whether it is worth the same call again are both read from it. */
typedef enum isync_error_class {
    ISYNC_EC_NONE = -1, /* the root's parent */
#define ISYNC_ERROR_CLASS(id, name, parent, kind, status_min, status_max, codes, transient) ISYNC_EC_##id,
#include "isync_errors.def"
    ISYNC_EC_COUNT
} isync_error_class;

typedef struct isync_error_class_info {
    const char *name;          /* under IntercomSync */
    isync_error_class parent;  /* ISYNC_EC_NONE for the root (a StandardError) */
    isync_err_kind kind;       /* the core failure it stands for; ISYNC_OK: none */
    long status_min, status_max; /* the HTTP statuses it stands for (min > max: none) */
    const char *codes;         /* Intercom errors[0].code values, space separated */
    int transient;
} isync_error_class_info;

typedef struct isync_error_status_rule {
    long status_min, status_max;
    int transient;             /* decided against the class's */
} isync_error_status_rule;

extern const isync_error_class_info isync_error_classes[ISYNC_EC_COUNT];
extern const isync_error_status_rule isync_error_status_rules[];
extern const size_t isync_error_status_rule_count;

/* The class e becomes: by kind; for HTTP errors by Intercom's code first, then by the narrowest
 * status range. ISYNC_EC_ERROR when nothing more specific is known (interrupts, OOM). */
isync_error_class isync_error_classify(const isync_error *e);
/* The first code of a space-separated list (its length in *len), NULL at the end: for
 * (p = codes; (p = isync_error_next_code(p, &len)); p += len) */
const char *isync_error_next_code(const char *codes, size_t *len);
/* Whether an error of class c (with http_status, 0 for none) may go away on the same call. */
int isync_error_class_transient(isync_error_class c, long http_status);

#endif /* ISYNC_ERROR_TABLE_H */

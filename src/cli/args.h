#ifndef CELLPIPE_CLI_ARGS_H
#define CELLPIPE_CLI_ARGS_H
/*
 * A small option scanner for subcommands: `--name value`, `--name=value` and `--flag`.
 *   struct cp_args a; cp_args_init(&a, argc, argv);
 *   while (cp_args_next(&a)) { if (cp_args_is(&a, "--date")) date = cp_args_value(&a); ... }
 * Positional arguments are collected in a.pos / a.npos. Errors (an unknown option, a missing
 * value) are reported once on stderr and make cp_args_ok() false.
 */
#include <stddef.h>

struct cp_args {
    int argc, i;
    char **argv;
    const char *opt;      /* current option name, e.g. "--date" */
    const char *inline_v; /* value after '=' */
    int matched, ok;
    char *pos[64];
    size_t npos;
};

void cp_args_init(struct cp_args *a, int argc, char **argv);
/* Advance to the next option; 0 when none is left. */
int cp_args_next(struct cp_args *a);
int cp_args_is(struct cp_args *a, const char *name);
/* The option's value (consumes the next argument); NULL and an error when missing. */
const char *cp_args_value(struct cp_args *a);
/* After the loop: report an unmatched option. Nonzero when all went well. */
int cp_args_ok(struct cp_args *a, const char *usage);
/* A repeatable option (--set): its value appended to list (CP_ARGS_MAX_REPEAT entries).
 * 0, or -1 with a message when there are too many. */
#define CP_ARGS_MAX_REPEAT 64
int cp_args_push(struct cp_args *a, const char **list, size_t *n);
/* Parse a whole number option value; error message naming the option on failure. */
int cp_args_long(struct cp_args *a, const char *text, long lo, long hi, long *out);

/* The whole scan of a subcommand whose one option is `--tracking-uri URI` (default
 * $MLFLOW_TRACKING_URI): positional arguments in a. Nonzero when all went well. */
#define CP_ARGS_TRACKING_HELP                                                                      \
    "  --tracking-uri URI  the MLflow server (default $MLFLOW_TRACKING_URI)\n"
int cp_args_tracking(struct cp_args *a, int argc, char **argv, const char *usage, const char **uri);

#endif

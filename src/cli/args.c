#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

void cp_args_init(struct cp_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    a->argc = argc;
    a->argv = argv;
    a->i = 1; /* argv[0] is the subcommand */
    a->ok = 1;
    a->matched = 1;
}

static void unmatched(struct cp_args *a)
{
    if (a->opt && !a->matched && a->ok) {
        fprintf(stderr, "cellpipe %s: unknown option '%s'\n", a->argv[0], a->opt);
        a->ok = 0;
    }
}

int cp_args_next(struct cp_args *a)
{
    static char name[64];
    unmatched(a);
    while (a->i < a->argc) {
        char *s = a->argv[a->i++];
        if (strncmp(s, "--", 2) != 0 || strcmp(s, "--") == 0 || strlen(s) < 3) {
            if (a->npos < sizeof(a->pos) / sizeof(a->pos[0]))
                a->pos[a->npos++] = s;
            continue;
        }
        const char *eq = strchr(s, '=');
        size_t n = eq ? (size_t)(eq - s) : strlen(s);
        snprintf(name, sizeof(name), "%.*s", (int)n, s);
        a->opt = name;
        a->inline_v = eq ? eq + 1 : NULL;
        a->matched = 0;
        return 1;
    }
    a->opt = NULL;
    return 0;
}

int cp_args_is(struct cp_args *a, const char *name)
{
    if (a->opt && strcmp(a->opt, name) == 0) {
        a->matched = 1;
        return 1;
    }
    return 0;
}

const char *cp_args_value(struct cp_args *a)
{
    if (a->inline_v)
        return a->inline_v;
    if (a->i < a->argc)
        return a->argv[a->i++];
    if (a->ok)
        fprintf(stderr, "cellpipe %s: option '%s' needs a value\n", a->argv[0], a->opt);
    a->ok = 0;
    return NULL;
}

int cp_args_ok(struct cp_args *a, const char *usage)
{
    unmatched(a);
    if (!a->ok && usage)
        fprintf(stderr, "usage: %s\n", usage);
    return a->ok;
}

int cp_args_long(struct cp_args *a, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || *end || end == text || errno || v < lo || v > hi) {
        if (a->ok)
            fprintf(stderr,
                    "cellpipe %s: option '%s' expects a whole number from %ld to %ld, "
                    "got '%s'\n",
                    a->argv[0], a->opt ? a->opt : "?", lo, hi, text ? text : "");
        a->ok = 0;
        return -1;
    }
    *out = v;
    return 0;
}

int cp_args_push(struct cp_args *a, const char **list, size_t *n)
{
    const char *v = cp_args_value(a);
    if (!v)
        return 0;
    if (*n == CP_ARGS_MAX_REPEAT) {
        fprintf(stderr, "cellpipe %s: at most %d %s options\n", a->argv[0], CP_ARGS_MAX_REPEAT,
                a->opt);
        return -1;
    }
    list[(*n)++] = v;
    return 0;
}

int cp_args_tracking(struct cp_args *a, int argc, char **argv, const char *usage, const char **uri)
{
    *uri = getenv("MLFLOW_TRACKING_URI");
    cp_args_init(a, argc, argv);
    while (cp_args_next(a))
        if (cp_args_is(a, "--tracking-uri"))
            *uri = cp_args_value(a);
    return cp_args_ok(a, usage);
}

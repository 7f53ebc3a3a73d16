/*
 * cellpipe models list [--tracking-uri URI]
 * cellpipe models show NAME [--tracking-uri URI]
 *
 * The registered models of an MLflow server and their versions (docs/mlflow.md "Models and
 * the registry"). The URI defaults to $MLFLOW_TRACKING_URI, as for `cellpipe mlflow push`.
 * Exit 69 when the server is down, 65 when it has no model of that name, 78 without a URI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/mlflow.h"
#include "cli.h"

#define USAGE "models list|show NAME [--tracking-uri URI]"

static const char *str(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v && *v ? v : "-";
}

/* "champion=3 staging=4", or "-" */
static void print_aliases(const json_t *aliases)
{
    size_t i;
    json_t *a;
    if (json_array_size(aliases) == 0)
        fputs("-", stdout);
    json_array_foreach(aliases, i, a)
        printf("%s%s=%s", i ? " " : "", str(a, "alias"), str(a, "version"));
}

static long latest(const json_t *model)
{
    long best = 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(model, "latest_versions"), i, v)
    {
        long n = strtol(str(v, "version"), NULL, 10);
        best = n > best ? n : best;
    }
    return best;
}

static int list_models(const char *uri, struct cp_error *err)
{
    json_t *models;
    int rc = cp_mlflow_models_list(uri, &models, err);
    size_t i;
    json_t *m;
    if (rc == 0 && json_array_size(models) == 0)
        printf("no registered models\n");
    json_array_foreach(rc == 0 ? models : NULL, i, m)
    {
        printf("%s  latest version %ld  aliases ", str(m, "name"), latest(m));
        print_aliases(json_object_get(m, "aliases"));
        putchar('\n');
    }
    json_decref(models);
    return rc;
}

/* The aliases of one version, from the model's alias list. */
static void version_aliases(const json_t *model, const char *version)
{
    size_t i, n = 0;
    json_t *a;
    json_array_foreach(json_object_get(model, "aliases"), i, a)
    {
        if (strcmp(str(a, "version"), version) == 0)
            printf("%s%s", n++ ? "," : "", str(a, "alias"));
    }
    if (n == 0)
        fputs("-", stdout);
}

static int by_version_desc(const void *a, const void *b)
{
    long x = strtol(str(*(json_t *const *)a, "version"), NULL, 10);
    long y = strtol(str(*(json_t *const *)b, "version"), NULL, 10);
    return (y > x) - (y < x);
}

static void print_version(const json_t *model, const json_t *v)
{
    printf("version %s  run %s  aliases ", str(v, "version"), str(v, "run_id"));
    version_aliases(model, str(v, "version"));
    printf("\n  source %s\n", str(v, "source"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(v, "tags"), i, t)
    {
        const char *k = str(t, "key");
        if (strncmp(k, "cellpipe.", 9) == 0)
            printf("  %s: %s\n", k, str(t, "value"));
    }
}

static int show_model(const char *uri, const char *name, struct cp_error *err)
{
    json_t *model = NULL, *versions = NULL;
    int rc = cp_mlflow_models_show(uri, name, &model, &versions, err);
    size_t n = rc == 0 ? json_array_size(versions) : 0;
    json_t **sorted = n ? cp_calloc(n, sizeof *sorted) : NULL;
    if (n && !sorted)
        rc = cp_error_oom(err);
    if (rc == 0) {
        printf("registered model %s  versions %zu  aliases ", name, n);
        print_aliases(json_object_get(model, "aliases"));
        putchar('\n');
        for (size_t i = 0; i < n; i++)
            sorted[i] = json_array_get(versions, i);
        if (n)
            qsort(sorted, n, sizeof *sorted, by_version_desc);
        for (size_t i = 0; i < n; i++)
            print_version(model, sorted[i]);
    }
    cp_free(sorted);
    json_decref(model);
    json_decref(versions);
    return rc;
}

static int models_main(int argc, char **argv)
{
    const char *uri;
    struct cp_args a;
    if (!cp_args_tracking(&a, argc, argv, "cellpipe " USAGE, &uri))
        return CP_EUSAGE;
    int list = a.npos == 1 && strcmp(a.pos[0], "list") == 0;
    int show = a.npos == 2 && strcmp(a.pos[0], "show") == 0;
    if (!list && !show) {
        fprintf(stderr, "usage: cellpipe " USAGE "\n");
        return CP_EUSAGE;
    }
    struct cp_error err;
    cp_error_clear(&err);
    int rc = list ? list_models(uri, &err) : show_model(uri, a.pos[1], &err);
    fflush(stdout);
    return cp_cli_fail(&err, rc);
}

const struct cp_command cp_cmd_models = {"models", USAGE, CP_ARGS_TRACKING_HELP, models_main};

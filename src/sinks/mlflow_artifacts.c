/* The report files an MLflow run lists as artifacts (mlflow_internal.h). */
#include <dirent.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/timeutil.h"
#include "mlflow_internal.h"

static int submit_artifact(struct cp_mlflow_session *s, const char *rel, int after_publish,
                           struct cp_error *err)
{
    json_t *op = json_pack("{s:s, s:s, s:s}", "op", "artifact", "ref", "parent", "path", rel);
    if (op && after_publish && json_object_set_new(op, "after_publish", json_true()))
        json_decref(op), op = NULL;
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file directly under <root>/plots, in name order. */
static int plot_artifacts(struct cp_mlflow_session *s, const char *root, struct cp_error *err)
{
    char *dir = cp_path_join(root, "plots");
    DIR *d = dir ? opendir(dir) : NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = dir ? 0 : cp_error_oom(err);
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *rel = cp_path_join("plots", e->d_name), *full = cp_path_join(dir, e->d_name);
        int file = full && cp_fs_exists(full) && !cp_fs_is_dir(full);
        cp_free(full);
        if (!rel || cp_grow((void **)&names, &cap, n + 1, sizeof(*names)))
            rc = cp_error_oom(err);
        if (rc == 0 && file)
            names[n++] = rel, rel = NULL;
        cp_free(rel);
    }
    if (d)
        closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = submit_artifact(s, names[i], 1, err);
        cp_free(names[i]);
    }
    cp_free(names);
    cp_free(dir);
    return rc;
}

int mlf_artifacts(struct cp_mlflow_session *s, const struct cp_run *run, struct cp_error *err)
{
    static const char *const files[] = {"summary.pdf", "workbook.xlsx", NULL};
    int rc = 0;
    for (size_t i = 0; files[i] && rc == 0; i++) {
        char *p = cp_path_join(run->staging_dir, files[i]);
        if (!p)
            return cp_error_oom(err);
        if (cp_fs_exists(p))
            rc = submit_artifact(s, files[i], 1, err);
        cp_free(p);
    }
    if (rc == 0)
        rc = plot_artifacts(s, run->staging_dir, err);
    /* uploaded from the published folder, with manifest.json (written after this sink) */
    if (rc == 0)
        rc = submit_artifact(s, "manifest.json", 1, err);
    return rc;
}

/* --- the sink -------------------------------------------------------------------------- */

/*
 * A training run per trained model (docs/mlflow.md "Models and the registry"): for every
 * models/<name>/training.json the models sink wrote, a child run "model <name>" with the
 * params, the summary metrics, the per-fold metrics as steps (step = fold), the CSV artifacts
 * and the MLflow model at artifact path model/ (mlflow_pyfunc.c); then, when the model has a
 * register_as, one "register" op that the client executes (mlflow_registry.c): a new model
 * version and the alias decision. Everything is a journal op, so a server that is down loses
 * nothing and `cellpipe mlflow push` registers later.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/log.h"
#include "cellpipe/mlflow.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "mlflow_internal.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the folders under <root>/models that hold a training.json, sorted. */
static int model_names(const char *root, char ***out, size_t *n, struct cp_error *err)
{
    char *dir = cp_path_join(root, "models");
    DIR *d = dir ? opendir(dir) : NULL;
    size_t cap = 0;
    int rc = dir ? 0 : cp_error_oom(err);
    *out = NULL;
    *n = 0;
    for (struct dirent *e; d && rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        struct cp_strbuf p;
        cp_strbuf_init(&p);
        if (cp_strbuf_addf(&p, "%s/%s/training.json", dir, e->d_name))
            rc = cp_error_oom(err);
        else if (cp_fs_exists(p.buf)) {
            char *name = cp_strdup(e->d_name);
            if (!name || cp_grow((void **)out, &cap, *n + 1, sizeof(**out)))
                rc = cp_error_oom(err), cp_free(name);
            else
                (*out)[(*n)++] = name;
        }
        cp_strbuf_release(&p);
    }
    if (d)
        closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), cmp_str);
    cp_free(dir);
    return rc;
}

static int add_tag(json_t *tags, const char *key, const char *value)
{
    return value ? json_array_append_new(tags, json_pack("{s:s, s:s}", "key", key, "value", value))
                 : 0;
}

static int create_model_run(struct cp_mlflow_session *s, const struct cp_run *run, const char *ref,
                            const char *name, json_t *training, int64_t ts, struct cp_error *err)
{
    struct cp_strbuf rn;
    cp_strbuf_init(&rn);
    json_t *tags = json_array();
    const char *task = json_string_value(json_object_get(training, "task"));
    const char *reg = json_string_value(json_object_get(training, "register_as"));
    int bad = !tags || cp_strbuf_addf(&rn, "model %s", name) ||
              add_tag(tags, "cellpipe.model", name) ||
              add_tag(tags, "cellpipe.pipeline", run->cfg->name) ||
              add_tag(tags, "cellpipe.date", run->date) || add_tag(tags, "cellpipe.task", task) ||
              add_tag(tags, "cellpipe.register_as", reg);
    json_t *op =
        bad ? NULL
            : json_pack("{s:s, s:s, s:s, s:s, s:I, s:O}", "op", "create_run", "ref", ref, "parent",
                        "parent", "run_name", rn.buf, "start_time", (json_int_t)ts, "tags", tags);
    json_decref(tags);
    cp_strbuf_release(&rn);
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

/* A number, or a boolean as 0/1 (beats_baseline); anything else is not a metric. */
static int metric_value(const json_t *v, double *out)
{
    if (json_is_number(v))
        *out = json_number_value(v);
    else if (json_is_boolean(v))
        *out = json_is_true(v) ? 1.0 : 0.0;
    else if (json_is_null(v))
        *out = NAN;
    else
        return -1;
    return 0;
}

static void log_training(struct batch *b, json_t *training)
{
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(training, "params"), key, v)
    {
        if (json_is_string(v))
            mlf_batch_param(b, key, json_string_value(v));
    }
    double x;
    json_object_foreach(json_object_get(training, "metrics"), key, v)
    {
        if (metric_value(v, &x) == 0)
            mlf_batch_metric(b, key, x, 0);
    }
    size_t i;
    json_t *fold;
    json_array_foreach(json_object_get(training, "fold_metrics"), i, fold)
    {
        json_t *k = json_object_get(fold, "fold");
        long long step = json_is_integer(k) ? (long long)json_integer_value(k) : (long long)i;
        json_object_foreach(fold, key, v)
        {
            char name[CP_MLFLOW_MAX_KEY];
            if (strcmp(key, "fold") == 0 || metric_value(v, &x) < 0)
                continue;
            snprintf(name, sizeof name, "fold.%s", key);
            mlf_batch_metric(b, name, x, step);
        }
    }
}

/* An artifact op: the file <root>/<path>, stored in the run as dest. */
static int submit_file(struct cp_mlflow_session *s, const char *ref, const char *dir,
                       const char *file, const char *dest_dir, struct cp_error *err)
{
    struct cp_strbuf path, dest;
    cp_strbuf_init(&path);
    cp_strbuf_init(&dest);
    json_t *op = NULL;
    if (!cp_strbuf_addf(&path, "%s/%s", dir, file) &&
        !cp_strbuf_addf(&dest, "%s%s%s", dest_dir ? dest_dir : "", dest_dir ? "/" : "", file))
        op = json_pack("{s:s, s:s, s:s, s:s}", "op", "artifact", "ref", ref, "path", path.buf,
                       "dest", dest.buf);
    cp_strbuf_release(&path);
    cp_strbuf_release(&dest);
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

static int submit_artifacts(struct cp_mlflow_session *s, const char *ref, const char *dir,
                            json_t *training, struct cp_error *err)
{
    int rc = submit_file(s, ref, dir, "training.json", NULL, err);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(training, "artifacts"), i, v)
    {
        const char *f = json_string_value(v);
        if (rc == 0 && f && !strchr(f, '/'))
            rc = submit_file(s, ref, dir, f, NULL, err);
    }
    struct cp_strbuf model;
    cp_strbuf_init(&model);
    if (rc == 0 && cp_strbuf_addf(&model, "%s/model", dir))
        rc = cp_error_oom(err);
    for (size_t k = 0; rc == 0 && mlf_model_files[k]; k++)
        rc = submit_file(s, ref, model.buf, mlf_model_files[k], "model", err);
    cp_strbuf_release(&model);
    return rc;
}

/* The cells_sha256 of model.json, which the alias decision compares. */
static json_t *cells_sha(const char *root, const char *dir)
{
    struct cp_strbuf p;
    cp_strbuf_init(&p);
    json_t *m =
        cp_strbuf_addf(&p, "%s/%s/model.json", root, dir) ? NULL : json_load_file(p.buf, 0, NULL);
    cp_strbuf_release(&p);
    json_t *sha = json_incref(json_object_get(m, "cells_sha256"));
    json_decref(m);
    return sha ? sha : json_null();
}

static int submit_register(struct cp_mlflow_session *s, const struct cp_run *run, const char *ref,
                           const char *dir, json_t *training, struct cp_error *err)
{
    json_t *reg = json_object_get(training, "register_as");
    if (!json_is_string(reg) || !*json_string_value(reg))
        return 0;
    json_t *alias = json_object_get(training, "alias");
    json_t *op = json_pack(
        "{s:s, s:s, s:O, s:O, s:s, s:s, s:O*, s:O*, s:o}", "op", "register", "ref", ref, "name",
        reg, "alias", alias ? alias : json_null(), "model_dir", dir, "pipeline", run->cfg->name,
        "task", json_object_get(training, "task"), "compare", json_object_get(training, "compare"),
        "cells_sha256", cells_sha(run->staging_dir, dir));
    return op ? cp_mlflow_submit(s, op, err) : cp_error_oom(err);
}

static int model_run(struct cp_mlflow_session *s, const struct cp_run *run, const char *name,
                     int64_t ts, struct cp_error *err)
{
    struct cp_strbuf ref, dir, path;
    cp_strbuf_init(&ref);
    cp_strbuf_init(&dir);
    cp_strbuf_init(&path);
    json_t *training = NULL;
    json_error_t jerr;
    int rc = cp_strbuf_addf(&ref, "model/%s", name) || cp_strbuf_addf(&dir, "models/%s", name) ||
                     cp_strbuf_addf(&path, "%s/%s/training.json", run->staging_dir, dir.buf)
                 ? cp_error_oom(err)
                 : 0;
    if (rc == 0 && !(training = json_load_file(path.buf, 0, &jerr)))
        rc = cp_error_set(err, CP_EDATA, "%s:%d: %s", path.buf, jerr.line, jerr.text);
    if (rc == 0) {
        char *full = cp_path_join(run->staging_dir, dir.buf);
        rc = full ? mlf_model_folder(full, ts, err) : cp_error_oom(err);
        cp_free(full);
    }
    if (rc == 0)
        rc = create_model_run(s, run, ref.buf, name, training, ts, err);
    if (rc == 0) {
        struct batch b;
        mlf_batch_init(&b, s, ref.buf, ts, err);
        log_training(&b, training);
        mlf_batch_release(&b);
        rc = b.rc;
    }
    if (rc == 0)
        rc = submit_artifacts(s, ref.buf, dir.buf, training, err);
    if (rc == 0)
        rc = mlf_submit_end(s, ref.buf, "FINISHED", 0, err);
    if (rc == 0)
        rc = submit_register(s, run, ref.buf, dir.buf, training, err);
    json_decref(training);
    cp_strbuf_release(&ref);
    cp_strbuf_release(&dir);
    cp_strbuf_release(&path);
    return rc;
}

int mlf_models(struct cp_mlflow_session *s, const struct cp_run *run, int64_t ts,
               struct cp_error *err)
{
    char **names;
    size_t n;
    int rc = model_names(run->staging_dir, &names, &n, err);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = model_run(s, run, names[i], ts, err);
        cp_free(names[i]);
    }
    cp_free(names);
    return rc;
}

/*
 * The models sink: what the ml stage made, as files (docs/ml.md "Outputs"):
 *   results/models.csv, results/predictions.csv;
 *   models/<name>/model.json       the saved model (include/cellpipe/ml_model.h), trained models
 *   models/<name>/training.json    what the MLflow sink logs and registers (docs/mlflow.md)
 *   models/<name>/coefficients.csv, cv_predictions.csv (with each cell's fold), features.csv
 * An applied model (`use:`) gets models/<name>/features.csv only.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/fs.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/ml_tables.h"
#include "cellpipe/run.h"
#include "cellpipe/sink.h"
#include "cellpipe/table.h"

static int write_csv(const struct cp_run *run, struct cp_table *t, const char *rel,
                     struct cp_error *err)
{
    if (!t)
        return cp_error_oom(err);
    char *path = cp_run_path(run, rel);
    int rc = !path ? cp_error_oom(err)
             : cp_table_write_csv(t, path) < 0
                 ? cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path)
                 : 0;
    cp_free(path);
    cp_table_free(t);
    return rc;
}

static int write_json(const struct cp_run *run, json_t *o, const char *rel, struct cp_error *err)
{
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    char *path = cp_run_path(run, rel);
    int rc = 0;
    if (!text || !path)
        rc = cp_error_oom(err);
    else if (cp_fs_write_atomic(path, text, strlen(text)) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    free(text); /* jansson's allocation */
    cp_free(path);
    return rc;
}

static json_t *params_of(const struct cp_ml_result *r)
{
    const struct cp_model_config *m = r->cfg;
    char features[4096] = "";
    for (size_t j = 0, used = 0; j < r->model.p && used < sizeof features; j++)
        used += (size_t)snprintf(features + used, sizeof features - used, "%s%s", j ? "," : "",
                                 r->model.features[j]);
    char buf[6][64];
    snprintf(buf[0], sizeof buf[0], "%ld", m->early_cycles);
    snprintf(buf[1], sizeof buf[1], "%ld", m->folds);
    snprintf(buf[2], sizeof buf[2], "%ld", m->inner_folds);
    snprintf(buf[3], sizeof buf[3], "%ld", m->seed);
    snprintf(buf[4], sizeof buf[4], "%.17g", r->model.param);
    snprintf(buf[5], sizeof buf[5], "%.17g", r->model.l1_ratio);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "task", r->model.task,
                     "algorithm", r->model.algorithm, "target", r->model.target, "features",
                     features, "early_cycles", buf[0], "folds", buf[1], "inner_folds", buf[2],
                     "seed", buf[3], "param", buf[4], "l1_ratio", buf[5]);
}

static json_t *training_json(const struct cp_ml_result *r)
{
    double value;
    int lower;
    const char *metric = cp_ml_compare_metric(r, &value, &lower);
    const struct cp_model_config *m = r->cfg;
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:O, s:O, s:{s:s, s:b, s:f}, s:[s, s, s]}", "name",
                  m->name, "task", r->model.task, "register_as",
                  m->register_as ? json_string(m->register_as) : json_null(), "alias",
                  m->register_as && m->alias ? json_string(m->alias) : json_null(), "params",
                  params_of(r), "metrics", r->model.metrics, "fold_metrics", r->model.folds,
                  "compare", "metric", metric, "lower_is_better", lower, "value", value,
                  "artifacts", "coefficients.csv", "cv_predictions.csv", "features.csv");
    return o;
}

/* Trained: everything; applied: the features the predictions came from. */
static int write_model(const struct cp_run *run, const struct cp_ml_result *r, struct cp_error *err)
{
    char rel[512];
    snprintf(rel, sizeof rel, "models/%s", r->cfg->name);
    char *dir = cp_run_path(run, rel);
    int rc = !dir                    ? cp_error_oom(err)
             : cp_fs_mkdirs(dir) < 0 ? cp_error_errno(err, CP_ECANTCREAT, "cannot create '%s'", dir)
                                     : 0;
    cp_free(dir);
    const char *name = r->cfg->name;
#define REL(file) (snprintf(rel, sizeof rel, "models/%s/%s", name, file), rel)
    if (rc == 0)
        rc = write_csv(run, cp_ml_features_table(run, r), REL("features.csv"), err);
    if (rc < 0 || !r->have_cv)
        return rc;
    if (rc == 0)
        rc = write_json(run, cp_ml_saved_to_json(&r->model), REL("model.json"), err);
    if (rc == 0)
        rc = write_json(run, training_json(r), REL("training.json"), err);
    if (rc == 0)
        rc = write_csv(run, cp_ml_coefficients_table(r), REL("coefficients.csv"), err);
    if (rc == 0)
        rc = write_csv(run, cp_ml_cv_table(run, r), REL("cv_predictions.csv"), err);
#undef REL
    return rc;
}

static int models_enabled(const struct cp_run *run)
{
    return run->ml && run->ml->n > 0;
}

static int models_write(struct cp_run *run, struct cp_error *err)
{
    int rc = write_csv(run, cp_ml_models_table(run), "results/models.csv", err);
    if (rc == 0)
        rc = write_csv(run, cp_ml_predictions_table(run), "results/predictions.csv", err);
    for (size_t k = 0; rc == 0 && k < run->ml->n; k++)
        if (!run->ml->m[k].skipped)
            rc = write_model(run, &run->ml->m[k], err);
    return rc;
}

const struct cp_sink_ops cp_sink_models = {
    .name = "models", .phase = CP_SINK_STAGED, .enabled = models_enabled, .write = models_write};

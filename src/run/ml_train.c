/*
 * Training one `models:` entry (include/cellpipe/ml_run.h, docs/ml.md "The models stage"):
 * the cells with every feature, a known target and a match of `train_on`, nested
 * cross-validation, the final model and its interval. Too few cells, or data the method
 * cannot use, leaves the model untrained with the reason (the report says so) rather than
 * failing the night's report.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/hash.h"
#include "cellpipe/log.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "ml_run_internal.h"

static enum cp_ml_algo algo_of(const struct cp_model_config *m)
{
    switch (m->algorithm) {
    case CP_ALGO_RIDGE:
        return CP_ML_RIDGE;
    case CP_ALGO_LOGISTIC:
        return CP_ML_LOGISTIC;
    case CP_ALGO_ELASTIC_NET:
        return CP_ML_ENET;
    default:
        return m->task == CP_TASK_CLASSIFICATION ? CP_ML_LOGISTIC : CP_ML_ENET;
    }
}

/* A cell matches `train_on` when, for every filter, its column's text is one of the values. */
static int train_on_matches(const struct cp_model_config *m, const struct cp_table *cells,
                            size_t row, struct cp_strbuf *sb)
{
    for (size_t k = 0; k < m->ntrain_on; k++) {
        int col = cp_table_find(cells, m->train_on[k].column);
        int hit = 0;
        cp_strbuf_reset(sb);
        if (col >= 0 && cp_table_format_cell(cells, col, row, sb) == 0)
            for (size_t v = 0; !hit && v < m->train_on[k].values.n; v++)
                hit = strcmp(sb->buf ? sb->buf : "", m->train_on[k].values.v[v]) == 0;
        if (!hit)
            return 0;
    }
    return 1;
}

static int set_identity(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err)
{
    const struct cp_model_config *m = r->cfg;
    struct cp_ml_saved *s = &r->model;
    s->name = cp_strdup(m->name);
    s->task = cp_strdup(m->task == CP_TASK_CLASSIFICATION ? "classification" : "regression");
    s->algorithm = cp_strdup(cp_ml_algo_name(algo_of(m)));
    s->target = cp_strdup(m->target);
    s->eol_threshold = run->cfg->fits.threshold;
    s->early_cycles = m->early_cycles;
    r->source = cp_strdup("trained");
    if (!s->name || !s->task || !s->algorithm || !s->target || !r->source)
        return cp_error_oom(err);
    if (m->features.n == 0)
        return ml_catalogue_names(run, m->early_cycles, &s->features, &s->p, err);
    s->p = m->features.n;
    if (!(s->features = cp_calloc(s->p, sizeof(char *))))
        return cp_error_oom(err);
    for (size_t j = 0; j < s->p; j++)
        if (!(s->features[j] = cp_strdup(m->features.v[j])))
            return cp_error_oom(err);
    return 0;
}

static int skip(struct cp_ml_result *r, const char *why)
{
    cp_log(CP_LOG_WARN, "model=%s not trained: %s", r->cfg->name, why);
    return (r->skipped = cp_strdup(why)) ? 0 : -1;
}

/* The training rows, or a reason why there are too few. */
static int pick_training(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    size_t counts[2] = {0, 0};
    r->train_row = cp_calloc(r->ncells + 1, sizeof(size_t));
    if (!r->train_row)
        return cp_error_oom(err);
    for (size_t i = 0; i < r->ncells; i++) {
        if (!r->x[i] || !isfinite(r->observed[i]) ||
            !train_on_matches(r->cfg, run->data.cells, i, &sb))
            continue;
        r->in_train[i] = 1;
        r->train_row[r->ntrain++] = i;
        counts[r->observed[i] != 0] += 1;
    }
    cp_strbuf_release(&sb);
    char why[256] = "";
    size_t need = 2 * (size_t)r->cfg->folds;
    if (r->ntrain < need)
        snprintf(why, sizeof why,
                 "%zu cells have every feature and a known target, %zu (2 x folds) needed",
                 r->ntrain, need);
    else if (r->cfg->task == CP_TASK_CLASSIFICATION &&
             (counts[0] < (size_t)r->cfg->folds || counts[1] < (size_t)r->cfg->folds))
        snprintf(why, sizeof why, "classes of %zu and %zu cells, each needs %ld (folds)", counts[0],
                 counts[1], r->cfg->folds);
    return why[0] && skip(r, why) < 0 ? cp_error_oom(err) : 0;
}

/* Linear-interpolated quantile (type 7) of sorted v[0..n). */
static double quantile(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    return lo + 1 < n ? v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]) : v[n - 1];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int set_interval(struct cp_ml_result *r, const double *y)
{
    struct cp_ml_saved *s = &r->model;
    s->interval_level = 0.9;
    s->interval_lo = s->interval_hi = NAN;
    if (strcmp(s->task, "regression") != 0)
        return 0;
    double *res = cp_malloc(r->ntrain * sizeof(*res));
    if (!res)
        return -1;
    for (size_t k = 0; k < r->ntrain; k++)
        res[k] = y[k] - r->cv.pred[k];
    qsort(res, r->ntrain, sizeof(*res), cmp_double);
    s->interval_lo = quantile(res, r->ntrain, 0.05);
    s->interval_hi = quantile(res, r->ntrain, 0.95);
    cp_free(res);
    return 0;
}

static int set_model(struct cp_ml_result *r, const struct cp_run *run, const double *y)
{
    struct cp_ml_saved *s = &r->model;
    const struct cp_ml_model *f = &r->cv.final;
    size_t p = s->p;
    s->mean = cp_malloc(p * sizeof(double));
    s->sd = cp_malloc(p * sizeof(double));
    s->coef = cp_malloc(p * sizeof(double));
    s->train_min = cp_malloc(p * sizeof(double));
    s->train_max = cp_malloc(p * sizeof(double));
    if (!s->mean || !s->sd || !s->coef || !s->train_min || !s->train_max)
        return -1;
    memcpy(s->mean, f->mean, p * sizeof(double));
    memcpy(s->sd, f->sd, p * sizeof(double));
    memcpy(s->coef, f->coef, p * sizeof(double));
    s->intercept = f->intercept;
    s->param = f->param;
    s->l1_ratio = f->l1_ratio;
    s->train_cells = (long)r->ntrain;
    for (size_t j = 0; j < p; j++) {
        s->train_min[j] = INFINITY;
        s->train_max[j] = -INFINITY;
        for (size_t k = 0; k < r->ntrain; k++) {
            double v = r->x[r->train_row[k]][j];
            s->train_min[j] = fmin(s->train_min[j], v);
            s->train_max[j] = fmax(s->train_max[j], v);
        }
    }
    /* the training cells' ids, one per line, in cell-id order */
    struct cp_sha256 h;
    char **id = cp_table_str(run->data.cells, "cell_id");
    if (cp_sha256_init(&h) < 0)
        return -1;
    for (size_t k = 0; k < r->ntrain; k++) {
        const char *c = id[r->train_row[k]] ? id[r->train_row[k]] : "";
        cp_sha256_update(&h, c, strlen(c));
        cp_sha256_update(&h, "\n", 1);
    }
    int rc = cp_sha256_final(&h, s->cells_sha256);
    cp_sha256_release(&h);
    return rc < 0 || set_interval(r, y) < 0 ? -1 : 0;
}

static int put(json_t *o, const char *key, double v)
{
    return json_object_set_new(o, key, isfinite(v) ? json_real(v) : json_null());
}

/* cv_* and baseline_cv_* of a metrics struct into o. */
static int put_metrics(json_t *o, const char *prefix, const struct cp_ml_metrics *m, int regression)
{
    char k[64];
    int rc = 0;
#define PUT(name, v) (snprintf(k, sizeof k, "%s" name, prefix), rc |= put(o, k, v))
    if (regression) {
        PUT("cv_rmse", m->rmse);
        PUT("cv_mape", m->mape);
    } else {
        PUT("cv_accuracy", m->accuracy);
        PUT("cv_balanced_accuracy", m->balanced_accuracy);
        PUT("cv_auc", m->auc);
    }
#undef PUT
    return rc;
}

static int set_metrics(struct cp_ml_result *r)
{
    int reg = strcmp(r->model.task, "regression") == 0, rc = 0;
    json_t *m = json_object(), *folds = json_array();
    r->model.metrics = m;
    r->model.folds = folds;
    if (!m || !folds)
        return -1;
    rc |= put_metrics(m, "", &r->cv.metrics, reg);
    rc |= put_metrics(m, "baseline_", &r->cv.baseline, reg);
    rc |= json_object_set_new(m, "cv_cells", json_integer((json_int_t)r->cv.n));
    rc |= json_object_set_new(m, "beats_baseline", json_boolean(r->cv.beats_baseline));
    for (int f = 0; f < r->cv.folds; f++) {
        json_t *o =
            json_pack("{s:i, s:I}", "fold", f, "n", (json_int_t)r->cv.per_fold[f].metrics.n);
        rc |= !o || put_metrics(o, "", &r->cv.per_fold[f].metrics, reg) ||
              put_metrics(o, "baseline_", &r->cv.per_fold[f].baseline, reg) ||
              json_array_append_new(folds, o);
    }
    return rc ? -1 : 0;
}

/* Looser than the algorithm layer's default (1e-12, for the comparison with scikit-learn):
 * collinear early-life features at the smallest alphas converge slowly, and 1e-9 of the
 * largest coefficient is far below what a cycle-life prediction can resolve. */
static const struct cp_ml_solver stage_solver = {1e-9, 200000};

static int cross_validate(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err)
{
    size_t n = r->ntrain, p = r->model.p;
    double *X = cp_malloc((n * p + 1) * sizeof(double)), *y = cp_malloc((n + 1) * sizeof(double));
    const char **rows = cp_calloc(n + 1, sizeof(char *));
    char **id = cp_table_str(run->data.cells, "cell_id");
    if (!X || !y || !rows) {
        cp_free(X), cp_free(y), cp_free(rows);
        return cp_error_oom(err);
    }
    int reg = r->cfg->task == CP_TASK_REGRESSION;
    for (size_t k = 0; k < n; k++) {
        size_t i = r->train_row[k];
        memcpy(X + k * p, r->x[i], p * sizeof(double));
        y[k] = reg ? log10(r->observed[i]) : r->observed[i];
        rows[k] = id ? id[i] : NULL;
    }
    struct cp_ml_cv_config cc = {.algo = algo_of(r->cfg),
                                 .folds = (int)r->cfg->folds,
                                 .inner_folds = (int)r->cfg->inner_folds,
                                 .seed = (uint64_t)r->cfg->seed,
                                 .feature_names = (const char *const *)r->model.features,
                                 .row_names = rows,
                                 .solver = &stage_solver};
    struct cp_error cverr = {0};
    int rc = cp_ml_cv_run(&cc, X, y, n, p, &r->cv, &cverr);
    if (rc == -CP_EDATA)
        rc = skip(r, cverr.msg) < 0 ? cp_error_oom(err) : 0;
    else if (rc < 0)
        rc = cp_error_set(err, -rc, "model '%s': %s", r->cfg->name, cverr.msg);
    else if (set_model(r, run, y) < 0 || set_metrics(r) < 0)
        rc = cp_error_oom(err);
    else {
        r->have_cv = 1;
        double v;
        int lower;
        const char *metric = cp_ml_compare_metric(r, &v, &lower);
        cp_log(CP_LOG_INFO, "model=%s trained cells=%zu features=%zu %s=%.4g baseline=%.4g%s",
               r->cfg->name, n, p, metric, v,
               lower ? r->cv.baseline.rmse : r->cv.baseline.balanced_accuracy,
               r->cv.beats_baseline ? "" : " (does not beat the baseline)");
    }
    cp_free(X), cp_free(y), cp_free(rows);
    return rc;
}

int ml_train(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err)
{
    r->trained = 1;
    int rc = set_identity(r, run, err);
    if (rc == 0)
        rc = ml_cells_prepare(r, run, err);
    if (rc == 0)
        rc = pick_training(r, run, err);
    if (rc == 0 && !r->skipped)
        rc = cross_validate(r, run, err);
    if (rc == 0 && !r->skipped)
        rc = ml_predict(r, err);
    return rc;
}

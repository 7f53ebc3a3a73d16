/* The ml stage's results as tables: see include/cellpipe/ml_tables.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/config.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/ml_tables.h"
#include "cellpipe/run.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"

struct tcol {
    const char *name;
    enum cp_type type;
};

/* A new table with these columns; col[k] receives each index. */
static struct cp_table *table_with(const char *name, const struct tcol *c, size_t n, int *col)
{
    struct cp_table *t = cp_table_new(name);
    for (size_t k = 0; t && k < n; k++)
        if ((col[k] = cp_table_add_column(t, c[k].name, c[k].type)) < 0) {
            cp_table_free(t);
            return NULL;
        }
    return t;
}

static int set_s(struct cp_table *t, int col, size_t row, const char *s)
{
    return s ? cp_table_set_str(t, col, row, s) : 0;
}

static int regression(const struct cp_ml_result *r)
{
    return r->model.task && strcmp(r->model.task, "regression") == 0;
}

/* ---- models ---------------------------------------------------------------------------- */

static const struct tcol model_cols[] = {
    {"model", CP_STR},
    {"task", CP_STR},
    {"algorithm", CP_STR},
    {"status", CP_STR},
    {"source", CP_STR},
    {"note", CP_STR},
    {"target", CP_STR},
    {"features", CP_STR},
    {"early_cycles", CP_I64},
    {"train_cells", CP_I64},
    {"predicted_cells", CP_I64},
    {"param", CP_F64},
    {"l1_ratio", CP_F64},
    {"cv_rmse", CP_F64},
    {"cv_mape", CP_F64},
    {"cv_accuracy", CP_F64},
    {"cv_balanced_accuracy", CP_F64},
    {"cv_auc", CP_F64},
    {"baseline_cv_rmse", CP_F64},
    {"baseline_cv_mape", CP_F64},
    {"baseline_cv_accuracy", CP_F64},
    {"baseline_cv_balanced_accuracy", CP_F64},
    {"baseline_cv_auc", CP_F64},
    {"beats_baseline", CP_I64},
    {"folds", CP_I64},
    {"inner_folds", CP_I64},
    {"seed", CP_I64},
    {"register_as", CP_STR},
    {"alias", CP_STR},
    {"applied_cells", CP_I64},
    {"applied_rmse", CP_F64},
    {"applied_mape", CP_F64},
    {"applied_balanced_accuracy", CP_F64},
};
#define NMODEL (sizeof(model_cols) / sizeof(model_cols[0]))

static int model_row(struct cp_table *t, const int *c, size_t row, const struct cp_ml_result *r)
{
    const struct cp_model_config *m = r->cfg;
    const char *status = r->skipped ? "skipped" : r->trained ? "trained" : "applied";
    struct cp_strbuf sb = CP_STRBUF_INIT;
    for (size_t j = 0; j < r->model.p; j++)
        if (cp_strbuf_addf(&sb, "%s%s", j ? ";" : "", r->model.features[j]) < 0)
            return -1;
    int rc = set_s(t, c[0], row, m->name) | set_s(t, c[1], row, r->model.task) |
             set_s(t, c[2], row, r->model.algorithm) | set_s(t, c[3], row, status) |
             set_s(t, c[4], row, r->source) | set_s(t, c[5], row, r->skipped) |
             set_s(t, c[6], row, r->model.target) | set_s(t, c[7], row, sb.buf);
    cp_strbuf_release(&sb);
    cp_table_set_i64(t, c[8], row, r->model.early_cycles);
    long predicted = 0;
    for (size_t i = 0; r->pred && i < r->ncells; i++)
        predicted += isfinite(r->pred[i]);
    cp_table_set_i64(t, c[9], row, r->trained ? (long)r->ntrain : r->model.train_cells);
    cp_table_set_i64(t, c[10], row, predicted);
    cp_table_set_f64(t, c[11], row, r->model.p ? r->model.param : NAN);
    cp_table_set_f64(t, c[12], row, r->model.p ? r->model.l1_ratio : NAN);
    if (r->have_cv) {
        const struct cp_ml_metrics *mm[2] = {&r->cv.metrics, &r->cv.baseline};
        for (int k = 0; k < 2; k++) {
            cp_table_set_f64(t, c[13 + 5 * k], row, mm[k]->rmse);
            cp_table_set_f64(t, c[14 + 5 * k], row, mm[k]->mape);
            cp_table_set_f64(t, c[15 + 5 * k], row, mm[k]->accuracy);
            cp_table_set_f64(t, c[16 + 5 * k], row, mm[k]->balanced_accuracy);
            cp_table_set_f64(t, c[17 + 5 * k], row, mm[k]->auc);
        }
        cp_table_set_i64(t, c[23], row, r->cv.beats_baseline);
    }
    if (r->trained) {
        cp_table_set_i64(t, c[24], row, m->folds);
        cp_table_set_i64(t, c[25], row, m->inner_folds);
        cp_table_set_i64(t, c[26], row, m->seed);
    }
    rc |= set_s(t, c[27], row, m->register_as) |
          set_s(t, c[28], row, m->register_as ? m->alias : NULL);
    if (r->have_applied) {
        cp_table_set_i64(t, c[29], row, (int64_t)r->applied.n);
        cp_table_set_f64(t, c[30], row, r->applied.rmse);
        cp_table_set_f64(t, c[31], row, r->applied.mape);
        cp_table_set_f64(t, c[32], row, r->applied.balanced_accuracy);
    }
    return rc ? -1 : 0;
}

struct cp_table *cp_ml_models_table(const struct cp_run *run)
{
    int c[NMODEL];
    struct cp_table *t = table_with("models", model_cols, NMODEL, c);
    for (size_t k = 0; t && run->ml && k < run->ml->n; k++) {
        long row = cp_table_add_row(t);
        if (row < 0 || model_row(t, c, (size_t)row, &run->ml->m[k]) < 0) {
            cp_table_free(t);
            return NULL;
        }
    }
    return t;
}

/* ---- predictions ----------------------------------------------------------------------- */

static const struct tcol pred_cols[] = {
    {"model", CP_STR},
    {"cell_id", CP_STR},
    {"predicted_cycle_life", CP_F64},
    {"predicted_cycle_life_lo", CP_F64},
    {"predicted_cycle_life_hi", CP_F64},
    {"probability", CP_F64},
    {"predicted_class", CP_I64},
    {"observed", CP_F64},
    {"in_training", CP_I64},
    {"out_of_range", CP_I64},
    {"note", CP_STR},
};
#define NPRED (sizeof(pred_cols) / sizeof(pred_cols[0]))

static int pred_row(struct cp_table *t, const int *c, size_t row, const struct cp_ml_result *r,
                    size_t i, const char *id)
{
    int rc = set_s(t, c[0], row, r->cfg->name) | set_s(t, c[1], row, id);
    if (r->pred && isfinite(r->pred[i])) {
        if (regression(r)) {
            cp_table_set_f64(t, c[2], row, r->pred[i]);
            cp_table_set_f64(t, c[3], row, r->lo[i]);
            cp_table_set_f64(t, c[4], row, r->hi[i]);
        } else {
            cp_table_set_f64(t, c[5], row, r->pred[i]);
            cp_table_set_i64(t, c[6], row, r->pred[i] > 0.5);
        }
        cp_table_set_i64(t, c[9], row, r->out_of_range[i]);
    }
    cp_table_set_f64(t, c[7], row, r->observed ? r->observed[i] : NAN);
    cp_table_set_i64(t, c[8], row, r->in_train ? r->in_train[i] : 0);
    rc |= set_s(t, c[10], row, r->note ? r->note[i] : r->skipped);
    return rc ? -1 : 0;
}

struct cp_table *cp_ml_predictions_table(const struct cp_run *run)
{
    int c[NPRED];
    struct cp_table *t = table_with("predictions", pred_cols, NPRED, c);
    char **id = cp_table_str(run->data.cells, "cell_id");
    for (size_t k = 0; t && run->ml && k < run->ml->n; k++) {
        const struct cp_ml_result *r = &run->ml->m[k];
        for (size_t i = 0; i < r->ncells; i++) {
            long row = cp_table_add_row(t);
            if (row < 0 || pred_row(t, c, (size_t)row, r, i, id ? id[i] : NULL) < 0) {
                cp_table_free(t);
                return NULL;
            }
        }
    }
    return t;
}

/* ---- one model's tables ---------------------------------------------------------------- */

static const struct tcol coef_cols[] = {
    {"feature", CP_STR},  {"coefficient", CP_F64}, {"mean", CP_F64},      {"sd", CP_F64},
    {"per_unit", CP_F64}, {"train_min", CP_F64},   {"train_max", CP_F64},
};

/* The intercept first; `coefficient` is on the standardised scale, per_unit = coefficient / sd. */
struct cp_table *cp_ml_coefficients_table(const struct cp_ml_result *r)
{
    int c[7];
    struct cp_table *t = table_with("coefficients", coef_cols, 7, c);
    const struct cp_ml_saved *s = &r->model;
    long row = t ? cp_table_add_row(t) : -1;
    if (row < 0 || cp_table_set_str(t, c[0], 0, "(intercept)") < 0)
        goto fail;
    cp_table_set_f64(t, c[1], 0, s->intercept);
    for (size_t j = 0; s->coef && j < s->p; j++) {
        if ((row = cp_table_add_row(t)) < 0 ||
            cp_table_set_str(t, c[0], (size_t)row, s->features[j]) < 0)
            goto fail;
        double v[] = {s->coef[j],      s->mean[j],     s->sd[j], s->coef[j] / s->sd[j],
                      s->train_min[j], s->train_max[j]};
        for (int k = 0; k < 6; k++)
            cp_table_set_f64(t, c[1 + k], (size_t)row, v[k]);
    }
    return t;
fail:
    cp_table_free(t);
    return NULL;
}

static const struct tcol cv_cols[] = {
    {"cell_id", CP_STR},   {"fold", CP_I64},     {"observed", CP_F64},
    {"predicted", CP_F64}, {"baseline", CP_F64},
};

/* Out-of-fold predictions: cycles for a regression (10^ of the log10 fit), probabilities for a
 * classification, with the outer fold each cell was tested in. */
struct cp_table *cp_ml_cv_table(const struct cp_run *run, const struct cp_ml_result *r)
{
    int c[5];
    struct cp_table *t = table_with("cv_predictions", cv_cols, 5, c);
    char **id = cp_table_str(run->data.cells, "cell_id");
    int reg = regression(r);
    for (size_t k = 0; t && r->have_cv && k < r->ntrain; k++) {
        size_t i = r->train_row[k];
        long row = cp_table_add_row(t);
        if (row < 0 || set_s(t, c[0], (size_t)row, id ? id[i] : NULL) < 0) {
            cp_table_free(t);
            return NULL;
        }
        cp_table_set_i64(t, c[1], (size_t)row, r->cv.fold[k]);
        cp_table_set_f64(t, c[2], (size_t)row, r->observed[i]);
        cp_table_set_f64(t, c[3], (size_t)row, reg ? pow(10, r->cv.pred[k]) : r->cv.pred[k]);
        cp_table_set_f64(t, c[4], (size_t)row,
                         reg ? pow(10, r->cv.baseline_pred[k]) : r->cv.baseline_pred[k]);
    }
    return t;
}

/* Every selected cell: its feature values (empty when not computed), the observed target,
 * whether it trained the model and why not. */
struct cp_table *cp_ml_features_table(const struct cp_run *run, const struct cp_ml_result *r)
{
    struct cp_table *t = cp_table_new("features");
    int id_col = t ? cp_table_add_column(t, "cell_id", CP_STR) : -1;
    int first = id_col + 1, ok = id_col >= 0;
    for (size_t j = 0; ok && j < r->model.p; j++)
        ok = cp_table_add_column(t, r->model.features[j], CP_F64) >= 0;
    int obs = ok ? cp_table_add_column(t, "observed", CP_F64) : -1;
    int tr = obs >= 0 ? cp_table_add_column(t, "in_training", CP_I64) : -1;
    int note = tr >= 0 ? cp_table_add_column(t, "note", CP_STR) : -1;
    char **id = cp_table_str(run->data.cells, "cell_id");
    for (size_t i = 0; note >= 0 && i < r->ncells; i++) {
        long row = cp_table_add_row(t);
        if (row < 0 || set_s(t, id_col, (size_t)row, id ? id[i] : NULL) < 0 ||
            set_s(t, note, (size_t)row, r->note[i]) < 0) {
            note = -1;
            break;
        }
        for (size_t j = 0; r->x[i] && j < r->model.p; j++)
            cp_table_set_f64(t, first + (int)j, (size_t)row, r->x[i][j]);
        cp_table_set_f64(t, obs, (size_t)row, r->observed[i]);
        cp_table_set_i64(t, tr, (size_t)row, r->in_train[i]);
    }
    if (note < 0) {
        cp_table_free(t);
        return NULL;
    }
    return t;
}

/* ---- cells.csv columns ----------------------------------------------------------------- */

int cp_ml_add_cell_columns(const struct cp_run *run, struct cp_table *cells)
{
    for (size_t k = 0; run->ml && k < run->ml->n; k++) {
        const struct cp_ml_result *r = &run->ml->m[k];
        if (!r->pred)
            continue;
        char name[4][200];
        snprintf(name[0], sizeof name[0], "pred_%s", r->cfg->name);
        snprintf(name[1], sizeof name[1], "pred_%s_lo", r->cfg->name);
        snprintf(name[2], sizeof name[2], "pred_%s_hi", r->cfg->name);
        snprintf(name[3], sizeof name[3], "pred_%s_out_of_range", r->cfg->name);
        int reg = regression(r), c[4] = {-1, -1, -1, -1};
        for (int q = 0; q < 4; q++) {
            if (!reg && (q == 1 || q == 2))
                continue; /* a probability has no interval */
            if ((c[q] = cp_table_add_column(cells, name[q], q == 3 ? CP_I64 : CP_F64)) < 0)
                return -1;
        }
        for (size_t i = 0; i < r->ncells && i < cells->nrows; i++) {
            if (!isfinite(r->pred[i]))
                continue;
            cp_table_set_f64(cells, c[0], i, r->pred[i]);
            if (reg) {
                cp_table_set_f64(cells, c[1], i, r->lo[i]);
                cp_table_set_f64(cells, c[2], i, r->hi[i]);
            }
            cp_table_set_i64(cells, c[3], i, r->out_of_range[i]);
        }
    }
    return 0;
}

/*
 * The ml stage (include/cellpipe/ml_run.h): one result per `models:` entry, trained here or
 * applied from the saved model the runner fetched for `use:`.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cellpipe/alloc.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/ml_run.h"
#include "cellpipe/run.h"
#include "ml_run_internal.h"

/* The saved model's predictions against the known targets of this run's cells. */
static int score_applied(struct cp_ml_result *r, struct cp_error *err)
{
    int reg = strcmp(r->model.task, "regression") == 0;
    double *y = cp_malloc((r->ncells + 1) * sizeof(double));
    double *yhat = cp_malloc((r->ncells + 1) * sizeof(double));
    size_t n = 0;
    int rc = y && yhat ? 0 : cp_error_oom(err);
    for (size_t i = 0; rc == 0 && i < r->ncells; i++)
        if (isfinite(r->observed[i]) && isfinite(r->pred[i])) {
            y[n] = reg ? log10(r->observed[i]) : r->observed[i];
            yhat[n++] = reg ? log10(r->pred[i]) : r->pred[i];
        }
    if (rc == 0 && n > 0) {
        if (reg)
            cp_ml_metrics_regression(y, yhat, n, &r->applied);
        else
            rc = cp_ml_metrics_classification(y, yhat, n, &r->applied, err);
        r->have_applied = rc == 0;
    }
    cp_free(y);
    cp_free(yhat);
    return rc;
}

static int apply_saved(struct cp_ml_result *r, const struct cp_run *run, const char *text,
                       size_t len, const char *resolved, struct cp_error *err)
{
    int rc = cp_ml_saved_from_text(&r->model, text, len, resolved, err);
    if (rc < 0)
        return rc;
    if (!(r->source = cp_strdup(resolved)))
        return cp_error_oom(err);
    if (r->model.early_cycles < 10)
        return cp_error_set(err, CP_EDATA, "%s: early_cycles below 10", resolved);
    rc = ml_cells_prepare(r, run, err);
    if (rc == 0)
        rc = ml_predict(r, err);
    if (rc == 0)
        rc = score_applied(r, err);
    if (rc == 0)
        cp_log(CP_LOG_INFO, "model=%s predicting with %s (%zu features, trained on %ld cells)",
               r->cfg->name, resolved, r->model.p, r->model.train_cells);
    return rc;
}

int cp_ml_run_stage(struct cp_run *run, const struct cp_ml_inputs *in, struct cp_error *err)
{
    const struct cp_config *cfg = run->cfg;
    gsl_set_error_handler_off(); /* a GSL failure is a return code here, never an abort */
    cp_ml_run_free(run->ml);
    run->ml = NULL;
    if (cfg->nmodels == 0)
        return 0;
    struct cp_ml_run *ml = cp_calloc(1, sizeof(*ml));
    if (!ml || !(ml->m = cp_calloc(cfg->nmodels, sizeof(*ml->m)))) {
        cp_free(ml);
        return cp_error_oom(err);
    }
    run->ml = ml;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cfg->nmodels; i++) {
        struct cp_ml_result *r = &ml->m[ml->n++];
        r->cfg = &cfg->models[i];
        if (r->cfg->use)
            rc = apply_saved(r, run, in->text[i], in->len[i], in->resolved[i], err);
        else
            rc = ml_train(r, run, err);
    }
    return rc;
}

static void result_free(struct cp_ml_result *r)
{
    for (size_t i = 0; i < r->ncells; i++) {
        if (r->x)
            cp_free(r->x[i]);
        if (r->note)
            cp_free(r->note[i]);
    }
    cp_free(r->x);
    cp_free(r->note);
    cp_free(r->observed);
    cp_free(r->pred);
    cp_free(r->lo);
    cp_free(r->hi);
    cp_free(r->out_of_range);
    cp_free(r->in_train);
    cp_free(r->train_row);
    cp_free(r->source);
    cp_free(r->skipped);
    cp_ml_saved_release(&r->model);
    cp_ml_cv_release(&r->cv);
}

void cp_ml_run_free(struct cp_ml_run *ml)
{
    if (!ml)
        return;
    for (size_t i = 0; i < ml->n; i++)
        result_free(&ml->m[i]);
    cp_free(ml->m);
    cp_free(ml);
}

const char *cp_ml_compare_metric(const struct cp_ml_result *r, double *value, int *lower_is_better)
{
    int reg = r->model.task && strcmp(r->model.task, "regression") == 0;
    *lower_is_better = reg;
    *value = reg ? r->cv.metrics.rmse : r->cv.metrics.balanced_accuracy;
    return reg ? "cv_rmse" : "cv_balanced_accuracy";
}

#ifndef CELLPIPE_ML_RUN_H
#define CELLPIPE_ML_RUN_H
/*
 * The early-life models of a run (src/run/ml_run.c, ml_train.c, ml_predict.c; docs/ml.md):
 * one result per `models:` entry, made by the ml stage and read by the sinks (results/
 * models.csv, predictions.csv, models/<name>/, cells.csv columns, the workbook, summary.pdf,
 * MLflow).
 *
 * Training: the feature matrix of the cells whose target is known and that pass `train_on`,
 * nested cross-validation (include/cellpipe/ml.h), the final model refitted on all of them,
 * an interval from the out-of-fold log10 residuals. Prediction: every selected cell whose
 * features exist, with the trained model or the one `use:` names.
 */
#include <stddef.h>

#include "cellpipe/ml.h"
#include "cellpipe/ml_model.h"

struct cp_config;
struct cp_error;
struct cp_model_config;
struct cp_run;

struct cp_ml_result {
    const struct cp_model_config *cfg;
    int trained;  /* 1: trained in this run; 0: applied (`use:`) */
    char *source; /* "trained", or what `use:` resolved to (models:/NAME/3, a path) */
    struct cp_ml_saved model;
    char *skipped; /* not trained or not applied, and why (the report says so); NULL: done */

    /* per selected cell (rows of run->data.cells) */
    size_t ncells;
    double **x;             /* ncells x p feature values (model order); NULL row: not computed */
    double *observed;       /* target: cycle life, or label 0/1; NaN unknown */
    double *pred, *lo, *hi; /* cycle life / probability, interval; NaN: no prediction */
    int *out_of_range;
    char **note;   /* why a cell has no prediction or is not in training (NULL: none) */
    int *in_train; /* 1 when the cell is a training cell */

    /* applied models: how the predictions meet the cells whose target is known (the model
     * may have trained on some of them: docs/ml.md) */
    struct cp_ml_metrics applied;
    int have_applied;

    /* training only */
    size_t ntrain;
    size_t *train_row;  /* ntrain: cells row of each training cell, in cell-id order */
    struct cp_ml_cv cv; /* cv.n == ntrain */
    int have_cv;
};

struct cp_ml_run {
    size_t n;
    struct cp_ml_result *m; /* n, in `models:` order */
};

/* The saved model texts the runner fetched for `use:` entries (text[i] for models[i], NULL for
 * training entries), with what each resolved to. Owned by the caller. */
struct cp_ml_inputs {
    char **text;
    size_t *len;
    char **resolved;
};

/* The ml stage: run->ml from run->cfg->models. CP_ECONFIG "pipeline.yaml:LINE: model 'x': ..."
 * for a feature that the data does not have; CP_EDATA when too few cells can train. */
int cp_ml_run_stage(struct cp_run *run, const struct cp_ml_inputs *in, struct cp_error *err);
void cp_ml_run_free(struct cp_ml_run *ml);

/* For the sinks: the metric the alias comparison uses and its value ("cv_rmse", or
 * "cv_balanced_accuracy" for a classification). */
const char *cp_ml_compare_metric(const struct cp_ml_result *r, double *value, int *lower_is_better);

#endif

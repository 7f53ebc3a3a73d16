#ifndef CELLPIPE_ML_MODEL_H
#define CELLPIPE_ML_MODEL_H
/*
 * A trained early-life model as it is saved, registered and loaded again: `model.json`
 * (src/analytics/ml_model.c; docs/ml.md "model.json" has every field). The same file is read
 * by cellpipe for batch prediction and by the Python loader shipped in the model's MLflow
 * artifacts, which computes exactly what cp_ml_saved_predict() computes:
 *
 *   z = intercept + sum_j coef[j] * (x_j - mean[j]) / sd[j]      (j in feature order)
 *   regression:      log10 cycle life z; cycle life 10^z; interval 10^(z + lo), 10^(z + hi)
 *   classification:  P(class 1) = 1 / (1 + exp(-z)); class 1 when P > 0.5
 *
 * A cell is outside the training range when any feature lies below train_min[j] or above
 * train_max[j].
 */
#include <stddef.h>

struct cp_error;
typedef struct json_t json_t;

#define CP_ML_FORMAT "cellpipe-model"
#define CP_ML_FORMAT_VERSION 1

struct cp_ml_saved {
    char *name;           /* the models: entry's name */
    char *task;           /* "regression" or "classification" */
    char *algorithm;      /* "elastic_net", "ridge", "logistic" */
    char *target;         /* "log10_cycle_life", or the classification rule / column */
    double eol_threshold; /* retention at end of life the target was taken at */
    long early_cycles;
    size_t p;
    char **features;               /* p names */
    double *mean, *sd, *coef;      /* p each */
    double *train_min, *train_max; /* p each: the training cells' range */
    double intercept;
    double param, l1_ratio;          /* chosen hyperparameters (l1_ratio NaN unless elastic_net) */
    double interval_level;           /* e.g. 0.9 */
    double interval_lo, interval_hi; /* log10 residual quantiles (regression; NaN otherwise) */
    long train_cells;
    char cells_sha256[65]; /* of the sorted training cell ids, one per line */
    json_t *metrics;       /* object: cv_* and baseline_cv_* (owned reference, may be NULL) */
    json_t *folds;         /* array: per-fold metrics (owned reference, may be NULL) */
};

/* Encode as the model.json object (new reference) or NULL when out of memory. */
json_t *cp_ml_saved_to_json(const struct cp_ml_saved *m);
/* Decode a model.json text; `origin` names it in messages. CP_EDATA "origin: ..." for a
 * file that is not a cellpipe model of this format version or misses a field. */
int cp_ml_saved_from_text(struct cp_ml_saved *m, const char *text, size_t len, const char *origin,
                          struct cp_error *err);
void cp_ml_saved_release(struct cp_ml_saved *m);

struct cp_ml_prediction {
    double z;         /* the linear predictor */
    double value;     /* cycle life, or P(class 1) */
    double lo, hi;    /* regression interval (cycles); NaN for classification */
    int out_of_range; /* a feature outside the training range */
};

/* x: the p feature values in the model's order. */
void cp_ml_saved_predict(const struct cp_ml_saved *m, const double *x,
                         struct cp_ml_prediction *out);

#endif

#ifndef CELLPIPE_ML_H
#define CELLPIPE_ML_H
/*
 * Early-life prediction, the algorithm layer (issue 17; docs/ml.md has every definition).
 * Pure functions over arrays, no I/O:
 *   - a dense design matrix X is row-major n x p (X[i * p + j]: cell i, feature j);
 *   - standardisation as scikit-learn's StandardScaler: mean and population sd (divisor n);
 *   - fold assignment from a seed (a splitmix64-driven Fisher-Yates permutation, below);
 *   - elastic net (coordinate descent on the Gram matrix, as glmnet's "covariance updates"),
 *     ridge (GSL's regularised least squares, lambda by generalised cross-validation) and
 *     L2-regularised logistic regression (Newton / IRLS with GSL's Cholesky);
 *   - a nested cross-validation driver with a trivial baseline;
 *   - the early-life feature catalogue from a grouped cycles table (ml_features.c).
 * Every fit includes an unpenalised intercept. All results are deterministic for a seed.
 * Errors: 0 or a negative CP_E* code with the message set in err (CP_EDATA for data the
 * method cannot use, CP_EUSAGE for bad arguments, CP_EINTERNAL for out of memory).
 * Arrays returned inside result structs belong to the struct; the _release functions free them
 * and accept zeroed or half-built structs.
 */
#include <stddef.h>
#include <stdint.h>

struct cp_error;
struct cp_table;

/* ---- folds ------------------------------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): state += 0x9e3779b97f4a7c15, then the output mix
 * z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9; z = (z ^ z >> 27) * 0x94d049bb133111eb; z ^ z >> 31. */
uint64_t cp_ml_splitmix64(uint64_t *state);
/* A standard normal draw from two splitmix64 outputs (Box-Muller), for seeded simulations and
 * tests: u, v = ((x >> 11) + 0.5) / 2^53, result sqrt(-2 ln u) cos(2 pi v). */
double cp_ml_normal(uint64_t *state);

/*
 * Permutation of 0..n-1 from a seed: perm = identity; for i = n-1 down to 1,
 * j = splitmix64(&state) % (i + 1), swap perm[i] and perm[j]; state starts at `seed`.
 */
void cp_ml_permutation(size_t *perm, size_t n, uint64_t seed);

/* fold[perm[r]] = r % k: k folds whose sizes differ by at most one. k >= 2 and n >= k. */
int cp_ml_folds(int *fold, size_t n, int k, uint64_t seed, struct cp_error *err);

/* Stratified: the cells of class 0 in permutation order, then those of class 1, are dealt to
 * folds 0, 1, ..., k-1, 0, ... by one running counter. label[i] is 0 or 1; each class needs
 * at least k cells. */
int cp_ml_folds_stratified(int *fold, const double *label, size_t n, int k, uint64_t seed,
                           struct cp_error *err);

/* ---- standardisation ---------------------------------------------------------------------- */

/* mean[j] and population sd[j] of column j of X (n x p). 0, or CP_EDATA naming the first
 * constant column (sd == 0; names may be NULL: "feature 3"). */
int cp_ml_standardize_fit(const double *X, size_t n, size_t p, const char *const *names,
                          double *mean, double *sd, struct cp_error *err);
/* out = (X - mean) / sd, row-major; out may alias X. */
void cp_ml_standardize_apply(const double *X, size_t n, size_t p, const double *mean,
                             const double *sd, double *out);

/* ---- fits --------------------------------------------------------------------------------- */

/* Solver controls; NULL means the defaults (tol 1e-12, max_iter 100000). */
struct cp_ml_solver {
    double tol;    /* enet: stop when max |delta b_j| of a sweep <= tol * max(max |b|, 1e-300);
                      logistic: when max |Newton step| <= tol * max(max |theta|, 1) */
    long max_iter; /* enet sweeps, logistic Newton steps */
};

/*
 * Elastic net, the objective of scikit-learn's ElasticNet:
 *   1/(2n) ||y - X b - b0||^2 + alpha l1_ratio ||b||_1 + alpha (1 - l1_ratio) / 2 ||b||^2.
 * X is centred internally (b0 = mean(y) - mean(X) b). coef (p) is the start on entry (zeros,
 * or a warm start) and the solution on return. CP_EDATA when it does not converge.
 */
int cp_ml_fit_enet(const double *X, const double *y, size_t n, size_t p, double alpha,
                   double l1_ratio, const struct cp_ml_solver *s, double *coef, double *intercept,
                   struct cp_error *err);

/* Ridge, the objective of scikit-learn's Ridge: ||y - X b - b0||^2 + lambda ||b||^2, b0
 * unpenalised (X and y centred). Needs n > p. */
int cp_ml_fit_ridge(const double *X, const double *y, size_t n, size_t p, double lambda,
                    double *coef, double *intercept, struct cp_error *err);

/*
 * Ridge with lambda chosen by generalised cross-validation over grid[0..ngrid): on the centred
 * data, G(lambda) = ||y - X b_lambda||^2 / (n - tr H_lambda)^2 (GSL's gsl_multifit_linear_gcv
 * definition; GSL's regularisation parameter is sqrt(lambda)). The smallest G wins, the first
 * on a tie. gcv (ngrid, may be NULL) receives G for each grid value.
 */
int cp_ml_fit_ridge_gcv(const double *X, const double *y, size_t n, size_t p, const double *grid,
                        size_t ngrid, double *gcv, size_t *chosen, double *coef, double *intercept,
                        struct cp_error *err);

/*
 * L2-regularised logistic regression, the objective of scikit-learn's
 * LogisticRegression(C=C) (intercept unpenalised):
 *   C sum_i [log(1 + e^z_i) - y_i z_i] + ||b||^2 / 2,  z_i = b0 + x_i b,  y_i in {0, 1}.
 * Newton steps with a halving line search from the start in coef and *intercept (zeros, or a
 * warm start), which receive the solution. CP_EDATA when it does not converge.
 */
int cp_ml_fit_logistic(const double *X, const double *y, size_t n, size_t p, double C,
                       const struct cp_ml_solver *s, double *coef, double *intercept,
                       struct cp_error *err);

/* out[i] = b0 + x_i b. */
void cp_ml_predict_linear(const double *X, size_t n, size_t p, const double *coef, double intercept,
                          double *out);

/* ---- metrics ------------------------------------------------------------------------------ */

struct cp_ml_metrics {
    size_t n;
    /* regression, in cycles: truth 10^y, prediction 10^yhat (the target is log10 cycle life) */
    double rmse; /* sqrt(mean((pred - truth)^2)) */
    double mape; /* 100 mean(|pred - truth| / truth), percent */
    /* classification: class 1 when P(class 1) > 0.5 (sklearn's decision_function > 0) */
    double accuracy;
    double balanced_accuracy; /* mean of the two classes' recalls */
    double auc; /* Mann-Whitney: P(score of a 1 > score of a 0) + P(tie) / 2; NaN: one class */
};

/* Metrics of log10 predictions yhat against log10 truth y (regression fields; others NaN). */
void cp_ml_metrics_regression(const double *y, const double *yhat, size_t n,
                              struct cp_ml_metrics *m);
/* Metrics of probabilities prob against labels y (classification fields; others NaN). 0, or
 * CP_EINTERNAL when out of memory (the AUC sorts). */
int cp_ml_metrics_classification(const double *y, const double *prob, size_t n,
                                 struct cp_ml_metrics *m, struct cp_error *err);

/* ---- nested cross-validation --------------------------------------------------------------- */

enum cp_ml_algo { CP_ML_ENET, CP_ML_RIDGE, CP_ML_LOGISTIC };
const char *cp_ml_algo_name(enum cp_ml_algo a); /* "elastic_net", "ridge", "logistic" */

struct cp_ml_cv_config {
    enum cp_ml_algo algo;
    int folds;       /* outer folds, default 5 (0 = default) */
    int inner_folds; /* enet and logistic, default 5 (0 = default); ridge uses GCV instead */
    uint64_t seed;
    /* The main hyperparameter's grid (enet alpha, ridge lambda, logistic C); NULL = default:
     * enet 10^(-4 + k/4), k = 0..16; ridge 10^(-3 + k/4), k = 0..32; logistic 10^(-3 + k/2),
     * k = 0..12. */
    const double *grid;
    size_t ngrid;
    const double *l1_ratios; /* enet; NULL = {0.1, 0.5, 0.9, 1} */
    size_t nl1_ratios;
    const char *const *feature_names; /* optional, p names for messages */
    const char *const *row_names;     /* optional, n names (cell ids) for messages */
    const struct cp_ml_solver *solver;
};

/* A fitted model on the original feature scale's standardisation: predict
 * intercept + sum_j coef[j] (x_j - mean[j]) / sd[j]. */
struct cp_ml_model {
    size_t p;
    double *mean, *sd, *coef; /* p each */
    double intercept;
    double param;     /* the chosen alpha / lambda / C */
    double l1_ratio;  /* enet; NaN otherwise */
    int at_grid_edge; /* param is the grid's smallest or largest value: widen the grid */
};

struct cp_ml_cv_fold {
    struct cp_ml_model model;               /* fitted on the fold's training cells */
    struct cp_ml_metrics metrics, baseline; /* on the fold's test cells */
};

struct cp_ml_cv {
    enum cp_ml_algo algo;
    size_t n, p;
    int folds, inner_folds;
    int *fold;             /* n: outer test fold of each cell */
    int *inner_fold;       /* folds x n: [f * n + i] inner fold of cell i in outer fold f's training
                              set, -1 for f's test cells (ridge: NULL) */
    double *pred;          /* n: out-of-fold log10 life or P(class 1) */
    double *baseline_pred; /* n: the baseline's out-of-fold log10 mean life or P(class 1) */
    struct cp_ml_cv_fold *per_fold;         /* folds */
    struct cp_ml_metrics metrics, baseline; /* pooled over every out-of-fold prediction */
    int beats_baseline; /* regression: rmse < baseline rmse; classification: balanced accuracy > */
    /* Hyperparameters chosen by CV over the outer folds on all cells, refitted on all cells. */
    struct cp_ml_model final;
};

/*
 * Nested cross-validation of X (n x p, raw features) against y (log10 cycle life, or labels
 * 0/1 for logistic). For each outer fold: standardise on its training cells, choose the
 * hyperparameters by inner k-fold CV on them (mean over inner folds of the log10 MSE, or of the
 * mean log-loss; each inner fit standardised on its own training cells; first in grid order on
 * a tie, alpha-major for enet; a grid point whose fit does not converge in an inner split is
 * not chosen), refit, predict the test cells. The baseline predicts the
 * training cells' mean life in cycles (regression) or their majority class, scored by its
 * training share of class 1 (classification).
 * Errors (CP_EDATA): fewer than 2 x folds cells; a NaN or infinite feature or target; a
 * constant feature (over all cells or within one training set); labels other than 0/1 or a
 * class with fewer cells than folds.
 */
int cp_ml_cv_run(const struct cp_ml_cv_config *cfg, const double *X, const double *y, size_t n,
                 size_t p, struct cp_ml_cv *out, struct cp_error *err);
void cp_ml_cv_release(struct cp_ml_cv *cv);
void cp_ml_model_release(struct cp_ml_model *m);

/* ---- early-life feature catalogue --------------------------------------------------------- */

struct cp_ml_features_config {
    long early_cycles; /* N, default 100 (0 = default); needs N >= 10 */
};

/*
 * Per cell of a cycles table sorted by (cell_id, cycle_index) and grouped by cell_id, from its
 * cycles with 1 <= cycle_index <= N (definitions in docs/ml.md):
 *   qd_2, qd_max_minus_qd_2, qd_slope_last10, qd_intercept_last10 (always);
 *   ce_mean, ce_sd (when charge_capacity_ah exists); temperature_mean_c (temperature_avg_c);
 *   ir_2, ir_change (internal_resistance_ohm).
 * A feature whose column is absent, or NaN in every row, is not in the catalogue. A cell that
 * lacks a feature of the catalogue, or has fewer than N cycles, is left out with a reason.
 */
struct cp_ml_features {
    size_t ncells, p;
    char **cell_id;     /* ncells */
    const char **names; /* p, static strings */
    double *X;          /* ncells x p; NaN where not computed */
    char **left_out;    /* ncells: NULL when usable, else the reason */
    size_t nused;       /* cells with left_out == NULL */
};

int cp_ml_features_compute(const struct cp_table *cycles, const struct cp_ml_features_config *c,
                           struct cp_ml_features *out, struct cp_error *err);
void cp_ml_features_release(struct cp_ml_features *f);

#endif

/*
 * The nested cross-validation driver (include/cellpipe/ml.h "nested cross-validation").
 * Every fit standardises on its own training cells, as a scikit-learn Pipeline of
 * StandardScaler and the estimator does inside GridSearchCV; the integration test
 * (tests/integration/ml_sklearn.py) replays exactly that on the folds written here.
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "ml_internal.h"

struct cvctx {
    enum cp_ml_algo algo;
    int folds, inner;
    uint64_t seed;
    const double *grid, *l1;
    size_t ngrid, nl1;
    const char *const *names;
    const struct cp_ml_solver *solver;
    size_t p;
};

/* A training/test split of a set of rows, gathered and standardised on the training part. */
struct split {
    size_t ntr, nte;
    double *Xtr, *ytr, *Xte, *yte, *mean, *sd;
};

static void split_release(struct split *s)
{
    cp_free(s->Xtr);
    cp_free(s->ytr);
    cp_free(s->Xte);
    cp_free(s->yte);
    cp_free(s->mean);
    cp_free(s->sd);
}

/* Rows i with fold[i] != k train, those with fold[i] == k test; rows with fold[i] < 0 are out
 * (the outer test cells, in an inner split). */
static int split_make(struct split *s, const double *X, const double *y, size_t n, size_t p,
                      const int *fold, int k, const struct cvctx *c, const char *where,
                      struct cp_error *err)
{
    *s = (struct split){0};
    for (size_t i = 0; i < n; i++) {
        s->ntr += fold[i] >= 0 && fold[i] != k;
        s->nte += fold[i] == k;
    }
    s->Xtr = cp_malloc((s->ntr * p + 1) * sizeof(double));
    s->ytr = cp_malloc((s->ntr + 1) * sizeof(double));
    s->Xte = cp_malloc((s->nte * p + 1) * sizeof(double));
    s->yte = cp_malloc((s->nte + 1) * sizeof(double));
    s->mean = cp_malloc((p + 1) * sizeof(double));
    s->sd = cp_malloc((p + 1) * sizeof(double));
    if (!s->Xtr || !s->ytr || !s->Xte || !s->yte || !s->mean || !s->sd)
        return cp_error_oom(err);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        if (fold[i] < 0)
            continue;
        int test = fold[i] == k;
        double *dst = test ? s->Xte + b * p : s->Xtr + a * p;
        for (size_t j = 0; j < p; j++)
            dst[j] = X[i * p + j];
        if (test)
            s->yte[b++] = y[i];
        else
            s->ytr[a++] = y[i];
    }
    char buf[160];
    snprintf(buf, sizeof buf, "the %zu training cells of %s", s->ntr, where);
    int rc = cp_ml_standardize_where(s->Xtr, s->ntr, p, c->names, buf, s->mean, s->sd, err);
    if (rc)
        return rc;
    cp_ml_standardize_apply(s->Xtr, s->ntr, p, s->mean, s->sd, s->Xtr);
    cp_ml_standardize_apply(s->Xte, s->nte, p, s->mean, s->sd, s->Xte);
    return 0;
}

static double mean_loss(const struct cvctx *c, const double *X, const double *y, size_t n,
                        const double *coef, double b0)
{
    double loss = 0;
    for (size_t i = 0; i < n; i++) {
        double z = b0;
        for (size_t j = 0; j < c->p; j++)
            z += X[i * c->p + j] * coef[j];
        if (c->algo == CP_ML_LOGISTIC) /* -log P(y | z), computed stably */
            loss += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y[i] * z;
        else
            loss += (y[i] - z) * (y[i] - z);
    }
    return loss / (double)n;
}

/* Grid indices from the most to the least regularised (alpha decreasing, C increasing), so
 * each fit starts warm from its neighbour's solution. */
static void order_path(const double *g, size_t n, int ascending, size_t *ord)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = i;
        while (k > 0 && (ascending ? g[ord[k - 1]] > g[i] : g[ord[k - 1]] < g[i])) {
            ord[k] = ord[k - 1];
            k--;
        }
        ord[k] = i;
    }
}

/* Add each grid point's test loss on one split to score (alpha-major: a * nl1 + l). */
static int score_split(const struct cvctx *c, const struct split *s, double *score,
                       struct cp_error *err)
{
    size_t p = c->p;
    double *coef = cp_calloc(p + 1, sizeof(double));
    size_t *ord = cp_malloc((c->ngrid + 1) * sizeof *ord);
    struct cp_ml_gram g = {0};
    int rc = !coef || !ord ? cp_error_oom(err) : 0;
    if (!rc && c->algo == CP_ML_ENET && cp_ml_gram_init(&g, s->Xtr, s->ytr, s->ntr, p))
        rc = cp_error_oom(err);
    if (!rc)
        order_path(c->grid, c->ngrid, c->algo == CP_ML_LOGISTIC, ord);
    size_t nl = c->algo == CP_ML_ENET ? c->nl1 : 1;
    for (size_t l = 0; !rc && l < nl; l++) {
        for (size_t j = 0; j < p; j++)
            coef[j] = 0;
        double b0 = 0;
        for (size_t r = 0; !rc && r < c->ngrid; r++) {
            size_t a = ord[r];
            struct cp_error fe = {0};
            int fr = c->algo == CP_ML_ENET
                         ? cp_ml_enet_gram(&g, c->grid[a], c->l1[l], c->solver, coef, &b0, &fe)
                         : cp_ml_fit_logistic(s->Xtr, s->ytr, s->ntr, p, c->grid[a], c->solver,
                                              coef, &b0, &fe);
            /* a grid point whose fit does not converge cannot be chosen (collinear features at
             * the weakest penalties); the path goes on from where that fit stopped */
            if (fr == -CP_EDATA)
                score[a * nl + l] = INFINITY;
            else if (fr < 0)
                rc = cp_error_set(err, -fr, "%s", fe.msg);
            else
                score[a * nl + l] += mean_loss(c, s->Xte, s->yte, s->nte, coef, b0);
        }
    }
    cp_ml_gram_release(&g);
    cp_free(coef);
    cp_free(ord);
    return rc;
}

/* Choose (param, l1_ratio) by k-fold CV over the rows with fold >= 0: the smallest mean test
 * loss, the first in grid order on a tie. */
static int select_params(const struct cvctx *c, const double *X, const double *y, size_t n,
                         const int *fold, int k, const char *where, double *param, double *l1,
                         struct cp_error *err)
{
    size_t nl = c->algo == CP_ML_ENET ? c->nl1 : 1, ncombo = c->ngrid * nl;
    double *score = cp_calloc(ncombo, sizeof(double));
    if (!score)
        return cp_error_oom(err);
    int rc = 0;
    for (int f = 0; !rc && f < k; f++) {
        struct split s;
        char buf[128];
        snprintf(buf, sizeof buf, "%s, inner fold %d", where, f);
        rc = split_make(&s, X, y, n, c->p, fold, f, c, buf, err);
        if (!rc)
            rc = score_split(c, &s, score, err);
        split_release(&s);
    }
    size_t best = 0;
    for (size_t i = 1; !rc && i < ncombo; i++)
        if (score[i] < score[best])
            best = i;
    if (!rc && !isfinite(score[best]))
        rc = cp_error_set(err, CP_EDATA, "%s: no hyperparameter of the grid converged", where);
    *param = c->grid[best / nl];
    *l1 = c->algo == CP_ML_ENET ? c->l1[best % nl] : NAN;
    cp_free(score);
    return rc;
}

/* Is v the smallest or largest grid value? A choice there may lie outside the grid. */
static int grid_edge(const double *g, size_t n, double v)
{
    int lo = 1, hi = 1;
    for (size_t k = 0; k < n; k++) {
        lo &= g[k] >= v;
        hi &= g[k] <= v;
    }
    return n > 1 && (lo || hi);
}

static int model_alloc(struct cp_ml_model *m, size_t p, struct cp_error *err)
{
    m->p = p;
    m->mean = cp_malloc((p + 1) * sizeof(double));
    m->sd = cp_malloc((p + 1) * sizeof(double));
    m->coef = cp_calloc(p + 1, sizeof(double));
    return m->mean && m->sd && m->coef ? 0 : cp_error_oom(err);
}

/* Fit the model of one training set (already standardised in s) at the chosen values, or
 * choose lambda by GCV (ridge). */
static int fit_split(const struct cvctx *c, const struct split *s, struct cp_ml_model *m,
                     struct cp_error *err)
{
    int rc = model_alloc(m, c->p, err);
    if (rc)
        return rc;
    for (size_t j = 0; j < c->p; j++) {
        m->mean[j] = s->mean[j];
        m->sd[j] = s->sd[j];
    }
    switch (c->algo) {
    case CP_ML_ENET:
        rc = cp_ml_fit_enet(s->Xtr, s->ytr, s->ntr, c->p, m->param, m->l1_ratio, c->solver, m->coef,
                            &m->intercept, err);
        break;
    case CP_ML_LOGISTIC:
        rc = cp_ml_fit_logistic(s->Xtr, s->ytr, s->ntr, c->p, m->param, c->solver, m->coef,
                                &m->intercept, err);
        break;
    case CP_ML_RIDGE: {
        size_t k = 0;
        m->l1_ratio = NAN;
        rc = cp_ml_fit_ridge_gcv(s->Xtr, s->ytr, s->ntr, c->p, c->grid, c->ngrid, NULL, &k, m->coef,
                                 &m->intercept, err);
        m->param = c->grid[k];
        break;
    }
    default:
        return cp_error_set(err, CP_EUSAGE, "unknown ML algorithm %d", (int)c->algo);
    }
    m->at_grid_edge = grid_edge(c->grid, c->ngrid, m->param);
    return rc;
}

/* Inner folds of the rows with outer[i] != f (the training cells of outer fold f), in row order,
 * from seed + 1 + f; -1 for f's test cells. */
static int inner_folds(const struct cvctx *c, const double *y, size_t n, const int *outer, int f,
                       int *inner, struct cp_error *err)
{
    size_t m = 0;
    size_t *rows = cp_malloc((n + 1) * sizeof *rows);
    double *lab = cp_malloc((n + 1) * sizeof *lab);
    int *fo = cp_malloc((n + 1) * sizeof *fo);
    int rc = rows && lab && fo ? 0 : cp_error_oom(err);
    for (size_t i = 0; !rc && i < n; i++)
        if (outer[i] != f) {
            rows[m] = i;
            lab[m++] = y[i];
        }
    uint64_t seed = c->seed + 1 + (uint64_t)f;
    if (!rc)
        rc = c->algo == CP_ML_LOGISTIC ? cp_ml_folds_stratified(fo, lab, m, c->inner, seed, err)
                                       : cp_ml_folds(fo, m, c->inner, seed, err);
    for (size_t i = 0; !rc && i < n; i++)
        inner[i] = -1;
    for (size_t r = 0; !rc && r < m; r++)
        inner[rows[r]] = fo[r];
    cp_free(rows);
    cp_free(lab);
    cp_free(fo);
    return rc;
}

/* Baseline of one outer fold: mean life in cycles, or the class-1 share of training. */
static double baseline_value(const struct cvctx *c, const struct split *s)
{
    double sum = 0;
    for (size_t i = 0; i < s->ntr; i++)
        sum += c->algo == CP_ML_LOGISTIC ? s->ytr[i] : pow(10.0, s->ytr[i]);
    double m = sum / (double)s->ntr;
    return c->algo == CP_ML_LOGISTIC ? m : log10(m);
}

static double predict_one(const struct cvctx *c, const struct cp_ml_model *m, const double *x)
{
    double z = m->intercept;
    for (size_t j = 0; j < c->p; j++)
        z += x[j] * m->coef[j];
    return c->algo == CP_ML_LOGISTIC ? 1.0 / (1.0 + exp(-z)) : z;
}

static int metrics_of(const struct cvctx *c, const double *y, const double *pred, size_t n,
                      struct cp_ml_metrics *m, struct cp_error *err)
{
    if (c->algo == CP_ML_LOGISTIC)
        return cp_ml_metrics_classification(y, pred, n, m, err);
    cp_ml_metrics_regression(y, pred, n, m);
    return 0;
}

/* One outer fold: choose, fit, predict its test cells into out->pred (by row). */
static int outer_fold(const struct cvctx *c, const double *X, const double *y, size_t n, int f,
                      struct cp_ml_cv *out, struct cp_error *err)
{
    struct cp_ml_cv_fold *fr = &out->per_fold[f];
    struct cp_ml_model *m = &fr->model;
    int *inner = out->inner_fold ? out->inner_fold + (size_t)f * n : NULL;
    char where[64];
    snprintf(where, sizeof where, "outer fold %d", f);
    int rc = 0;
    struct split s = {0};
    if (inner) {
        rc = inner_folds(c, y, n, out->fold, f, inner, err);
        if (!rc)
            rc = select_params(c, X, y, n, inner, c->inner, where, &m->param, &m->l1_ratio, err);
    }
    if (!rc)
        rc = split_make(&s, X, y, n, c->p, out->fold, f, c, where, err);
    if (!rc)
        rc = fit_split(c, &s, m, err);
    if (!rc) {
        double base = baseline_value(c, &s), *pr = cp_malloc((s.nte + 1) * 2 * sizeof *pr);
        if (!pr) {
            split_release(&s);
            return cp_error_oom(err);
        }
        for (size_t i = 0, t = 0; i < n; i++)
            if (out->fold[i] == f) {
                pr[t] = out->pred[i] = predict_one(c, m, s.Xte + t * c->p);
                pr[s.nte + t] = out->baseline_pred[i] = base;
                t++;
            }
        rc = metrics_of(c, s.yte, pr, s.nte, &fr->metrics, err);
        if (!rc)
            rc = metrics_of(c, s.yte, pr + s.nte, s.nte, &fr->baseline, err);
        cp_free(pr);
    }
    split_release(&s);
    return rc;
}

/* The deployable model: hyperparameters by CV over the outer folds, refitted on all cells. */
static int final_model(const struct cvctx *c, const double *X, const double *y, size_t n,
                       struct cp_ml_cv *out, struct cp_error *err)
{
    struct cp_ml_model *m = &out->final;
    int rc = 0;
    if (c->algo != CP_ML_RIDGE)
        rc = select_params(c, X, y, n, out->fold, c->folds, "all cells", &m->param, &m->l1_ratio,
                           err);
    int *none = cp_malloc((n + 1) * sizeof *none);
    if (!none)
        return rc ? rc : cp_error_oom(err);
    for (size_t i = 0; i < n; i++)
        none[i] = 0;
    struct split s = {0};
    if (!rc)
        rc = split_make(&s, X, y, n, c->p, none, -2, c, "all cells", err);
    if (!rc)
        rc = fit_split(c, &s, m, err);
    split_release(&s);
    cp_free(none);
    return rc;
}

/* ---- the driver ------------------------------------------------------------------------- */

static const double default_l1[] = {0.1, 0.5, 0.9, 1.0};

/* The default grids (ml.h): 10^(lo + k step), k = 0..count-1, into buf. */
static const double *default_grid(enum cp_ml_algo a, double *buf, size_t *n)
{
    double lo = a == CP_ML_ENET ? -4 : -3, step = a == CP_ML_LOGISTIC ? 0.5 : 0.25;
    size_t count = a == CP_ML_ENET ? 17 : a == CP_ML_RIDGE ? 33 : 13;
    for (size_t k = 0; k < count; k++)
        buf[k] = pow(10.0, lo + step * (double)k);
    *n = count;
    return buf;
}

static int cell_name(char *buf, size_t size, const char *const *rows, size_t i)
{
    return rows ? snprintf(buf, size, "cell '%s'", rows[i]) : snprintf(buf, size, "row %zu", i);
}

/* The input checks of cp_ml_cv_run, each with its own message. */
static int check_input(const struct cp_ml_cv_config *cfg, const struct cvctx *c, const double *X,
                       const double *y, size_t n, size_t p, struct cp_error *err)
{
    char who[160];
    if (p == 0)
        return cp_error_set(err, CP_EDATA, "no features to train on");
    if (n < 2 * (size_t)c->folds)
        return cp_error_set(err, CP_EDATA,
                            "too few cells for %d-fold cross-validation: %zu, need at least %d",
                            c->folds, n, 2 * c->folds);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < p; j++)
            if (!isfinite(X[i * p + j])) {
                cell_name(who, sizeof who, cfg->row_names, i);
                if (c->names)
                    return cp_error_set(err, CP_EDATA,
                                        "feature '%s' of %s is %g, expected a "
                                        "finite number",
                                        c->names[j], who, X[i * p + j]);
                return cp_error_set(err, CP_EDATA,
                                    "feature %zu of %s is %g, expected a finite "
                                    "number",
                                    j, who, X[i * p + j]);
            }
        if (!isfinite(y[i])) {
            cell_name(who, sizeof who, cfg->row_names, i);
            return cp_error_set(err, CP_EDATA, "target of %s is %g, expected a finite number", who,
                                y[i]);
        }
    }
    double *mean = cp_malloc(2 * p * sizeof *mean);
    if (!mean)
        return cp_error_oom(err);
    int rc = cp_ml_standardize_fit(X, n, p, c->names, mean, mean + p, err);
    cp_free(mean);
    return rc;
}

static int cv_alloc(struct cp_ml_cv *out, const struct cvctx *c, size_t n, size_t p,
                    struct cp_error *err)
{
    *out = (struct cp_ml_cv){.algo = c->algo, .n = n, .p = p, .folds = c->folds};
    out->inner_folds = c->algo == CP_ML_RIDGE ? 0 : c->inner;
    out->fold = cp_malloc(n * sizeof *out->fold);
    out->pred = cp_malloc(n * sizeof *out->pred);
    out->baseline_pred = cp_malloc(n * sizeof *out->baseline_pred);
    out->per_fold = cp_calloc((size_t)c->folds, sizeof *out->per_fold);
    if (c->algo != CP_ML_RIDGE)
        out->inner_fold = cp_malloc((size_t)c->folds * n * sizeof *out->inner_fold);
    if (!out->fold || !out->pred || !out->baseline_pred || !out->per_fold ||
        (c->algo != CP_ML_RIDGE && !out->inner_fold))
        return cp_error_oom(err);
    return 0;
}

static int ctx_init(struct cvctx *c, const struct cp_ml_cv_config *cfg, size_t p, double *buf,
                    struct cp_error *err)
{
    *c = (struct cvctx){.algo = cfg->algo,
                        .folds = cfg->folds ? cfg->folds : 5,
                        .inner = cfg->inner_folds ? cfg->inner_folds : 5,
                        .seed = cfg->seed,
                        .names = cfg->feature_names,
                        .solver = cfg->solver,
                        .p = p};
    if (cfg->algo != CP_ML_ENET && cfg->algo != CP_ML_RIDGE && cfg->algo != CP_ML_LOGISTIC)
        return cp_error_set(err, CP_EUSAGE, "unknown ML algorithm %d", (int)cfg->algo);
    if (c->folds < 2 || c->inner < 2)
        return cp_error_set(err, CP_EUSAGE,
                            "cross-validation needs at least 2 folds (folds %d, "
                            "inner_folds %d)",
                            c->folds, c->inner);
    c->grid = cfg->grid && cfg->ngrid ? cfg->grid : default_grid(cfg->algo, buf, &c->ngrid);
    if (cfg->grid && cfg->ngrid)
        c->ngrid = cfg->ngrid;
    c->l1 = cfg->l1_ratios && cfg->nl1_ratios ? cfg->l1_ratios : default_l1;
    c->nl1 = cfg->l1_ratios && cfg->nl1_ratios ? cfg->nl1_ratios : 4;
    return 0;
}

int cp_ml_cv_run(const struct cp_ml_cv_config *cfg, const double *X, const double *y, size_t n,
                 size_t p, struct cp_ml_cv *out, struct cp_error *err)
{
    struct cvctx c;
    double gridbuf[40];
    *out = (struct cp_ml_cv){0};
    int rc = ctx_init(&c, cfg, p, gridbuf, err);
    if (!rc)
        rc = check_input(cfg, &c, X, y, n, p, err);
    if (!rc)
        rc = cv_alloc(out, &c, n, p, err);
    if (!rc)
        rc = c.algo == CP_ML_LOGISTIC
                 ? cp_ml_folds_stratified(out->fold, y, n, c.folds, c.seed, err)
                 : cp_ml_folds(out->fold, n, c.folds, c.seed, err);
    for (int f = 0; !rc && f < c.folds; f++)
        rc = outer_fold(&c, X, y, n, f, out, err);
    if (!rc)
        rc = metrics_of(&c, y, out->pred, n, &out->metrics, err);
    if (!rc)
        rc = metrics_of(&c, y, out->baseline_pred, n, &out->baseline, err);
    if (!rc) {
        out->beats_baseline = c.algo == CP_ML_LOGISTIC
                                  ? out->metrics.balanced_accuracy > out->baseline.balanced_accuracy
                                  : out->metrics.rmse < out->baseline.rmse;
        rc = final_model(&c, X, y, n, out, err);
    }
    if (rc)
        cp_ml_cv_release(out);
    return rc;
}

void cp_ml_cv_release(struct cp_ml_cv *cv)
{
    if (!cv)
        return;
    if (cv->per_fold)
        for (int f = 0; f < cv->folds; f++)
            cp_ml_model_release(&cv->per_fold[f].model);
    cp_free(cv->per_fold);
    cp_free(cv->fold);
    cp_free(cv->inner_fold);
    cp_free(cv->pred);
    cp_free(cv->baseline_pred);
    cp_ml_model_release(&cv->final);
    *cv = (struct cp_ml_cv){0};
}

/* Folds, standardisation, prediction and metrics of the ML layer (contract in
 * include/cellpipe/ml.h, definitions in docs/ml.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "ml_internal.h"

uint64_t cp_ml_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double cp_ml_normal(uint64_t *state)
{
    double u = ((double)(cp_ml_splitmix64(state) >> 11) + 0.5) / 9007199254740992.0;
    double v = ((double)(cp_ml_splitmix64(state) >> 11) + 0.5) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

void cp_ml_permutation(size_t *perm, size_t n, uint64_t seed)
{
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)(cp_ml_splitmix64(&state) % (uint64_t)(i + 1));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static int check_k(size_t n, int k, struct cp_error *err)
{
    if (k < 2)
        return cp_error_set(err, CP_EUSAGE, "cross-validation needs at least 2 folds, not %d", k);
    if (n < (size_t)k)
        return cp_error_set(err, CP_EDATA, "%zu cells cannot fill %d folds", n, k);
    return 0;
}

int cp_ml_folds(int *fold, size_t n, int k, uint64_t seed, struct cp_error *err)
{
    int rc = check_k(n, k, err);
    if (rc)
        return rc;
    size_t *perm = cp_malloc(n * sizeof *perm);
    if (!perm)
        return cp_error_oom(err);
    cp_ml_permutation(perm, n, seed);
    for (size_t r = 0; r < n; r++)
        fold[perm[r]] = (int)(r % (size_t)k);
    cp_free(perm);
    return 0;
}

int cp_ml_folds_stratified(int *fold, const double *label, size_t n, int k, uint64_t seed,
                           struct cp_error *err)
{
    int rc = check_k(n, k, err);
    if (rc)
        return rc;
    size_t count[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (label[i] != 0 && label[i] != 1)
            return cp_error_set(err, CP_EDATA, "class label of row %zu is %g, expected 0 or 1", i,
                                label[i]);
        count[label[i] == 1]++;
    }
    for (int c = 0; c < 2; c++)
        if (count[c] < (size_t)k)
            return cp_error_set(err, CP_EDATA, "class %d has %zu cells, fewer than the %d folds", c,
                                count[c], k);
    size_t *perm = cp_malloc(n * sizeof *perm);
    if (!perm)
        return cp_error_oom(err);
    cp_ml_permutation(perm, n, seed);
    size_t counter = 0;
    for (int c = 0; c < 2; c++)
        for (size_t r = 0; r < n; r++)
            if ((label[perm[r]] == 1) == (c == 1))
                fold[perm[r]] = (int)(counter++ % (size_t)k);
    cp_free(perm);
    return 0;
}

int cp_ml_standardize_where(const double *X, size_t n, size_t p, const char *const *names,
                            const char *where, double *mean, double *sd, struct cp_error *err)
{
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += X[i * p + j];
        double m = s / (double)n, ss = 0, dev = 0;
        /* two passes with the compensation term, as sklearn's StandardScaler computes it */
        for (size_t i = 0; i < n; i++) {
            double d = X[i * p + j] - m;
            ss += d * d;
            dev += d;
        }
        mean[j] = m;
        sd[j] = sqrt(fmax(ss - dev * dev / (double)n, 0.0) / (double)n);
        /* sklearn treats an sd below 10 eps |mean| as zero; so do we, but as an error */
        if (!(sd[j] > 10 * 2.220446049250313e-16 * fabs(m)) || sd[j] == 0) {
            if (names)
                return cp_error_set(err, CP_EDATA,
                                    "feature '%s' is constant (%.6g) in %s: it cannot be "
                                    "standardised",
                                    names[j], m, where);
            return cp_error_set(err, CP_EDATA,
                                "feature %zu is constant (%.6g) in %s: it cannot be "
                                "standardised",
                                j, m, where);
        }
    }
    return 0;
}

int cp_ml_standardize_fit(const double *X, size_t n, size_t p, const char *const *names,
                          double *mean, double *sd, struct cp_error *err)
{
    char where[64];
    snprintf(where, sizeof where, "all %zu cells", n);
    return cp_ml_standardize_where(X, n, p, names, where, mean, sd, err);
}

void cp_ml_standardize_apply(const double *X, size_t n, size_t p, const double *mean,
                             const double *sd, double *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            out[i * p + j] = (X[i * p + j] - mean[j]) / sd[j];
}

void cp_ml_predict_linear(const double *X, size_t n, size_t p, const double *coef, double intercept,
                          double *out)
{
    for (size_t i = 0; i < n; i++) {
        double z = intercept;
        for (size_t j = 0; j < p; j++)
            z += X[i * p + j] * coef[j];
        out[i] = z;
    }
}

static void metrics_nan(struct cp_ml_metrics *m, size_t n)
{
    m->n = n;
    m->rmse = m->mape = m->accuracy = m->balanced_accuracy = m->auc = NAN;
}

void cp_ml_metrics_regression(const double *y, const double *yhat, size_t n,
                              struct cp_ml_metrics *m)
{
    metrics_nan(m, n);
    if (n == 0)
        return;
    double se = 0, ape = 0;
    for (size_t i = 0; i < n; i++) {
        double t = pow(10.0, y[i]), e = pow(10.0, yhat[i]) - t;
        se += e * e;
        ape += fabs(e) / t;
    }
    m->rmse = sqrt(se / (double)n);
    m->mape = 100.0 * ape / (double)n;
}

struct scored {
    double s;
    int label;
};

static int by_score(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;
    return (x > y) - (x < y);
}

/* Mann-Whitney AUC with average ranks for tied scores. */
static double auc_of(const double *y, const double *prob, size_t n, size_t n1, int *oom)
{
    size_t n0 = n - n1;
    if (n0 == 0 || n1 == 0)
        return NAN;
    struct scored *v = cp_malloc(n * sizeof *v);
    if (!v) {
        *oom = 1;
        return NAN;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (struct scored){prob[i], y[i] == 1};
    qsort(v, n, sizeof *v, by_score);
    double rank_sum = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, ones = 0;
        while (j < n && v[j].s == v[i].s)
            ones += (size_t)v[j++].label;
        rank_sum += (double)ones * 0.5 * (double)(i + 1 + j); /* average rank of i+1..j */
        i = j;
    }
    cp_free(v);
    return (rank_sum - 0.5 * (double)n1 * (double)(n1 + 1)) / ((double)n0 * (double)n1);
}

int cp_ml_metrics_classification(const double *y, const double *prob, size_t n,
                                 struct cp_ml_metrics *m, struct cp_error *err)
{
    metrics_nan(m, n);
    if (n == 0)
        return 0;
    size_t hit[2] = {0, 0}, count[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        int c = y[i] == 1, pc = prob[i] > 0.5;
        count[c]++;
        hit[c] += (size_t)(c == pc);
    }
    m->accuracy = (double)(hit[0] + hit[1]) / (double)n;
    if (count[0] && count[1])
        m->balanced_accuracy =
            0.5 * ((double)hit[0] / (double)count[0] + (double)hit[1] / (double)count[1]);
    else
        m->balanced_accuracy = (double)(hit[0] + hit[1]) / (double)n;
    int oom = 0;
    m->auc = auc_of(y, prob, n, count[1], &oom);
    return oom ? cp_error_oom(err) : 0;
}

const char *cp_ml_algo_name(enum cp_ml_algo a)
{
    switch (a) {
    case CP_ML_ENET:
        return "elastic_net";
    case CP_ML_RIDGE:
        return "ridge";
    case CP_ML_LOGISTIC:
        return "logistic";
    }
    return "unknown";
}

void cp_ml_model_release(struct cp_ml_model *m)
{
    if (!m)
        return;
    cp_free(m->mean);
    cp_free(m->sd);
    cp_free(m->coef);
    m->mean = m->sd = m->coef = NULL;
}

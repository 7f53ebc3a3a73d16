/*
 * Elastic net by cyclic coordinate descent with covariance updates (Friedman, Hastie and
 * Tibshirani 2010, section 2.2): the Gram matrix of the centred data is formed once, so a
 * coordinate update costs O(p) instead of O(n). With p small and n large (cells x early-life
 * features) that is what makes nested CV fast. Contract in include/cellpipe/ml.h.
 */
#include <math.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "ml_internal.h"

void cp_ml_solver_defaults(const struct cp_ml_solver *s, double *tol, long *max_iter)
{
    *tol = s && s->tol > 0 ? s->tol : 1e-12;
    *max_iter = s && s->max_iter > 0 ? s->max_iter : 100000;
}

int cp_ml_gram_init(struct cp_ml_gram *g, const double *X, const double *y, size_t n, size_t p)
{
    g->n = n;
    g->p = p;
    g->xmean = cp_calloc(p, sizeof(double));
    g->G = cp_calloc(p * p, sizeof(double));
    g->c = cp_calloc(p, sizeof(double));
    if (!g->xmean || !g->G || !g->c)
        return -1;
    double ys = 0;
    for (size_t i = 0; i < n; i++) {
        ys += y[i];
        for (size_t j = 0; j < p; j++)
            g->xmean[j] += X[i * p + j];
    }
    g->ymean = ys / (double)n;
    for (size_t j = 0; j < p; j++)
        g->xmean[j] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * p;
        double yc = y[i] - g->ymean;
        for (size_t j = 0; j < p; j++) {
            double xj = x[j] - g->xmean[j];
            g->c[j] += xj * yc;
            for (size_t k = j; k < p; k++)
                g->G[j * p + k] += xj * (x[k] - g->xmean[k]);
        }
    }
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < j; k++)
            g->G[j * p + k] = g->G[k * p + j];
    return 0;
}

void cp_ml_gram_release(struct cp_ml_gram *g)
{
    cp_free(g->xmean);
    cp_free(g->G);
    cp_free(g->c);
    g->xmean = g->G = g->c = NULL;
}

static double soft(double z, double t)
{
    return z > t ? z - t : z < -t ? z + t : 0.0;
}

/* One sweep over the coordinates; returns max |change|. r = c - G b is kept current. */
static double sweep(const struct cp_ml_gram *g, double l1, double l2, double *b, double *r)
{
    size_t p = g->p;
    double nn = (double)g->n, dmax = 0;
    for (size_t j = 0; j < p; j++) {
        double gjj = g->G[j * p + j];
        double rho = r[j] + gjj * b[j];
        double nb = soft(rho / nn, l1) / (gjj / nn + l2);
        double d = nb - b[j];
        if (d == 0)
            continue;
        b[j] = nb;
        const double *col = g->G + j * p; /* symmetric: row j is column j */
        for (size_t k = 0; k < p; k++)
            r[k] -= d * col[k];
        dmax = fabs(d) > dmax ? fabs(d) : dmax;
    }
    return dmax;
}

int cp_ml_enet_gram(const struct cp_ml_gram *g, double alpha, double l1_ratio,
                    const struct cp_ml_solver *s, double *coef, double *intercept,
                    struct cp_error *err)
{
    double tol;
    long max_iter;
    cp_ml_solver_defaults(s, &tol, &max_iter);
    size_t p = g->p;
    double *r = cp_malloc((p ? p : 1) * sizeof *r);
    if (!r)
        return cp_error_oom(err);
    for (size_t j = 0; j < p; j++) {
        double v = g->c[j];
        for (size_t k = 0; k < p; k++)
            v -= g->G[j * p + k] * coef[k];
        r[j] = v;
    }
    double l1 = alpha * l1_ratio, l2 = alpha * (1.0 - l1_ratio);
    long it = 0;
    for (; it < max_iter; it++) {
        double dmax = sweep(g, l1, l2, coef, r), bmax = 0;
        for (size_t j = 0; j < p; j++)
            bmax = fabs(coef[j]) > bmax ? fabs(coef[j]) : bmax;
        if (dmax <= tol * (bmax > 1e-300 ? bmax : 1e-300))
            break;
    }
    cp_free(r);
    if (it == max_iter)
        return cp_error_set(err, CP_EDATA,
                            "elastic net (alpha %g, l1_ratio %g) did not converge in %ld sweeps",
                            alpha, l1_ratio, max_iter);
    double b0 = g->ymean;
    for (size_t j = 0; j < p; j++)
        b0 -= g->xmean[j] * coef[j];
    *intercept = b0;
    return 0;
}

int cp_ml_fit_enet(const double *X, const double *y, size_t n, size_t p, double alpha,
                   double l1_ratio, const struct cp_ml_solver *s, double *coef, double *intercept,
                   struct cp_error *err)
{
    if (n < 2 || !(alpha >= 0) || !(l1_ratio >= 0 && l1_ratio <= 1))
        return cp_error_set(err, CP_EUSAGE,
                            "elastic net needs n >= 2, alpha >= 0 and 0 <= l1_ratio <= 1 "
                            "(n %zu, alpha %g, l1_ratio %g)",
                            n, alpha, l1_ratio);
    struct cp_ml_gram g = {0};
    int rc = cp_ml_gram_init(&g, X, y, n, p)
                 ? cp_error_oom(err)
                 : cp_ml_enet_gram(&g, alpha, l1_ratio, s, coef, intercept, err);
    cp_ml_gram_release(&g);
    return rc;
}

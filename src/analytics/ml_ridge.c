/*
 * Ridge regression on GSL's regularised least squares (include/cellpipe/ml.h): one SVD of the
 * centred design (gsl_multifit_linear_svd), the GCV curve from it (gsl_multifit_linear_gcv_init
 * and _curve on our grid), then gsl_multifit_linear_solve at the chosen value. GSL minimises
 * ||y - X c||^2 + lambda_gsl^2 ||c||^2, so lambda_gsl = sqrt(lambda) of sklearn's Ridge.
 * GSL's error handler is left alone (it is process-wide and the stages run on threads): the
 * inputs are checked first (finite, n > p), so the calls below cannot fail on them.
 */
#include <math.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"

struct ridge {
    size_t n, p;
    gsl_matrix *X;
    gsl_vector *y, *c;
    gsl_multifit_linear_workspace *w;
    double ymean, *xmean;
};

static void ridge_release(struct ridge *r)
{
    gsl_matrix_free(r->X);
    gsl_vector_free(r->y);
    gsl_vector_free(r->c);
    if (r->w)
        gsl_multifit_linear_free(r->w);
    cp_free(r->xmean);
}

/* Centre the data into GSL objects and decompose. GSL's status is translated here only. */
static int ridge_init(struct ridge *r, const double *X, const double *y, size_t n, size_t p,
                      struct cp_error *err)
{
    if (n <= p || p == 0)
        return cp_error_set(err, CP_EDATA,
                            "ridge needs more training cells than features (%zu cells, %zu "
                            "features)",
                            n, p);
    r->n = n;
    r->p = p;
    r->X = gsl_matrix_alloc(n, p);
    r->y = gsl_vector_alloc(n);
    r->c = gsl_vector_alloc(p);
    r->w = gsl_multifit_linear_alloc(n, p);
    r->xmean = cp_calloc(p, sizeof(double));
    if (!r->X || !r->y || !r->c || !r->w || !r->xmean)
        return cp_error_oom(err);
    double ys = 0;
    for (size_t i = 0; i < n; i++) {
        ys += y[i];
        for (size_t j = 0; j < p; j++)
            r->xmean[j] += X[i * p + j];
    }
    r->ymean = ys / (double)n;
    for (size_t j = 0; j < p; j++)
        r->xmean[j] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        gsl_vector_set(r->y, i, y[i] - r->ymean);
        for (size_t j = 0; j < p; j++)
            gsl_matrix_set(r->X, i, j, X[i * p + j] - r->xmean[j]);
    }
    int s = gsl_multifit_linear_svd(r->X, r->w);
    if (s)
        return cp_error_set(err, CP_EDATA, "ridge: singular value decomposition failed: %s",
                            gsl_strerror(s));
    return 0;
}

static int ridge_solve(struct ridge *r, double lambda, double *coef, double *intercept,
                       struct cp_error *err)
{
    double rnorm, snorm;
    int s = gsl_multifit_linear_solve(sqrt(lambda), r->X, r->y, r->c, &rnorm, &snorm, r->w);
    if (s)
        return cp_error_set(err, CP_EDATA, "ridge: solve at lambda %g failed: %s", lambda,
                            gsl_strerror(s));
    double b0 = r->ymean;
    for (size_t j = 0; j < r->p; j++) {
        coef[j] = gsl_vector_get(r->c, j);
        b0 -= r->xmean[j] * coef[j];
    }
    *intercept = b0;
    return 0;
}

static int check_lambda(double lambda, struct cp_error *err)
{
    if (!(lambda >= 0) || !isfinite(lambda))
        return cp_error_set(err, CP_EUSAGE, "ridge lambda must be finite and >= 0, not %g", lambda);
    return 0;
}

int cp_ml_fit_ridge(const double *X, const double *y, size_t n, size_t p, double lambda,
                    double *coef, double *intercept, struct cp_error *err)
{
    struct ridge r = {0};
    int rc = check_lambda(lambda, err);
    if (!rc)
        rc = ridge_init(&r, X, y, n, p, err);
    if (!rc)
        rc = ridge_solve(&r, lambda, coef, intercept, err);
    ridge_release(&r);
    return rc;
}

/* G(lambda) for every grid value, by GSL on our grid (gcv_init fills reg_param with its own
 * grid, which we overwrite: the curve is evaluated at whatever reg_param holds). */
static int gcv_curve(struct ridge *r, const double *grid, size_t ngrid, double *gcv,
                     struct cp_error *err)
{
    gsl_vector *reg = gsl_vector_alloc(ngrid), *uty = gsl_vector_alloc(r->p);
    gsl_vector *G = gsl_vector_alloc(ngrid);
    int rc = 0;
    double delta0;
    if (!reg || !uty || !G) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    int s = gsl_multifit_linear_gcv_init(r->y, reg, uty, &delta0, r->w);
    for (size_t k = 0; !s && k < ngrid; k++)
        gsl_vector_set(reg, k, sqrt(grid[k]));
    if (!s)
        s = gsl_multifit_linear_gcv_curve(reg, uty, delta0, G, r->w);
    if (s) {
        rc = cp_error_set(err, CP_EDATA, "ridge: GCV failed: %s", gsl_strerror(s));
        goto cleanup;
    }
    for (size_t k = 0; k < ngrid; k++)
        gcv[k] = gsl_vector_get(G, k);
cleanup:
    gsl_vector_free(reg);
    gsl_vector_free(uty);
    gsl_vector_free(G);
    return rc;
}

int cp_ml_fit_ridge_gcv(const double *X, const double *y, size_t n, size_t p, const double *grid,
                        size_t ngrid, double *gcv, size_t *chosen, double *coef, double *intercept,
                        struct cp_error *err)
{
    if (ngrid == 0)
        return cp_error_set(err, CP_EUSAGE, "ridge: empty lambda grid");
    struct ridge r = {0};
    double *g = gcv ? gcv : cp_malloc(ngrid * sizeof *g);
    int rc = g ? 0 : cp_error_oom(err);
    for (size_t k = 0; !rc && k < ngrid; k++)
        rc = check_lambda(grid[k], err);
    if (!rc)
        rc = ridge_init(&r, X, y, n, p, err);
    if (!rc)
        rc = gcv_curve(&r, grid, ngrid, g, err);
    if (!rc) {
        size_t best = 0;
        for (size_t k = 1; k < ngrid; k++)
            if (g[k] < g[best])
                best = k;
        *chosen = best;
        rc = ridge_solve(&r, grid[best], coef, intercept, err);
    }
    if (g != gcv)
        cp_free(g);
    ridge_release(&r);
    return rc;
}

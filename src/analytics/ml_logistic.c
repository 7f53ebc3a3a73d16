/*
 * L2-regularised logistic regression by Newton's method (IRLS), contract in
 * include/cellpipe/ml.h. Unknowns theta = (b0, b); the Hessian C X~' W X~ + diag(0, I) is
 * factorised by GSL's modified Cholesky (gsl_linalg_mcholesky_*), which succeeds on any
 * symmetric matrix and equals the plain Cholesky when it is positive definite: so a Hessian
 * made singular by saturated probabilities gives a descent step instead of an abort.
 */
#include <math.h>

#include <gsl/gsl_linalg.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "ml_internal.h"

static double softplus(double z)
{
    return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static double sigmoid(double z)
{
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

struct lr {
    const double *X, *y;
    size_t n, p;
    double C;
    double *z; /* n: linear predictor of the current theta */
    gsl_matrix *H;
    gsl_vector *g, *d;
    gsl_permutation *perm;
};

static void predictor(const struct lr *m, const double *theta, double *z)
{
    cp_ml_predict_linear(m->X, m->n, m->p, theta + 1, theta[0], z);
}

static double objective(const struct lr *m, const double *theta, const double *z)
{
    double f = 0, w2 = 0;
    for (size_t i = 0; i < m->n; i++)
        f += softplus(z[i]) - m->y[i] * z[i];
    for (size_t j = 0; j < m->p; j++)
        w2 += theta[1 + j] * theta[1 + j];
    return m->C * f + 0.5 * w2;
}

/* Gradient into m->g and Hessian into m->H at theta (m->z current). */
static void derivatives(struct lr *m, const double *theta)
{
    size_t q = m->p + 1;
    gsl_matrix_set_zero(m->H);
    gsl_vector_set_zero(m->g);
    for (size_t i = 0; i < m->n; i++) {
        const double *x = m->X + i * m->p;
        double pr = sigmoid(m->z[i]), r = m->C * (pr - m->y[i]), w = m->C * pr * (1 - pr);
        for (size_t a = 0; a < q; a++) {
            double xa = a ? x[a - 1] : 1.0;
            *gsl_vector_ptr(m->g, a) += r * xa;
            double *row = gsl_matrix_ptr(m->H, a, 0);
            for (size_t b = a; b < q; b++)
                row[b] += w * xa * (b ? x[b - 1] : 1.0);
        }
    }
    for (size_t a = 1; a < q; a++) {
        *gsl_vector_ptr(m->g, a) += theta[a];
        *gsl_matrix_ptr(m->H, a, a) += 1.0;
    }
    for (size_t a = 0; a < q; a++)
        for (size_t b = 0; b < a; b++)
            gsl_matrix_set(m->H, a, b, gsl_matrix_get(m->H, b, a));
}

static double max_abs(const double *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(v[i]) > m ? fabs(v[i]) : m;
    return m;
}

/*
 * One damped Newton step; *size receives max |step| taken. Far from the optimum the step is
 * halved until the objective decreases enough (Armijo, c = 1e-4); close to it (step below 1e-6
 * of theta) the full step is taken, since the objective no longer resolves the progress.
 */
static void newton_step(struct lr *m, double *theta, double *trial, double *ztrial, double *size)
{
    size_t q = m->p + 1;
    derivatives(m, theta);
    gsl_linalg_mcholesky_decomp(m->H, m->perm, NULL);
    gsl_linalg_mcholesky_solve(m->H, m->perm, m->g, m->d);
    double gd = 0, dmax = 0, scale = fmax(max_abs(theta, q), 1.0);
    for (size_t a = 0; a < q; a++) {
        gd += gsl_vector_get(m->g, a) * gsl_vector_get(m->d, a);
        dmax = fmax(dmax, fabs(gsl_vector_get(m->d, a)));
    }
    double f0 = objective(m, theta, m->z), t = 1.0;
    for (int halve = 0; halve < 60; halve++, t *= 0.5) {
        for (size_t a = 0; a < q; a++)
            trial[a] = theta[a] - t * gsl_vector_get(m->d, a);
        predictor(m, trial, ztrial);
        if (t * dmax < 1e-6 * scale || objective(m, trial, ztrial) <= f0 - 1e-4 * t * gd)
            break;
    }
    for (size_t a = 0; a < q; a++)
        theta[a] = trial[a];
    for (size_t i = 0; i < m->n; i++)
        m->z[i] = ztrial[i];
    *size = t * dmax;
}

static int check_labels(const double *y, size_t n, double C, struct cp_error *err)
{
    if (!(C > 0) || !isfinite(C))
        return cp_error_set(err, CP_EUSAGE, "logistic regression needs C > 0, not %g", C);
    size_t ones = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return cp_error_set(err, CP_EDATA, "class label of row %zu is %g, expected 0 or 1", i,
                                y[i]);
        ones += y[i] == 1;
    }
    if (ones == 0 || ones == n)
        return cp_error_set(err, CP_EDATA,
                            "logistic regression needs both classes: all %zu training cells "
                            "are class %d",
                            n, ones ? 1 : 0);
    return 0;
}

int cp_ml_fit_logistic(const double *X, const double *y, size_t n, size_t p, double C,
                       const struct cp_ml_solver *s, double *coef, double *intercept,
                       struct cp_error *err)
{
    int rc = check_labels(y, n, C, err);
    if (rc)
        return rc;
    double tol;
    long max_iter;
    cp_ml_solver_defaults(s, &tol, &max_iter);
    size_t q = p + 1;
    struct lr m = {.X = X, .y = y, .n = n, .p = p, .C = C};
    double *theta = cp_calloc(2 * q, sizeof(double)), *trial;
    double *zbuf = cp_malloc(2 * n * sizeof(double));
    m.z = zbuf;
    m.H = gsl_matrix_alloc(q, q);
    m.g = gsl_vector_alloc(q);
    m.d = gsl_vector_alloc(q);
    m.perm = gsl_permutation_alloc(q);
    if (!theta || !zbuf || !m.H || !m.g || !m.d || !m.perm) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    trial = theta + q;
    theta[0] = *intercept; /* the caller's start: zeros, or a warm start along a path */
    for (size_t j = 0; j < p; j++)
        theta[1 + j] = coef[j];
    predictor(&m, theta, m.z);
    long it = 0;
    for (; it < max_iter; it++) {
        double size;
        newton_step(&m, theta, trial, zbuf + n, &size);
        if (size <= tol * fmax(max_abs(theta, q), 1.0))
            break;
    }
    if (it == max_iter) {
        rc = cp_error_set(err, CP_EDATA,
                          "logistic regression (C %g) did not converge in %ld Newton steps", C,
                          max_iter);
        goto cleanup;
    }
    *intercept = theta[0];
    for (size_t j = 0; j < p; j++)
        coef[j] = theta[1 + j];
cleanup:
    cp_free(theta);
    cp_free(zbuf);
    gsl_matrix_free(m.H);
    gsl_vector_free(m.g);
    gsl_vector_free(m.d);
    gsl_permutation_free(m.perm);
    return rc;
}

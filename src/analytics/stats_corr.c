/* Pearson and Spearman correlation: see include/cellpipe/stats.h for the definitions. */
#include "cellpipe/stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "stats_internal.h"

/* Pearson r, or NaN when either variable is constant. */
static double pearson(const double *x, const double *y, size_t n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0)
        return NAN;
    return fmax(-1.0, fmin(1.0, sxy / sqrt(sxx * syy)));
}

static double pearson_p(double r, size_t n)
{
    if (isnan(r))
        return NAN;
    if (fabs(r) == 1)
        return 0;
    double ab = (double)n / 2.0 - 1.0;
    return 2.0 * gsl_cdf_beta_Q((fabs(r) + 1.0) / 2.0, ab, ab);
}

static double spearman_p(double rho, size_t n)
{
    if (isnan(rho))
        return NAN;
    if (fabs(rho) == 1)
        return 0;
    double df = (double)n - 2.0, t = rho * sqrt(df / ((rho + 1.0) * (1.0 - rho)));
    return 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
}

int cp_stats_correlate(const double *x, const double *y, size_t n, struct cp_stats_corr *out)
{
    int rc = 0;
    double *v = cp_malloc((4 * n + 1) * sizeof *v);
    *out = (struct cp_stats_corr){0};
    out->pearson_r = out->pearson_p = out->spearman_r = out->spearman_p = NAN;
    if (!v) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    double *a = v, *b = v + n, *ra = v + 2 * n, *rb = v + 3 * n;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            a[m] = x[i];
            b[m++] = y[i];
        }
    out->n = m;
    if (m < 3) {
        out->status = CP_STATS_TOO_FEW;
        goto cleanup;
    }
    out->pearson_r = pearson(a, b, m);
    out->pearson_p = pearson_p(out->pearson_r, m);
    if ((rc = stats_rank(a, m, ra, NULL)) < 0 || (rc = stats_rank(b, m, rb, NULL)) < 0)
        goto cleanup;
    out->spearman_r = pearson(ra, rb, m);
    out->spearman_p = spearman_p(out->spearman_r, m);
cleanup:
    cp_free(v);
    return rc;
}

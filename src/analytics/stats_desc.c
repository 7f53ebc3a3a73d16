/* Descriptive statistics of one metric: see include/cellpipe/stats.h for the definitions. */
#include "cellpipe/stats.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void median_interval(const double *s, size_t n, double level, struct cp_stats_desc *o)
{
    double half = (1.0 - level) / 2.0;
    size_t best = 0;
    for (size_t k = 1; k <= n / 2; k++) {
        if (gsl_cdf_binomial_P((unsigned)(k - 1), 0.5, (unsigned)n) <= half)
            best = k;
        else
            break;
    }
    if (best > 0) {
        o->median_lo = s[best - 1];
        o->median_hi = s[n - best];
    }
}

int cp_stats_describe(const double *x, size_t n, double level, struct cp_stats_desc *out)
{
    int rc = 0;
    double *s = NULL;
    *out = (struct cp_stats_desc){0};
    out->mean = out->sd = out->median = out->q1 = out->q3 = out->min = out->max = NAN;
    out->mean_lo = out->mean_hi = out->median_lo = out->median_hi = NAN;
    if (n == 0)
        goto cleanup;
    s = cp_malloc(n * sizeof *s);
    if (!s) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            s[m++] = x[i];
    out->n = m;
    if (m == 0)
        goto cleanup;
    qsort(s, m, sizeof *s, cmp_double);
    out->mean = gsl_stats_mean(s, 1, m);
    out->min = s[0];
    out->max = s[m - 1];
    out->median = gsl_stats_quantile_from_sorted_data(s, 1, m, 0.5);
    out->q1 = gsl_stats_quantile_from_sorted_data(s, 1, m, 0.25);
    out->q3 = gsl_stats_quantile_from_sorted_data(s, 1, m, 0.75);
    if (m >= 2) {
        out->sd = gsl_stats_sd_m(s, 1, m, out->mean);
        /*
         * GSL's quantile solves Q(t) = q to rounding (checked by quadrature of the density).
         * scipy 1.10's t.ppf is about 3e-9 off at df 41; compare with a root of scipy's t.sf.
         */
        double t = gsl_cdf_tdist_Qinv((1.0 - level) / 2.0, (double)(m - 1));
        double h = t * out->sd / sqrt((double)m);
        out->mean_lo = out->mean - h;
        out->mean_hi = out->mean + h;
    }
    median_interval(s, m, level, out);
cleanup:
    cp_free(s);
    return rc;
}

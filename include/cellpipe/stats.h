#ifndef CELLPIPE_STATS_H
#define CELLPIPE_STATS_H
/*
 * Fleet statistics (issue #18), descriptive part: one metric of one group of cells.
 * NaN values are skipped (pairwise complete). Quartiles interpolate linearly between order
 * statistics (numpy's default, GSL's gsl_stats_quantile_from_sorted_data). The interval of the
 * mean uses Student's t with n-1 degrees of freedom; the interval of the median is the
 * distribution-free order-statistic interval [x_(k), x_(n-k+1)] with the largest k such that
 * P(Binomial(n, 1/2) <= k-1) <= (1-level)/2 (coverage at least `level`).
 */
#include <stddef.h>

struct cp_stats_desc {
    size_t n; /* finite values used */
    double mean, sd, median, q1, q3, min, max;
    double mean_lo, mean_hi;     /* NaN when n < 2 */
    double median_lo, median_hi; /* NaN when no order statistic reaches the coverage */
};

/* Describe x[0..n) at confidence `level` (e.g. 0.95). 0, or a negative CP_E* code. */
int cp_stats_describe(const double *x, size_t n, double level, struct cp_stats_desc *out);

#endif

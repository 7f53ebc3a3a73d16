/*
 * Observed end of life (docs/fits.md "Observed end of life").
 *
 * The points are split into runs of consecutive points below the threshold and at or above
 * it. A run shorter than `persist` points is transient, except that a run below the
 * threshold that reaches the end of the data counts (a test stopped at end of life has
 * no points after it). End of life is the start of the first run below that is not
 * transient and after which no run at or above the threshold lasts `persist` points or more.
 */
#include "cellpipe/fit.h"

long cp_eol_observed(const double *n, const double *y, size_t m, double threshold,
                     long persist)
{
    if (persist < 1)
        persist = 1;
    size_t p = (size_t)persist, above_run = 0, run_end = 0;
    int recovered = 0, in_below = 0;
    long eol = -1;
    /* backwards: `recovered` = a persistent run at or above follows index k */
    for (size_t k = m; k-- > 0;) {
        if (!(y[k] < threshold)) {
            above_run++;
            in_below = 0;
            continue;
        }
        if (!in_below) {
            if (above_run >= p)
                recovered = 1;
            above_run = 0;
            run_end = k;
            in_below = 1;
        }
        int starts = k == 0 || !(y[k - 1] < threshold);
        size_t len = run_end - k + 1;
        if (starts && !recovered && (len >= p || run_end == m - 1))
            eol = (long)n[k];
    }
    return eol;
}

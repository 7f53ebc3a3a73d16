/*
 * Observed end of life (docs/fits.md "Observed end of life"): the first cycle after the last
 * point at or above the threshold, so retention is below from there to the end of the data,
 * provided that final run below holds at least `persist` points. A dip that recovers never
 * counts, however long; a run of fewer than `persist` points at the very end is not yet
 * end of life (it may be noise or a dip still in progress).
 */
#include "cellpipe/fit.h"

long cp_eol_observed(const double *n, const double *y, size_t m, double threshold, long persist)
{
    if (persist < 1)
        persist = 1;
    size_t k = m;
    while (k > 0 && y[k - 1] < threshold)
        k--;
    /* points k .. m-1 are the final run below */
    if (m - k < (size_t)persist)
        return -1;
    return (long)n[k];
}

/*
 * Observed end of life (docs/fits.md "Observed end of life"), the one definition behind
 * eol_observed, cycles_to_90 and cycles_to_80: the first cycle after the last plausible point
 * at or above the level, so retention is below from there to the end of the data, provided
 * that final run below holds at least `persist` points. A dip that recovers never counts,
 * however long; a run of fewer than `persist` points at the very end is not yet end of life
 * (it may be noise or a dip still in progress). "Below" is cp_below: a value equal to the
 * level in the data's own units is not below it.
 */
#include <math.h>

#include "cellpipe/fit.h"

int cp_below(double value, double level)
{
    return value < level * (1.0 - CP_LEVEL_RTOL);
}

size_t cp_eol_points(const int64_t *cyc, const double *ret, size_t a, size_t b, double *n,
                     double *y)
{
    size_t m = 0;
    for (size_t k = a; k < b; k++) {
        double v = ret[k];
        int64_t c = cyc[k];
        if (!isfinite(v) || c == CP_I64_NA || !(v > 0 && v <= CP_RETENTION_MAX) || c < 0 ||
            (m && (double)c <= n[m - 1]))
            continue;
        n[m] = (double)c;
        y[m++] = v;
    }
    return m;
}

long cp_eol_observed(const double *n, const double *y, size_t m, double threshold, long persist)
{
    if (persist < 1)
        persist = 1;
    size_t k = m;
    while (k > 0 && cp_below(y[k - 1], threshold))
        k--;
    /* points k .. m-1 are the final run below */
    if (m - k < (size_t)persist)
        return -1;
    return (long)n[k];
}

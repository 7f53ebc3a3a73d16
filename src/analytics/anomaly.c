/*
 * Anomaly detection (docs/fits.md "Anomalies"): robust z-scores of retention against a
 * local trend per cycle (include/cellpipe/robust.h), and median-absolute-deviation outliers of a
 * per-cell value within a group.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/robust.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cp_median_inplace(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The median |y[i] - y[i-1]|: a residual of the size of one ordinary cycle-to-cycle change is
 * no anomaly, however smooth the rest of the record (a trend estimate is off by about that much
 * next to a step). 0 when memory runs out. */
static double typical_step(const double *y, size_t m)
{
    double *d = m > 1 ? cp_malloc((m - 1) * sizeof *d) : NULL;
    if (!d)
        return 0;
    for (size_t i = 1; i < m; i++)
        d[i - 1] = fabs(y[i] - y[i - 1]);
    double med = cp_median_inplace(d, m - 1);
    cp_free(d);
    return med;
}

int cp_anomaly_cycles(const double *y, size_t m, double zlim, unsigned char *flag, double *z,
                      size_t *count)
{
    *count = 0;
    memset(flag, 0, m);
    if (m < CP_ANOMALY_WINDOW)
        return 0;
    double *r = cp_malloc(m * sizeof *r);
    if (!r || cp_robust_residuals(NULL, y, m, CP_ANOMALY_WINDOW, r) < 0) {
        cp_free(r);
        return -CP_EINTERNAL;
    }
    double floor = fmax(fmax(CP_ANOMALY_MIN_SCALE, cp_robust_resolution(y, m)), typical_step(y, m));
    double scale = cp_robust_scale(r, m, floor);
    if (isnan(scale)) {
        cp_free(r);
        return -CP_EINTERNAL;
    }
    for (size_t i = 0; i < m; i++) {
        double zi = r[i] / scale;
        if (z)
            z[i] = zi;
        if (fabs(zi) > zlim) {
            flag[i] = 1;
            (*count)++;
        }
    }
    cp_free(r);
    return 0;
}

int cp_anomaly_mad(const double *v, size_t n, double limit, unsigned char *flag, double *z)
{
    memset(flag, 0, n);
    double *tmp = cp_malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return -CP_EINTERNAL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            tmp[k++] = v[i];
    int rc = 0;
    if (k < CP_ANOMALY_MIN_GROUP)
        goto cleanup;
    double med = cp_median_inplace(tmp, k);
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            tmp[k++] = fabs(v[i] - med);
    double mad = 1.4826 * cp_median_inplace(tmp, k);
    if (!(mad > 0))
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        z[i] = (v[i] - med) / mad;
        flag[i] = fabs(z[i]) > limit;
    }
cleanup:
    cp_free(tmp);
    return rc;
}

/*
 * Anomaly detection (docs/fits.md "Anomalies"): robust z-scores of retention against a
 * rolling median per cycle, and median-absolute-deviation outliers of a per-cell value
 * within a group.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"

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

/* Median of at most CP_ANOMALY_WINDOW values by insertion sort (the window is small). */
static double small_median(const double *src, size_t n)
{
    double v[CP_ANOMALY_WINDOW];
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && v[j - 1] > src[i]) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = src[i];
    }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int cp_anomaly_cycles(const double *y, size_t m, double zlim, unsigned char *flag, double *z,
                      size_t *count)
{
    *count = 0;
    memset(flag, 0, m);
    if (m < CP_ANOMALY_WINDOW)
        return 0;
    double *r = cp_malloc(2 * m * sizeof *r);
    if (!r)
        return -CP_EINTERNAL;
    double *tmp = r + m;
    size_t h = CP_ANOMALY_WINDOW / 2;
    for (size_t i = 0; i < m; i++) {
        size_t lo = i > h ? i - h : 0, hi = i + h < m ? i + h : m - 1;
        r[i] = y[i] - small_median(y + lo, hi - lo + 1);
        tmp[i] = r[i];
    }
    double med = cp_median_inplace(tmp, m);
    for (size_t i = 0; i < m; i++)
        tmp[i] = fabs(r[i] - med);
    double scale = fmax(1.4826 * cp_median_inplace(tmp, m), CP_ANOMALY_MIN_SCALE);
    for (size_t i = 0; i < m; i++) {
        double zi = (r[i] - med) / scale;
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

/* Robust residuals against a local trend: see include/cellpipe/robust.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/robust.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) through a sorted copy in tmp; windows are small, so insertion sort below
 * 32 values (a call per point of every record: it is the hot loop of validation and the
 * anomaly scores). */
static double median_sorted_copy(const double *v, size_t n, double *tmp)
{
    if (n <= 32) {
        for (size_t i = 0; i < n; i++) {
            size_t j = i;
            while (j > 0 && tmp[j - 1] > v[i]) {
                tmp[j] = tmp[j - 1];
                j--;
            }
            tmp[j] = v[i];
        }
    } else {
        memcpy(tmp, v, n * sizeof *tmp);
        qsort(tmp, n, sizeof *tmp, cmp_double);
    }
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static double pos(const double *x, size_t i)
{
    return x ? x[i] : (double)i;
}

/* Weighted least-squares quadratic c[0] + c[1] u + c[2] u^2, u = x - xc, over [a, a+w) with
 * weights wt; the straight line (c[2] = 0) when the quadratic is singular. */
static void fit_quadratic(const double *x, const double *y, size_t a, size_t w, const double *wt,
                          double xc, double c[3])
{
    double s[5] = {0}, t[3] = {0};
    for (size_t k = 0; k < w; k++) {
        double u = pos(x, a + k) - xc, p = wt[k];
        for (int d = 0; d < 5; d++, p *= u) {
            s[d] += p;
            if (d < 3)
                t[d] += p * y[a + k];
        }
    }
    double m[3][3] = {{s[0], s[1], s[2]}, {s[1], s[2], s[3]}, {s[2], s[3], s[4]}};
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    if (det != 0 && fabs(det) > 1e-12 * fabs(s[0] * s[2] * s[4])) {
        for (int r = 0; r < 3; r++) { /* Cramer's rule: column r replaced by t */
            double q[3][3];
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 3; k++)
                    q[i][k] = k == r ? t[i] : m[i][k];
            c[r] = (q[0][0] * (q[1][1] * q[2][2] - q[1][2] * q[2][1]) -
                    q[0][1] * (q[1][0] * q[2][2] - q[1][2] * q[2][0]) +
                    q[0][2] * (q[1][0] * q[2][1] - q[1][1] * q[2][0])) /
                   det;
        }
        return;
    }
    double d2 = s[0] * s[2] - s[1] * s[1];
    c[2] = 0;
    c[1] = d2 != 0 ? (s[0] * t[1] - s[1] * t[0]) / d2 : 0;
    c[0] = s[0] > 0 ? (t[0] - c[1] * s[1]) / s[0] : 0;
}

/* Start of the edge fit: the line through the window's median point (median position, median
 * value) with the median of the slopes from that point to the others, as c[]. */
static void median_line(const double *x, const double *y, size_t a, size_t w, double xc,
                        double c[3], double *tmp)
{
    double *xs = tmp + w;
    for (size_t k = 0; k < w; k++)
        xs[k] = pos(x, a + k);
    double mx = median_sorted_copy(xs, w, tmp), my = median_sorted_copy(y + a, w, tmp);
    size_t ns = 0;
    for (size_t k = 0; k < w; k++)
        if (xs[k] != mx)
            tmp[ns++] = (y[a + k] - my) / (xs[k] - mx);
    qsort(tmp, ns, sizeof *tmp, cmp_double);
    double slope = ns == 0 ? 0 : ns % 2 ? tmp[ns / 2] : 0.5 * (tmp[ns / 2 - 1] + tmp[ns / 2]);
    c[0] = my + slope * (xc - mx);
    c[1] = slope;
    c[2] = 0;
}

#define EDGE_ITERATIONS 6
#define BISQUARE_C 4.685 /* Tukey's constant: 95 % efficiency at normal noise */

/* The trend near an end of the record, over the w points of [a, a+w): a quadratic (the ends
 * of a capacity record are often curved: fast early fade, a knee) fitted robustly, by
 * iteratively reweighted least squares with Tukey's bisquare weights, started from the median
 * line, so that outliers among those points (formation cycles, a spike) get no weight and do
 * not pull the trend towards themselves. Residuals for i in [from, to). tmp: 3w doubles. */
static void edge_trend(const double *x, const double *y, size_t a, size_t w, size_t from, size_t to,
                       double *res, double *tmp)
{
    double c[3], xc = pos(x, a + w / 2), *wt = tmp + 2 * w;
    median_line(x, y, a, w, xc, c, tmp);
    for (int it = 0; it < EDGE_ITERATIONS; it++) {
        for (size_t k = 0; k < w; k++) {
            double u = pos(x, a + k) - xc;
            wt[k] = y[a + k] - (c[0] + c[1] * u + c[2] * u * u);
            tmp[k] = fabs(wt[k]);
        }
        double scale = 1.4826 * median_sorted_copy(tmp, w, tmp + w);
        if (!(scale > 0))
            break; /* the fit is exact on most points already */
        for (size_t k = 0; k < w; k++) {
            double z = wt[k] / (BISQUARE_C * scale);
            wt[k] = fabs(z) < 1 ? (1 - z * z) * (1 - z * z) : 0;
        }
        fit_quadratic(x, y, a, w, wt, xc, c);
    }
    for (size_t i = from; i < to; i++) {
        double u = pos(x, i) - xc;
        res[i] = y[i] - (c[0] + c[1] * u + c[2] * u * u);
    }
}

int cp_robust_residuals(const double *x, const double *y, size_t m, size_t w, double *res)
{
    if (w < 3)
        w = 3;
    w |= 1;
    if (m < 3) {
        for (size_t i = 0; i < m; i++)
            res[i] = 0;
        return 0;
    }
    if (w > m)
        w = m % 2 ? m : m - 1;
    size_t h = w / 2;
    double *tmp = cp_malloc(3 * w * sizeof *tmp);
    if (!tmp)
        return -CP_EINTERNAL;
    for (size_t i = h; i + h < m; i++)
        res[i] = y[i] - median_sorted_copy(y + i - h, w, tmp);
    edge_trend(x, y, 0, w, 0, h < m ? h : m, res, tmp);
    edge_trend(x, y, m - w, w, m - h > h ? m - h : h, m, res, tmp);
    cp_free(tmp);
    return 0;
}

double cp_robust_scale(const double *r, size_t m, double floor)
{
    if (m == 0)
        return NAN;
    double *tmp = cp_malloc(2 * m * sizeof *tmp);
    if (!tmp)
        return NAN;
    double med = median_sorted_copy(r, m, tmp);
    for (size_t i = 0; i < m; i++)
        tmp[m + i] = fabs(r[i] - med);
    double mad = median_sorted_copy(tmp + m, m, tmp);
    cp_free(tmp);
    return fmax(1.4826 * mad, floor);
}

double cp_robust_resolution(const double *y, size_t m)
{
    double *v = m ? cp_malloc(m * sizeof *v) : NULL;
    if (!v)
        return 0;
    memcpy(v, y, m * sizeof *v);
    qsort(v, m, sizeof *v, cmp_double);
    double step = 0;
    for (size_t i = 1; i < m; i++) {
        double d = v[i] - v[i - 1];
        if (d > 0 && (step == 0 || d < step))
            step = d;
    }
    cp_free(v);
    return step;
}

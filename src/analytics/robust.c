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

static double median_sorted_copy(const double *v, size_t n, double *tmp)
{
    memcpy(tmp, v, n * sizeof *tmp);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static double pos(const double *x, size_t i)
{
    return x ? x[i] : (double)i;
}

/* The robust line through y[a..a+w) evaluated at each i in [from, to). tmp: 2w doubles. */
static void edge_line(const double *x, const double *y, size_t a, size_t w, size_t from, size_t to,
                      double *res, double *tmp)
{
    double *xs = tmp + w;
    for (size_t k = 0; k < w; k++)
        xs[k] = pos(x, a + k);
    double mx = median_sorted_copy(xs, w, tmp);
    double my = median_sorted_copy(y + a, w, tmp);
    size_t ns = 0;
    for (size_t k = 0; k < w; k++)
        if (xs[k] != mx)
            tmp[ns++] = (y[a + k] - my) / (xs[k] - mx);
    qsort(tmp, ns, sizeof *tmp, cmp_double);
    double slope = ns == 0 ? 0 : ns % 2 ? tmp[ns / 2] : 0.5 * (tmp[ns / 2 - 1] + tmp[ns / 2]);
    for (size_t i = from; i < to; i++)
        res[i] = y[i] - (my + slope * (pos(x, i) - mx));
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
    double *tmp = cp_malloc(2 * w * sizeof *tmp);
    if (!tmp)
        return -CP_EINTERNAL;
    for (size_t i = h; i + h < m; i++)
        res[i] = y[i] - median_sorted_copy(y + i - h, w, tmp);
    edge_line(x, y, 0, w, 0, h < m ? h : m, res, tmp);
    edge_line(x, y, m - w, w, m - h > h ? m - h : h, m, res, tmp);
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

/*
 * LTTB downsampling (Steinarsson 2013, "Downsampling Time Series for Visual Representation"),
 * one pass, O(n). Plain LTTB keeps the visual shape but may drop the single lowest or highest
 * point; a reader compares extremes, so the bucket holding the global min or max keeps it.
 */
#include "cellpipe/lttb.h"

#include <math.h>

#include "cellpipe/alloc.h"

static void extremes(const double *y, size_t n, size_t *imin, size_t *imax)
{
    *imin = *imax = 0;
    for (size_t i = 1; i < n; i++) {
        if (y[i] < y[*imin])
            *imin = i;
        if (y[i] > y[*imax])
            *imax = i;
    }
}

/* Point of [start, end) forming the largest triangle with point a and the centroid (cx, cy). */
static size_t largest_triangle(const double *x, const double *y, size_t start, size_t end, size_t a,
                               double cx, double cy)
{
    double best = -1.0;
    size_t pick = start;
    double ax = x[a], ay = y[a];
    for (size_t j = start; j < end; j++) {
        /* twice the area; the factor does not change the arg max */
        double area = fabs((ax - cx) * (y[j] - ay) - (ax - x[j]) * (cy - ay));
        if (area > best) {
            best = area;
            pick = j;
        }
    }
    return pick;
}

size_t cp_lttb(const double *x, const double *y, size_t n, size_t m, size_t *idx)
{
    if (m < 3)
        m = 3;
    if (n <= m) {
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        return n;
    }
    size_t imin, imax;
    extremes(y, n, &imin, &imax);
    double every = (double)(n - 2) / (double)(m - 2);
    size_t out = 0, a = 0;
    idx[out++] = 0;
    for (size_t b = 0; b < m - 2; b++) {
        size_t start = (size_t)floor(b * every) + 1;
        size_t end = (size_t)floor((b + 1) * every) + 1;
        if (end > n - 1)
            end = n - 1;
        if (start >= end)
            continue;
        int has_min = imin >= start && imin < end;
        int has_max = imax >= start && imax < end;
        if (has_min || has_max) {
            if (has_min && has_max && imin != imax) {
                idx[out++] = imin < imax ? imin : imax;
                idx[out++] = imin < imax ? imax : imin;
            } else {
                idx[out++] = has_min ? imin : imax;
            }
            a = idx[out - 1];
            continue;
        }
        size_t nstart = end;
        size_t nend = (size_t)floor((b + 2) * every) + 1;
        if (nend > n)
            nend = n;
        if (nstart >= nend) {
            nstart = n - 1;
            nend = n;
        }
        double cx = 0, cy = 0;
        for (size_t j = nstart; j < nend; j++) {
            cx += x[j];
            cy += y[j];
        }
        cx /= (double)(nend - nstart);
        cy /= (double)(nend - nstart);
        a = largest_triangle(x, y, start, end, a, cx, cy);
        idx[out++] = a;
    }
    idx[out++] = n - 1;
    return out;
}

#define MINMAX_RATIO 2 /* buckets per output point: 2 candidates each, 4 per output point */

/* Index of the min and the max of y over [b, e), in index order, into out; returns 1 or 2. */
static size_t bucket_minmax(const double *y, size_t b, size_t e, size_t *out)
{
    /* the running extremes stay in registers: this loop is the one pass over all the data */
    size_t lo = b, hi = b;
    double vlo = y[b], vhi = y[b];
    for (size_t i = b + 1; i < e; i++) {
        double v = y[i];
        if (v < vlo) {
            vlo = v;
            lo = i;
        }
        if (v > vhi) {
            vhi = v;
            hi = i;
        }
    }
    if (lo == hi) {
        out[0] = lo;
        return 1;
    }
    out[0] = lo < hi ? lo : hi;
    out[1] = lo < hi ? hi : lo;
    return 2;
}

long cp_minmax_lttb(const double *x, const double *y, size_t n, size_t m, size_t *idx)
{
    if (m < 3)
        m = 3;
    size_t nb = m * MINMAX_RATIO;
    if (n <= 2 * nb + 2)
        return (long)cp_lttb(x, y, n, m, idx);
    size_t cap = 2 * nb + 2, k = 0;
    size_t *cand = cp_malloc(cap * sizeof(size_t));
    size_t *pick = cp_malloc((m + 2) * sizeof(size_t));
    double *cx = cp_malloc(cap * sizeof(double)), *cy = cp_malloc(cap * sizeof(double));
    long out = -1;
    if (!cand || !pick || !cx || !cy)
        goto cleanup;
    cand[k++] = 0;
    double every = (double)(n - 2) / (double)nb;
    for (size_t b = 0; b < nb; b++) {
        size_t start = (size_t)(b * every) + 1, end = (size_t)((b + 1) * every) + 1;
        if (end > n - 1)
            end = n - 1;
        if (start < end)
            k += bucket_minmax(y, start, end, cand + k);
    }
    cand[k++] = n - 1;
    for (size_t i = 0; i < k; i++) {
        cx[i] = x[cand[i]];
        cy[i] = y[cand[i]];
    }
    out = (long)cp_lttb(cx, cy, k, m, pick);
    for (long i = 0; i < out; i++)
        idx[i] = cand[pick[i]];
cleanup:
    cp_free(cand);
    cp_free(pick);
    cp_free(cx);
    cp_free(cy);
    return out;
}

/* dQ/dV curves and Severson early-life features (contract in include/cellpipe/dqdv.h). */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dqdv.h"
#include "cellpipe/error.h"
#include "cellpipe/table.h"

struct cp_dqdv {
    struct cp_dqdv_options o;
    struct cp_table *curves;
    char *cell_id;
    double v[CP_DQDV_BUF], q[CP_DQDV_BUF];
    long n;
    long stride, skip;    /* keep one point in `stride` once the buffer has been halved */
    double *grid_a, *q_a; /* Severson reference cycle on its grid */
    int have_a;
    struct cp_severson sev;
    double *grid, *qg, *work; /* per-cycle scratch, npoints each */
};

void cp_dqdv_options_init(struct cp_dqdv_options *o)
{
    o->npoints = 100;
    o->smooth = 3;
    o->cycle_a = 10;
    o->cycle_b = 100;
    o->severson_points = 1000;
}

struct cp_dqdv *cp_dqdv_new(const struct cp_dqdv_options *o, struct cp_table *curves,
                            const char *cell_id)
{
    struct cp_dqdv *d = cp_calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->o = *o;
    if (d->o.npoints < 3)
        d->o.npoints = 3;
    if (d->o.severson_points < 3)
        d->o.severson_points = 3;
    d->curves = curves;
    d->stride = 1;
    d->cell_id = cp_strdup(cell_id);
    d->grid_a = cp_calloc((size_t)d->o.severson_points, sizeof(double));
    d->q_a = cp_calloc((size_t)d->o.severson_points, sizeof(double));
    size_t big =
        (size_t)(d->o.npoints > d->o.severson_points ? d->o.npoints : d->o.severson_points);
    d->grid = cp_calloc(big, sizeof(double));
    d->qg = cp_calloc(big, sizeof(double));
    d->work = cp_calloc(big, sizeof(double));
    if (!d->cell_id || !d->grid_a || !d->q_a || !d->grid || !d->qg || !d->work) {
        cp_dqdv_free(d);
        return NULL;
    }
    return d;
}

void cp_dqdv_free(struct cp_dqdv *d)
{
    if (!d)
        return;
    cp_free(d->cell_id);
    cp_free(d->grid_a);
    cp_free(d->q_a);
    cp_free(d->grid);
    cp_free(d->qg);
    cp_free(d->work);
    cp_free(d);
}

/* Halve the buffer: keep every other point, and from now on one point in twice as many. */
static void halve(struct cp_dqdv *d)
{
    long k = 0;
    for (long i = 0; i < d->n; i += 2, k++) {
        d->v[k] = d->v[i];
        d->q[k] = d->q[i];
    }
    d->n = k;
    d->stride *= 2;
}

void cp_dqdv_point(struct cp_dqdv *d, double voltage_v, double discharge_ah, double current_a)
{
    if (!(current_a < 0) || isnan(voltage_v) || isnan(discharge_ah))
        return;
    if (++d->skip < d->stride)
        return;
    d->skip = 0;
    if (d->n == CP_DQDV_BUF)
        halve(d);
    d->v[d->n] = voltage_v;
    d->q[d->n] = discharge_ah;
    d->n++;
}

void cp_dqdv_q_on_grid(const double *v, const double *q, long n, const double *grid, int ngrid,
                       double *out)
{
    int next = 0;
    for (int k = 0; k < ngrid; k++)
        out[k] = NAN;
    /* grid points above the first sample are never crossed */
    while (n > 0 && next < ngrid && grid[next] > v[0])
        next++;
    for (long i = 1; i < n && next < ngrid; i++) {
        double v0 = v[i - 1], v1 = v[i];
        while (next < ngrid && grid[next] >= v1 && v1 < v0) {
            if (grid[next] <= v0)
                out[next] = q[i - 1] + (q[i] - q[i - 1]) * (v0 - grid[next]) / (v0 - v1);
            next++;
        }
    }
}

static void fill_grid(double *grid, int n, double hi, double lo)
{
    for (int k = 0; k < n; k++)
        grid[k] = hi + (lo - hi) * (double)k / (double)(n - 1);
}

static void range_of(const struct cp_dqdv *d, double *hi, double *lo)
{
    *hi = -INFINITY;
    *lo = INFINITY;
    for (long i = 0; i < d->n; i++) {
        *hi = fmax(*hi, d->v[i]);
        *lo = fmin(*lo, d->v[i]);
    }
}

/* Moving average of x[0..n) over 2h+1 points into y, NaN skipped. */
static void smooth(const double *x, int n, int h, double *y)
{
    for (int k = 0; k < n; k++) {
        double s = 0;
        int c = 0;
        for (int j = k - h; j <= k + h; j++) {
            if (j >= 0 && j < n && !isnan(x[j])) {
                s += x[j];
                c++;
            }
        }
        y[k] = c ? s / c : NAN;
    }
}

static int write_curve(struct cp_dqdv *d, int64_t cycle, double hi, double lo, struct cp_error *err)
{
    int n = d->o.npoints;
    fill_grid(d->grid, n, hi, lo);
    cp_dqdv_q_on_grid(d->v, d->q, d->n, d->grid, n, d->qg);
    for (int k = 0; k + 1 < n; k++)
        d->work[k] = -(d->qg[k + 1] - d->qg[k]) / (d->grid[k + 1] - d->grid[k]);
    double *sm = d->qg; /* Q is no longer needed */
    smooth(d->work, n - 1, d->o.smooth, sm);
    struct cp_table *t = d->curves;
    int cid = cp_table_add_column(t, "cell_id", CP_STR);
    int cix = cp_table_add_column(t, "cycle_index", CP_I64);
    int cv = cp_table_add_column(t, "voltage_v", CP_F64);
    int cd = cp_table_add_column(t, "dqdv_ah_per_v", CP_F64);
    if (cid < 0 || cix < 0 || cv < 0 || cd < 0)
        return cp_error_oom(err);
    for (int k = 0; k + 1 < n; k++) {
        if (isnan(sm[k]))
            continue;
        long row = cp_table_add_row(t);
        if (row < 0 || cp_table_set_str(t, cid, (size_t)row, d->cell_id) < 0)
            return cp_error_oom(err);
        cp_table_set_i64(t, cix, (size_t)row, cycle);
        cp_table_set_f64(t, cv, (size_t)row, 0.5 * (d->grid[k] + d->grid[k + 1]));
        cp_table_set_f64(t, cd, (size_t)row, sm[k]);
    }
    return 0;
}

static void severson_a(struct cp_dqdv *d, double hi, double lo)
{
    double trim = 0.01 * (hi - lo);
    fill_grid(d->grid_a, d->o.severson_points, hi - trim, lo + trim);
    cp_dqdv_q_on_grid(d->v, d->q, d->n, d->grid_a, d->o.severson_points, d->q_a);
    d->have_a = 1;
}

static void severson_b(struct cp_dqdv *d)
{
    int n = d->o.severson_points;
    double *qb = d->work;
    cp_dqdv_q_on_grid(d->v, d->q, d->n, d->grid_a, n, qb);
    double sum = 0, mn = INFINITY;
    long c = 0;
    for (int k = 0; k < n; k++) {
        double dq = qb[k] - d->q_a[k];
        if (isnan(dq))
            continue;
        sum += dq;
        mn = fmin(mn, dq);
        c++;
    }
    if (c < 3)
        return;
    double mean = sum / (double)c, ss = 0;
    for (int k = 0; k < n; k++) {
        double dq = qb[k] - d->q_a[k];
        if (!isnan(dq))
            ss += (dq - mean) * (dq - mean);
    }
    d->sev.ok = 1;
    d->sev.mean = mean;
    d->sev.min = mn;
    d->sev.log10_var = log10(ss / (double)c);
}

int cp_dqdv_end_cycle(struct cp_dqdv *d, int64_t cycle, struct cp_error *err)
{
    int rc = 0;
    double hi, lo;
    range_of(d, &hi, &lo);
    if (d->n >= 2 && hi > lo) {
        if (d->curves)
            rc = write_curve(d, cycle, hi, lo, err);
        if (cycle == d->o.cycle_a)
            severson_a(d, hi, lo);
        else if (cycle == d->o.cycle_b && d->have_a)
            severson_b(d);
    }
    d->n = 0;
    d->stride = 1;
    d->skip = 0;
    return rc;
}

const struct cp_severson *cp_dqdv_severson(const struct cp_dqdv *d)
{
    return &d->sev;
}

/*
 * The early-life feature catalogue (include/cellpipe/ml.h, definitions in docs/ml.md): the
 * Severson et al. 2019 summary features of each cell's first N cycles, from the canonical
 * cycles columns. A cell that lacks one is left out with the reason, never imputed.
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/ml.h"
#include "cellpipe/table.h"

enum { F_QD2, F_QMAX, F_SLOPE, F_ICPT, F_FADE, F_CEMEAN, F_CESD, F_TEMP, F_IR2, F_IRCHG, F_COUNT };

static const char *const feature_name[F_COUNT] = {
    "qd_2",        "qd_max_minus_qd_2", "qd_slope_last10", "qd_intercept_last10",
    "qd_fade_rel", "ce_mean",           "ce_sd",           "temperature_mean_c",
    "ir_2",        "ir_change"};

struct cols {
    const int64_t *cyc;
    const double *qd, *qc, *temp, *ir;
    char **id;
};

/* One cell's rows [a, b) restricted to cycles 1..N. */
struct cell {
    const struct cols *c;
    size_t a, b;
    long N;
};

static int any_finite(const double *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (isfinite(v[i]))
            return 1;
    return 0;
}

/* Value of column v at the first row of cycle k, NaN when absent. */
static double at_cycle(const struct cell *e, const double *v, long k)
{
    for (size_t r = e->a; r < e->b; r++)
        if (e->c->cyc[r] == k)
            return v[r];
    return NAN;
}

/* Least-squares line of qd against cycle index over cycles N-9..N; 0, or -1 with < 2 points. */
static int last10_line(const struct cell *e, double *slope, double *icpt)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t m = 0;
    for (size_t r = e->a; r < e->b; r++) {
        int64_t k = e->c->cyc[r];
        if (k < e->N - 9 || k > e->N || !isfinite(e->c->qd[r]))
            continue;
        double x = (double)k, y = e->c->qd[r];
        sx += x, sy += y, sxx += x * x, sxy += x * y, m++;
    }
    if (m < 2)
        return -1;
    double mx = sx / (double)m, my = sy / (double)m;
    double vxx = sxx - (double)m * mx * mx, vxy = sxy - (double)m * mx * my;
    if (!(vxx > 0))
        return -1;
    *slope = vxy / vxx;
    *icpt = my - *slope * mx;
    return 0;
}

/* Mean and sample sd of discharge / charge capacity over cycles 2..N. */
static void ce_stats(const struct cell *e, double *mean, double *sd)
{
    double s = 0, ss = 0;
    size_t m = 0;
    for (size_t r = e->a; r < e->b; r++) {
        double qc = e->c->qc[r], qd = e->c->qd[r];
        if (e->c->cyc[r] < 2 || e->c->cyc[r] > e->N || !(qc > 0) || !isfinite(qd))
            continue;
        s += qd / qc;
        m++;
    }
    *mean = m ? s / (double)m : NAN;
    for (size_t r = e->a; m > 1 && r < e->b; r++) {
        double qc = e->c->qc[r], qd = e->c->qd[r];
        if (e->c->cyc[r] < 2 || e->c->cyc[r] > e->N || !(qc > 0) || !isfinite(qd))
            continue;
        ss += (qd / qc - *mean) * (qd / qc - *mean);
    }
    *sd = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
}

static double mean_early(const struct cell *e, const double *v)
{
    double s = 0;
    size_t m = 0;
    for (size_t r = e->a; r < e->b; r++)
        if (e->c->cyc[r] >= 1 && e->c->cyc[r] <= e->N && isfinite(v[r])) {
            s += v[r];
            m++;
        }
    return m ? s / (double)m : NAN;
}

static void cell_features(const struct cell *e, double *f)
{
    const struct cols *c = e->c;
    double qmax = -INFINITY;
    for (size_t r = e->a; r < e->b; r++)
        if (c->cyc[r] >= 1 && c->cyc[r] <= e->N && isfinite(c->qd[r]) && c->qd[r] > qmax)
            qmax = c->qd[r];
    f[F_QD2] = at_cycle(e, c->qd, 2);
    f[F_QMAX] = qmax - f[F_QD2];
    if (last10_line(e, &f[F_SLOPE], &f[F_ICPT]))
        f[F_SLOPE] = f[F_ICPT] = NAN;
    /* the fade to cycle N as a fraction of cycle 2: the line's value at N, so that one noisy
     * cycle does not decide it */
    f[F_FADE] = 1.0 - (f[F_ICPT] + f[F_SLOPE] * (double)e->N) / f[F_QD2];
    f[F_CEMEAN] = f[F_CESD] = f[F_TEMP] = f[F_IR2] = f[F_IRCHG] = NAN;
    if (c->qc)
        ce_stats(e, &f[F_CEMEAN], &f[F_CESD]);
    if (c->temp)
        f[F_TEMP] = mean_early(e, c->temp);
    if (c->ir) {
        f[F_IR2] = at_cycle(e, c->ir, 2);
        f[F_IRCHG] = at_cycle(e, c->ir, e->N) - f[F_IR2];
    }
}

static const char *const reason_of[F_COUNT] = {
    "no discharge capacity at cycle 2",
    "no discharge capacity at cycle 2",
    "fewer than 2 discharge capacities in the last 10 early cycles",
    "fewer than 2 discharge capacities in the last 10 early cycles",
    "fewer than 2 discharge capacities in the last 10 early cycles",
    "no coulombic efficiency (charge capacity) in cycles 2..N",
    "fewer than 2 coulombic efficiencies in cycles 2..N",
    "no temperature_avg_c in the early cycles",
    "no internal resistance at cycle 2",
    "no internal resistance at cycle 2 and cycle N"};

/* The reason a cell is left out, into a new string; NULL with *oom = 0 when it is usable. */
static char *left_out(const struct cell *e, const double *f, const int *in, int *oom)
{
    char buf[160];
    int64_t last = 0;
    for (size_t r = e->a; r < e->b; r++)
        if (e->c->cyc[r] <= e->N && e->c->cyc[r] > last)
            last = e->c->cyc[r];
    buf[0] = 0;
    if (last < e->N)
        snprintf(buf, sizeof buf, "only %lld of the %ld early cycles", (long long)last, e->N);
    for (int k = 0; !buf[0] && k < F_COUNT; k++)
        if (in[k] && !isfinite(f[k]))
            snprintf(buf, sizeof buf, "%s", reason_of[k]);
    if (!buf[0])
        return NULL;
    char *s = cp_strdup(buf);
    *oom = !s;
    return s;
}

static int resolve(const struct cp_table *t, struct cols *c, int *in, struct cp_error *err)
{
    c->cyc = cp_table_i64(t, "cycle_index");
    c->qd = cp_table_f64(t, "discharge_capacity_ah");
    c->id = cp_table_str(t, "cell_id");
    if (!c->cyc || !c->qd || !c->id)
        return cp_error_set(err, CP_EDATA,
                            "cycles table needs cell_id, cycle_index and "
                            "discharge_capacity_ah for early-life features");
    if (!t->group_start)
        return cp_error_set(err, CP_EUSAGE, "cycles table is not grouped by cell_id");
    c->qc = cp_table_f64(t, "charge_capacity_ah");
    c->temp = cp_table_f64(t, "temperature_avg_c");
    c->ir = cp_table_f64(t, "internal_resistance_ohm");
    if (!any_finite(c->qc, t->nrows))
        c->qc = NULL;
    if (!any_finite(c->temp, t->nrows))
        c->temp = NULL;
    if (!any_finite(c->ir, t->nrows))
        c->ir = NULL;
    for (int k = 0; k < F_COUNT; k++)
        in[k] = k < F_CEMEAN || (k < F_TEMP    ? c->qc != NULL
                                 : k == F_TEMP ? c->temp != NULL
                                               : c->ir != NULL);
    return 0;
}

static int features_alloc(struct cp_ml_features *out, const int *in, size_t ncells,
                          struct cp_error *err)
{
    out->ncells = ncells;
    for (int k = 0; k < F_COUNT; k++)
        out->p += (size_t)in[k];
    out->names = cp_malloc(F_COUNT * sizeof *out->names);
    out->cell_id = cp_calloc(ncells + 1, sizeof *out->cell_id);
    out->left_out = cp_calloc(ncells + 1, sizeof *out->left_out);
    out->X = cp_malloc((ncells * out->p + 1) * sizeof *out->X);
    if (!out->names || !out->cell_id || !out->left_out || !out->X)
        return cp_error_oom(err);
    for (int k = 0, j = 0; k < F_COUNT; k++)
        if (in[k])
            out->names[j++] = feature_name[k];
    return 0;
}

int cp_ml_features_compute(const struct cp_table *cycles, const struct cp_ml_features_config *cfg,
                           struct cp_ml_features *out, struct cp_error *err)
{
    *out = (struct cp_ml_features){0};
    long N = cfg && cfg->early_cycles ? cfg->early_cycles : 100;
    if (N < 10)
        return cp_error_set(err, CP_EUSAGE, "early_cycles must be at least 10, not %ld", N);
    struct cols c = {0};
    int in[F_COUNT] = {0};
    int rc = resolve(cycles, &c, in, err);
    if (!rc)
        rc = features_alloc(out, in, cycles->ngroups, err);
    for (size_t g = 0; !rc && g < cycles->ngroups; g++) {
        struct cell e = {&c, cycles->group_start[g], cycles->group_start[g + 1], N};
        double f[F_COUNT];
        int oom = 0;
        cell_features(&e, f);
        out->cell_id[g] = cp_strdup(c.id[e.a] ? c.id[e.a] : "");
        out->left_out[g] = left_out(&e, f, in, &oom);
        if (oom || !out->cell_id[g])
            rc = cp_error_oom(err);
        for (int k = 0, j = 0; k < F_COUNT; k++)
            if (in[k])
                out->X[g * out->p + (size_t)j++] = f[k];
        out->nused += !out->left_out[g];
    }
    if (rc)
        cp_ml_features_release(out);
    return rc;
}

void cp_ml_features_release(struct cp_ml_features *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->ncells; i++) {
        if (f->cell_id)
            cp_free(f->cell_id[i]);
        if (f->left_out)
            cp_free(f->left_out[i]);
    }
    cp_free(f->cell_id);
    cp_free(f->left_out);
    cp_free(f->names);
    cp_free(f->X);
    *f = (struct cp_ml_features){0};
}

/* The features stage: see include/cellpipe/features.h and pipelines/README.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/features.h"
#include "cellpipe/fit.h"

/* Columns read and written, resolved once. */
struct fcols {
    int64_t *cyc, *start;
    double *qd, *qc, *ed, *ec, *temp, *tt;
    double *ce, *ee, *ret, *tcomp, *fade, *frac, *days, *efc;
    double *mean[8], *std[8];
};

static double *add_f64(struct cp_table *t, const char *name)
{
    int c = cp_table_add_column(t, name, CP_F64);
    return c < 0 ? NULL : t->cols[c].v.f64;
}

static int resolve(const struct cp_features_config *fc, struct cp_table *t, struct fcols *c)
{
    const char *const *out = cp_feature_columns;
    for (size_t i = 0; out[i]; i++)
        if (!add_f64(t, out[i]))
            return -1;
    for (size_t w = 0; w < fc->nwindows; w++) {
        char name[64];
        snprintf(name, sizeof(name), "retention_mean_%ld", fc->windows[w]);
        if (!add_f64(t, name))
            return -1;
        snprintf(name, sizeof(name), "retention_std_%ld", fc->windows[w]);
        if (!add_f64(t, name))
            return -1;
    }
    /* pointers only after every column exists: adding columns never moves others' data */
    c->cyc = cp_table_i64(t, "cycle_index");
    c->start = cp_table_i64(t, "start_time");
    c->qd = cp_table_f64(t, "discharge_capacity_ah");
    c->qc = cp_table_f64(t, "charge_capacity_ah");
    c->ed = cp_table_f64(t, "discharge_energy_wh");
    c->ec = cp_table_f64(t, "charge_energy_wh");
    c->temp = cp_table_f64(t, "temperature_avg_c");
    c->tt = cp_table_f64(t, "test_time_s");
    c->ce = cp_table_f64(t, out[0]);
    c->ee = cp_table_f64(t, out[1]);
    c->ret = cp_table_f64(t, out[2]);
    c->tcomp = cp_table_f64(t, out[3]);
    c->fade = cp_table_f64(t, out[4]);
    c->frac = cp_table_f64(t, out[5]);
    c->days = cp_table_f64(t, out[6]);
    c->efc = cp_table_f64(t, out[7]);
    for (size_t w = 0; w < fc->nwindows; w++) {
        char name[64];
        snprintf(name, sizeof(name), "retention_mean_%ld", fc->windows[w]);
        c->mean[w] = cp_table_f64(t, name);
        snprintf(name, sizeof(name), "retention_std_%ld", fc->windows[w]);
        c->std[w] = cp_table_f64(t, name);
    }
    return c->cyc && c->qd ? 0 : -1;
}

static double ratio(const double *num, const double *den, size_t i)
{
    if (!num || !den || !isfinite(num[i]) || !isfinite(den[i]) || den[i] == 0)
        return NAN;
    return num[i] / den[i];
}

/* Median of the first k valid (finite, > 0) capacities of the cell. */
static double first_cycles_reference(const double *qd, size_t a, size_t b, long k)
{
    double v[100];
    size_t m = 0;
    for (size_t i = a; i < b && m < (size_t)k && m < 100; i++)
        if (isfinite(qd[i]) && qd[i] > 0)
            v[m++] = qd[i];
    return cp_median(v, m);
}

/* Trailing-window mean and sample standard deviation of retention (NaN values skipped). */
static void rolling(const double *x, size_t a, size_t b, long w, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    long n = 0;
    for (size_t i = a; i < b; i++) {
        if (isfinite(x[i]))
            s += x[i], s2 += x[i] * x[i], n++;
        if (i >= a + (size_t)w && isfinite(x[i - (size_t)w]))
            s -= x[i - (size_t)w], s2 -= x[i - (size_t)w] * x[i - (size_t)w], n--;
        mean[i] = n ? s / (double)n : NAN;
        double var = n > 1 ? (s2 - s * s / (double)n) / (double)(n - 1) : NAN;
        sd[i] = n > 1 ? sqrt(var > 0 ? var : 0) : NAN;
    }
}

/* fade_rate: minus the least-squares slope of retention vs cycle_index over the trailing
 * window, times 100 (retention lost per 100 cycles). Needs 3 valid points. */
static void fade_rate(const struct fcols *c, size_t a, size_t b, long w)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    long n = 0;
    for (size_t i = a; i < b; i++) {
        double x = (double)c->cyc[i], y = c->ret[i];
        if (isfinite(y))
            sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
        if (i >= a + (size_t)w) {
            size_t j = i - (size_t)w;
            double xj = (double)c->cyc[j], yj = c->ret[j];
            if (isfinite(yj))
                sx -= xj, sy -= yj, sxx -= xj * xj, sxy -= xj * yj, n--;
        }
        double den = (double)n * sxx - sx * sx;
        c->fade[i] = n >= 3 && den > 0 ? -100.0 * ((double)n * sxy - sx * sy) / den : NAN;
    }
}

/* cycles_to_90 / cycles_to_80: observed end of life at that level, the same rule and the
 * same points as eol_observed (cp_eol_observed over cp_eol_points). */
static int crossings(const struct fcols *c, size_t a, size_t b, long persist,
                     struct cp_cell_result *r)
{
    double *n = cp_malloc(2 * (b - a + 1) * sizeof *n);
    if (!n)
        return -1;
    double *y = n + (b - a + 1);
    size_t m = cp_eol_points(c->cyc, c->ret, a, b, n, y);
    r->cycles_to_90 = cp_eol_observed(n, y, m, 0.9, persist);
    r->cycles_to_80 = cp_eol_observed(n, y, m, 0.8, persist);
    cp_free(n);
    return 0;
}

static double mean_of(const double *x, size_t a, size_t b, long last_n)
{
    double s = 0;
    long n = 0;
    for (size_t i = b; i > a && (last_n <= 0 || n < last_n); i--)
        if (isfinite(x[i - 1]))
            s += x[i - 1], n++;
    return n ? s / (double)n : NAN;
}

struct cell_meta {
    double nominal;
    int64_t start_date;
};

static void cycle_features(const struct cp_features_config *fc, const struct fcols *c, size_t a,
                           size_t b, double ref, const struct cell_meta *meta)
{
    double cum = 0, norm = isfinite(meta->nominal) && meta->nominal > 0 ? meta->nominal : ref;
    int64_t t0 = meta->start_date;
    if (t0 == CP_I64_NA && c->start)
        for (size_t i = a; i < b && t0 == CP_I64_NA; i++)
            t0 = c->start[i];
    double last = (double)c->cyc[b - 1];
    for (size_t i = a; i < b; i++) {
        c->ce[i] = ratio(c->qd, c->qc, i);
        c->ee[i] = ratio(c->ed, c->ec, i);
        c->ret[i] = isfinite(c->qd[i]) && ref > 0 ? c->qd[i] / ref : NAN;
        double T = c->temp ? c->temp[i] : NAN;
        c->tcomp[i] = c->qd[i] / (1.0 + fc->temperature_alpha * (T - fc->temperature_ref_c));
        c->frac[i] = last > 0 ? (double)c->cyc[i] / last : NAN;
        if (c->start && c->start[i] != CP_I64_NA && t0 != CP_I64_NA)
            c->days[i] = (double)(c->start[i] - t0) / 86400.0;
        else
            c->days[i] = c->tt && isfinite(c->tt[i]) ? c->tt[i] / 86400.0 : NAN;
        if (isfinite(c->qd[i]))
            cum += c->qd[i];
        c->efc[i] = norm > 0 ? cum / norm : NAN;
    }
    for (size_t w = 0; w < fc->nwindows; w++)
        rolling(c->ret, a, b, fc->windows[w], c->mean[w], c->std[w]);
    fade_rate(c, a, b, fc->fade_window);
}

static int cell_features(const struct cp_features_config *fc, const struct fcols *c, size_t a,
                         size_t b, struct cp_cell_result *r)
{
    r->n_cycles = (long)(b - a);
    r->first_cycle = (long)c->cyc[a];
    r->last_cycle = (long)c->cyc[b - 1];
    for (size_t i = b; i > a; i--)
        if (isfinite(c->ret[i - 1])) {
            r->last_retention = c->ret[i - 1];
            break;
        }
    r->ce_mean = mean_of(c->ce, a, b, 0);
    r->ce_last_n = mean_of(c->ce, a, b, fc->last_n);
    for (size_t i = b; i > a && isnan(r->fade_rate); i--)
        r->fade_rate = c->fade[i - 1];
    r->efc_total = c->efc[b - 1];
    r->days_on_test = c->days[b - 1];
    return crossings(c, a, b, fc->persist_cycles, r);
}

static struct cell_meta meta_of(const struct cp_table *cells, size_t row)
{
    double *nom = cp_table_f64(cells, "nominal_capacity_ah");
    int64_t *sd = cp_table_i64(cells, "start_date");
    return (struct cell_meta){nom ? nom[row] : NAN, sd ? sd[row] : CP_I64_NA};
}

int cp_features_compute(const struct cp_features_config *fc, const struct cp_table *cells,
                        struct cp_table *cy, struct cp_cell_result **out, struct cp_error *err)
{
    struct fcols c;
    memset(&c, 0, sizeof(c));
    *out = NULL;
    if (resolve(fc, cy, &c) < 0)
        return cp_error_oom(err);
    struct cp_cell_result *results = cp_calloc(cells->nrows ? cells->nrows : 1, sizeof(*results));
    if (!results)
        return cp_error_oom(err);
    *out = results;
    char **ids = cp_table_str(cells, "cell_id");
    for (size_t k = 0; k < cells->nrows; k++) {
        long g = cp_table_group_find(cy, "cell_id", ids[k]);
        struct cp_cell_result *r = &results[k];
        cp_result_init(r, (long)k, g);
        if (g < 0) {
            cp_result_flag(r, "no_cycles", "no valid cycles after validation");
            continue;
        }
        size_t a = cy->group_start[g], b = cy->group_start[g + 1];
        struct cell_meta meta = meta_of(cells, k);
        double ref = fc->reference == CP_REF_NOMINAL
                         ? meta.nominal
                         : first_cycles_reference(c.qd, a, b, fc->reference_cycles);
        r->reference_ah = ref;
        if (!(ref > 0))
            cp_result_flag(r, "no_reference",
                           fc->reference == CP_REF_NOMINAL
                               ? "no nominal_capacity_ah: retention cannot be computed"
                               : "no valid discharge capacity in the first cycles");
        cycle_features(fc, &c, a, b, ref, &meta);
        if (cell_features(fc, &c, a, b, r) < 0)
            return cp_error_oom(err);
    }
    return 0;
}

/* Kaplan-Meier estimate and log-rank test of right-censored cycle lives: see
 * include/cellpipe/stats.h for the definitions. */
#include "cellpipe/stats.h"

#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"

struct obs {
    double t;
    int event;
    size_t group;
};

/* By time; at equal times the events first (the censored cells were at risk). */
static int cmp_obs(const void *a, const void *b)
{
    const struct obs *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return (y->event != 0) - (x->event != 0);
}

/* The cells with a finite time (and a group in [0, k) when group is given), sorted. */
static struct obs *collect(const double *time, const int *event, const size_t *group, size_t n,
                           size_t k, size_t *m)
{
    struct obs *o = cp_malloc((n + 1) * sizeof *o);
    *m = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(time[i]) || (group && group[i] >= k))
            continue;
        o[(*m)++] = (struct obs){time[i], event[i] != 0, group ? group[i] : 0};
    }
    qsort(o, *m, sizeof *o, cmp_obs);
    return o;
}

static size_t distinct_times(const struct obs *o, size_t m)
{
    size_t c = m > 0;
    for (size_t i = 1; i < m; i++)
        c += o[i].t != o[i - 1].t;
    return c;
}

/*
 * S and its log-log interval computed as lifelines does (S = exp of the summed logs, so that
 * S <= 0.5 is decided on the same number); lo = hi = 0 where S is 0, NaN where S is 1.
 */
static void km_values(struct cp_stats_km_step *st, double logs, double gw, double z)
{
    st->s = exp(logs);
    st->var = st->s * st->s * gw;
    st->lo = st->hi = NAN;
    if (st->s == 0) {
        st->lo = st->hi = 0;
    } else if (st->s < 1) {
        double l = log(st->s), w = z * sqrt(gw) / l;
        st->lo = exp(-exp(log(-l) - w));
        st->hi = exp(-exp(log(-l) + w));
    }
}

static void km_steps(const struct obs *o, size_t m, double z, struct cp_stats_km *out)
{
    double logs = 0, gw = 0;
    size_t i = 0, at_risk = m;
    while (i < m) {
        struct cp_stats_km_step *st = &out->steps[out->nsteps++];
        *st = (struct cp_stats_km_step){.t = o[i].t, .at_risk = at_risk};
        for (; i < m && o[i].t == st->t; i++) {
            st->events += o[i].event != 0;
            st->censored += o[i].event == 0;
        }
        double n = (double)at_risk, d = (double)st->events;
        if (st->events > 0)
            logs += log(n - d) - log(n);
        if (st->events > 0 && st->events < at_risk)
            gw += d / (n * (n - d)); /* lifelines drops the infinite term of S = 0 */
        km_values(st, logs, gw, z);
        out->events += st->events;
        at_risk -= st->events + st->censored;
    }
}

static void km_median(struct cp_stats_km *out)
{
    for (size_t i = out->nsteps; i-- > 0;) {
        const struct cp_stats_km_step *st = &out->steps[i];
        if (st->s <= 0.5)
            out->median = st->t;
        if (st->lo <= 0.5)
            out->median_lo = st->t;
        if (st->hi <= 0.5)
            out->median_hi = st->t;
    }
}

int cp_stats_km(const double *time, const int *event, size_t n, double level,
                struct cp_stats_km *out)
{
    size_t m;
    *out = (struct cp_stats_km){.median = NAN, .median_lo = NAN, .median_hi = NAN};
    struct obs *o = collect(time, event, NULL, n, 0, &m);
    if (!o)
        return -CP_EINTERNAL;
    out->n = m;
    if (m == 0) {
        out->status = CP_STATS_TOO_FEW;
        cp_free(o);
        return 0;
    }
    out->steps = cp_malloc(distinct_times(o, m) * sizeof *out->steps);
    if (!out->steps) {
        cp_free(o);
        *out = (struct cp_stats_km){.median = NAN, .median_lo = NAN, .median_hi = NAN};
        return -CP_EINTERNAL;
    }
    km_steps(o, m, gsl_cdf_ugaussian_Pinv((1.0 + level) / 2.0), out);
    km_median(out);
    cp_free(o);
    return 0;
}

void cp_stats_km_release(struct cp_stats_km *km)
{
    if (!km)
        return;
    cp_free(km->steps);
    km->steps = NULL;
    km->nsteps = 0;
}

/* Per event time: Z += d - D n / N, V += f n_j (N delta_jl - n_l), f = D (N - D) / ((N - 1)
 * N^2) (f = D / N^2 when N = 1, as lifelines). Groups at risk in nj, events in dj. */
static void lr_accumulate(const double *nj, const double *dj, size_t k, double *z, double *v)
{
    double big = 0, dd = 0;
    for (size_t j = 0; j < k; j++) {
        big += nj[j];
        dd += dj[j];
    }
    if (dd == 0)
        return;
    double f = dd / (big * big) * (big > 1 ? (big - dd) / (big - 1) : 1.0);
    for (size_t j = 0; j < k; j++) {
        z[j] += dj[j] - dd * nj[j] / big;
        for (size_t l = 0; l < k; l++)
            v[j * k + l] += f * nj[j] * ((j == l ? big : 0) - nj[l]);
    }
}

static size_t lr_sweep(const struct obs *o, size_t m, size_t k, double *nj, double *dj, double *z,
                       double *v)
{
    size_t i = 0, events = 0;
    while (i < m) {
        size_t start = i;
        for (size_t j = 0; j < k; j++)
            dj[j] = 0;
        for (; i < m && o[i].t == o[start].t; i++)
            dj[o[i].group] += o[i].event != 0;
        lr_accumulate(nj, dj, k, z, v);
        for (size_t r = start; r < i; r++) {
            nj[o[r].group] -= 1;
            events += o[r].event != 0;
        }
    }
    return events;
}

/*
 * z' V^+ z over the first r = k - 1 groups (V is r x r, row stride k), the pseudo-inverse by a
 * singular value decomposition as numpy's pinv, but dropping singular values below 1e-10 of
 * the largest (rounding noise is never inverted). NaN when V is 0 or z is not in V's range
 * (the test is not defined). a (r*r), q (r*r), s (r) are scratch.
 */
static double lr_quadratic(const double *z, const double *v, size_t r, size_t k, double *a,
                           double *q, double *s)
{
    for (size_t j = 0; j < r; j++)
        for (size_t l = 0; l < r; l++)
            a[j * r + l] = v[j * k + l];
    gsl_matrix_view am = gsl_matrix_view_array(a, r, r), qm = gsl_matrix_view_array(q, r, r);
    gsl_vector_view sv = gsl_vector_view_array(s, r);
    if (gsl_linalg_SV_decomp_jacobi(&am.matrix, &qm.matrix, &sv.vector) != 0 || !(s[0] > 0))
        return NAN;
    double chi2 = 0, zz = 0, kept = 0;
    for (size_t j = 0; j < r; j++)
        zz += z[j] * z[j];
    for (size_t c = 0; c < r && s[c] > 1e-10 * s[0]; c++) {
        double uz = 0, qz = 0;
        for (size_t j = 0; j < r; j++) {
            uz += a[j * r + c] * z[j];
            qz += q[j * r + c] * z[j];
        }
        chi2 += uz * qz / s[c];
        kept += uz * uz;
    }
    return zz - kept > 1e-12 * zz + 1e-300 ? NAN : chi2;
}

int cp_stats_logrank(const double *time, const int *event, const size_t *group, size_t n, size_t k,
                     struct cp_stats_logrank *out)
{
    int rc = 0;
    size_t m;
    *out = (struct cp_stats_logrank){.k = k, .chi2 = NAN, .df = NAN, .p = NAN};
    struct obs *o = collect(time, event, group, n, k, &m);
    double *buf = cp_calloc(4 * k + 3 * k * k + 1, sizeof *buf);
    if (!o || !buf) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    double *nj = buf, *dj = nj + k, *z = dj + k, *s = z + k, *v = s + k, *a = v + k * k,
           *q = a + k * k;
    int too_few = k < 2;
    for (size_t i = 0; i < m; i++)
        nj[o[i].group] += 1;
    for (size_t j = 0; j < k; j++)
        too_few |= nj[j] < 3;
    out->n = m;
    if (too_few) {
        out->status = CP_STATS_TOO_FEW;
        goto cleanup;
    }
    out->df = (double)(k - 1);
    if (lr_sweep(o, m, k, nj, dj, z, v) == 0)
        goto cleanup;
    out->chi2 = lr_quadratic(z, v, k - 1, k, a, q, s);
    if (isfinite(out->chi2))
        out->p = gsl_cdf_chisq_Q(out->chi2, out->df);
cleanup:
    cp_free(o);
    cp_free(buf);
    return rc;
}

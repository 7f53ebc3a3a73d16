/*
 * End-of-life forecasts (docs/fits.md "Forecasts"):
 *  - per cell: where the AICc-chosen model crosses the threshold; 95 % interval by residual
 *    bootstrap (fixed seed), each replicate refitted by Levenberg-Marquardt from the fit;
 *  - fleet-informed: the cell's curve aligned to each finished sibling by a time warp k and
 *    a level offset d (y_cell(n) ~ S_sibling(k n) + d), the siblings' threshold crossings
 *    carried back to the cell's time scale and combined with weights 1 / alignment MSE.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"

uint64_t cp_rng_next(uint64_t *state)
{
    /* splitmix64: small, fast, and the same sequence on every platform */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile (linear interpolation between order statistics, numpy's default) of sorted v. */
double cp_quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double h = q * (double)(n - 1);
    size_t i = (size_t)floor(h);
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

/* ---- per-cell forecast ---------------------------------------------------------------- */

static double point_crossing(enum cp_model model, const double *p, double thr, double first,
                             double last, double limit)
{
    double x = cp_fit_crossing(model, p, thr, first, limit);
    if (isnan(x))
        return NAN;
    return x > last ? x : last; /* a cell not observed at end of life is not there yet */
}

/* Jacobian of the model in natural parameters by central differences (relative steps),
 * column k scaled by the step base so the normal matrix stays well conditioned. */
static void natural_jacobian(enum cp_model model, const double *p, int np, const double *n,
                             size_t m, double *J, double *base)
{
    double q[CP_FIT_MAXP];
    memcpy(q, p, sizeof q);
    for (int k = 0; k < np; k++) {
        base[k] = fabs(p[k]) > 1e-12 ? fabs(p[k]) : 1e-12;
        double h = 1e-6 * base[k];
        for (size_t i = 0; i < m; i++) {
            q[k] = p[k] + h;
            double up = cp_fit_eval(model, q, n[i]);
            q[k] = p[k] - h;
            double dn = cp_fit_eval(model, q, n[i]);
            J[(size_t)k * m + i] = (up - dn) / (2.0 * h) * base[k];
        }
        q[k] = p[k];
    }
}

/* Invert the small symmetric positive definite matrix a (np x np) by Gauss-Jordan. 0 or -1. */
static int invert_small(int np, double a[CP_FIT_MAXP][CP_FIT_MAXP],
                        double inv[CP_FIT_MAXP][CP_FIT_MAXP])
{
    for (int r = 0; r < np; r++)
        for (int k = 0; k < np; k++)
            inv[r][k] = r == k;
    for (int col = 0; col < np; col++) {
        int piv = col;
        for (int r = col + 1; r < np; r++)
            if (fabs(a[r][col]) > fabs(a[piv][col]))
                piv = r;
        if (!(fabs(a[piv][col]) > 1e-14 * fabs(a[0][0])))
            return -1;
        for (int k = 0; k < np; k++) {
            double t = a[col][k];
            a[col][k] = a[piv][k], a[piv][k] = t;
            t = inv[col][k];
            inv[col][k] = inv[piv][k], inv[piv][k] = t;
        }
        double d = a[col][col];
        for (int k = 0; k < np; k++)
            a[col][k] /= d, inv[col][k] /= d;
        for (int r = 0; r < np; r++) {
            if (r == col)
                continue;
            double f = a[r][col];
            for (int k = 0; k < np; k++)
                a[r][k] -= f * a[col][k], inv[r][k] -= f * inv[col][k];
        }
    }
    return 0;
}

/* Bootstrap crossings into cross[]: residual resampling, each replicate's parameters by one
 * Gauss-Newton step from the fit (p* = p + (J'J)^-1 J' e*). Returns the count, -1 when the
 * Jacobian is singular, or CP_EINTERNAL. */
static long bootstrap_crossings(const double *n, const double *y, size_t m,
                                const struct cp_fit *fit, enum cp_model model,
                                const struct cp_forecast_opts *o, double *cross)
{
    int np = cp_fit_nparams(model);
    double *J = cp_malloc((size_t)(np + 2) * m * sizeof *J);
    if (!J)
        return -CP_EINTERNAL;
    double *res = J + (size_t)np * m, *eps = res + m, base[CP_FIT_MAXP];
    double a[CP_FIT_MAXP][CP_FIT_MAXP] = {{0}}, inv[CP_FIT_MAXP][CP_FIT_MAXP];
    long nb = -1;
    natural_jacobian(model, fit->p, np, n, m, J, base);
    for (int r = 0; r < np; r++)
        for (int k = 0; k < np; k++)
            for (size_t i = 0; i < m; i++)
                a[r][k] += J[(size_t)r * m + i] * J[(size_t)k * m + i];
    if (invert_small(np, a, inv) != 0)
        goto cleanup;
    double mean = 0;
    for (size_t i = 0; i < m; i++) {
        res[i] = y[i] - cp_fit_eval(model, fit->p, n[i]);
        mean += res[i] / (double)m;
    }
    uint64_t st = o->seed;
    nb = 0;
    for (long b = 0; b < o->samples; b++) {
        double g[CP_FIT_MAXP] = {0}, p[CP_FIT_MAXP];
        for (size_t i = 0; i < m; i++)
            eps[i] = res[cp_rng_next(&st) % m] - mean;
        for (int k = 0; k < np; k++)
            for (size_t i = 0; i < m; i++)
                g[k] += J[(size_t)k * m + i] * eps[i];
        memcpy(p, fit->p, sizeof p);
        for (int k = 0; k < np; k++) {
            double d = 0;
            for (int j = 0; j < np; j++)
                d += inv[k][j] * g[j];
            p[k] += d * base[k];
        }
        double xb = point_crossing(model, p, o->threshold, n[0], n[m - 1], o->limit);
        cross[nb++] = isnan(xb) ? o->limit : xb;
    }
cleanup:
    cp_free(J);
    return nb;
}

/* Delta method: var(x) = s^2 g' (J'J)^-1 g, g = d crossing / d (scaled parameters) by central
 * differences, s^2 = rss / (m - np). Returns the standard deviation, NaN when the crossing
 * moves out of range under a small step, -1 on a singular Jacobian, or CP_EINTERNAL. */
static double delta_sd(const double *n, const double *y, size_t m, const struct cp_fit *fit,
                       enum cp_model model, const struct cp_forecast_opts *o, double x)
{
    int np = cp_fit_nparams(model);
    if (m <= (size_t)np)
        return NAN;
    double *J = cp_malloc((size_t)np * m * sizeof *J);
    if (!J)
        return -CP_EINTERNAL;
    double base[CP_FIT_MAXP], a[CP_FIT_MAXP][CP_FIT_MAXP] = {{0}}, inv[CP_FIT_MAXP][CP_FIT_MAXP];
    double g[CP_FIT_MAXP], sd = -1, rss = 0, p[CP_FIT_MAXP];
    natural_jacobian(model, fit->p, np, n, m, J, base);
    for (int r = 0; r < np; r++)
        for (int k = 0; k < np; k++)
            for (size_t i = 0; i < m; i++)
                a[r][k] += J[(size_t)r * m + i] * J[(size_t)k * m + i];
    if (invert_small(np, a, inv) != 0)
        goto cleanup;
    for (size_t i = 0; i < m; i++) {
        double e = y[i] - cp_fit_eval(model, fit->p, n[i]);
        rss += e * e;
    }
    memcpy(p, fit->p, sizeof p);
    for (int k = 0; k < np; k++) {
        double h = 1e-4; /* relative step of the scaled parameter */
        p[k] = fit->p[k] + h * base[k];
        double up = point_crossing(model, p, o->threshold, n[0], n[m - 1], o->limit);
        p[k] = fit->p[k] - h * base[k];
        double dn = point_crossing(model, p, o->threshold, n[0], n[m - 1], o->limit);
        p[k] = fit->p[k];
        if (isnan(up) || isnan(dn)) {
            sd = NAN;
            goto cleanup;
        }
        g[k] = (up - dn) / (2 * h);
    }
    double v = 0;
    for (int r = 0; r < np; r++)
        for (int k = 0; k < np; k++)
            v += g[r] * inv[r][k] * g[k];
    sd = sqrt(fmax(v, 0) * rss / (double)(m - (size_t)np));
    (void)x;
cleanup:
    cp_free(J);
    return sd;
}

int cp_forecast_per_cell(const double *n, const double *y, size_t m, const struct cp_fit *fit,
                         enum cp_model model, const struct cp_forecast_opts *o,
                         struct cp_eol_forecast *out)
{
    out->eol = out->lo = out->hi = out->spread = NAN;
    out->capped = 0;
    out->nused = 0;
    if (fit->status != CP_FIT_OK || m == 0)
        return 0;
    double last = n[m - 1];
    double x = point_crossing(model, fit->p, o->threshold, n[0], last, o->limit);
    out->capped = isnan(x);
    out->eol = isnan(x) ? o->limit : x;
    if (o->delta && !out->capped) {
        double sd = delta_sd(n, y, m, fit, model, o, x);
        if (sd == -CP_EINTERNAL)
            return -CP_EINTERNAL;
        if (!(sd >= 0)) { /* singular, or the crossing leaves the range: unbounded */
            out->hi = o->limit;
            out->capped = 1;
            return 0;
        }
        out->lo = fmax(x - 1.96 * sd, last);
        out->hi = x + 1.96 * sd;
        if (out->hi >= o->limit)
            out->capped = 1;
        return 0;
    }
    if (o->samples <= 0)
        return 0;
    double *cross = cp_malloc((size_t)o->samples * sizeof *cross);
    if (!cross)
        return -CP_EINTERNAL;
    long nb = bootstrap_crossings(n, y, m, fit, model, o, cross);
    int rc = nb == -CP_EINTERNAL ? -CP_EINTERNAL : 0;
    if (nb <= 0) {
        out->hi = o->limit; /* parameters not identifiable: nothing bounds the crossing */
        out->capped = 1;
        goto cleanup;
    }
    qsort(cross, (size_t)nb, sizeof *cross, cmp_double);
    out->lo = fmin(cp_quantile_sorted(cross, (size_t)nb, 0.025), out->eol);
    out->hi = fmax(cp_quantile_sorted(cross, (size_t)nb, 0.975), out->eol);
    out->nused = (size_t)nb;
    if (out->hi >= o->limit)
        out->capped = 1;
cleanup:
    cp_free(cross);
    return rc;
}

/* ---- fleet-informed forecast ----------------------------------------------------------- */

/* Smoothed curve of a finished sibling on a uniform grid over [0, last]. */
int cp_sibling_init(struct cp_sibling *s, const double *n, const double *y, size_t m, double eol)
{
    memset(s, 0, sizeof *s);
    if (m < 2 || !(n[m - 1] > 0))
        return -1;
    double cnt[CP_SIB_GRID] = {0}, sum[CP_SIB_GRID] = {0};
    s->last = n[m - 1];
    s->eol = eol;
    double h = s->last / (CP_SIB_GRID - 1);
    for (size_t i = 0; i < m; i++) {
        long j = lround(n[i] / h);
        if (j >= 0 && j < CP_SIB_GRID) {
            cnt[j] += 1;
            sum[j] += y[i];
        }
    }
    long prev = -1;
    for (long j = 0; j < CP_SIB_GRID; j++) {
        if (cnt[j] == 0)
            continue;
        s->g[j] = sum[j] / cnt[j];
        for (long q = prev + 1; q < j; q++) /* fill gaps linearly, flat before the first */
            s->g[q] =
                prev < 0 ? s->g[j] : s->g[prev] + (s->g[j] - s->g[prev]) * (q - prev) / (j - prev);
        prev = j;
    }
    if (prev < 0)
        return -1;
    for (long q = prev + 1; q < CP_SIB_GRID; q++)
        s->g[q] = s->g[prev];
    /* 5-point moving average: bins hold few points, noise would decide the crossing */
    double tmp[CP_SIB_GRID];
    for (long j = 0; j < CP_SIB_GRID; j++) {
        double a = 0;
        int k = 0;
        for (long q = j - 2; q <= j + 2; q++)
            if (q >= 0 && q < CP_SIB_GRID)
                a += s->g[q], k++;
        tmp[j] = a / k;
    }
    memcpy(s->g, tmp, sizeof tmp);
    /* end slope for crossings below what the sibling reached (per cycle, at most 0) */
    long k0 = CP_SIB_GRID - 1 - CP_SIB_GRID / 16;
    s->end_slope = fmin((s->g[CP_SIB_GRID - 1] - s->g[k0]) / ((CP_SIB_GRID - 1 - k0) * h), 0.0);
    return 0;
}

static double sib_at(const struct cp_sibling *s, double u)
{
    double pos = u / s->last * (CP_SIB_GRID - 1);
    if (pos <= 0)
        return s->g[0];
    if (pos >= CP_SIB_GRID - 1)
        return s->g[CP_SIB_GRID - 1];
    long j = (long)pos;
    double f = pos - (double)j;
    return s->g[j] + f * (s->g[j + 1] - s->g[j]);
}

/* Sibling cycle where its smoothed curve first falls below level (extrapolated along the
 * end slope below the last point); NaN when it never does. */
static double sib_crossing(const struct cp_sibling *s, double level)
{
    double h = s->last / (CP_SIB_GRID - 1);
    if (s->g[0] < level)
        return 0;
    for (long j = 1; j < CP_SIB_GRID; j++)
        if (s->g[j] < level)
            return h * ((double)(j - 1) + (s->g[j - 1] - level) / (s->g[j - 1] - s->g[j]));
    if (!(s->end_slope < 0))
        return NAN;
    return s->last + (level - s->g[CP_SIB_GRID - 1]) / s->end_slope;
}

/* Equal-count bins of the target's points (means of n and y). Returns the bin count. */
size_t cp_target_bins(const double *n, const double *y, size_t m, double *bn, double *by)
{
    return cp_fit_bin(n, y, m, m < 2 * CP_TARGET_BINS ? m / 2 : CP_TARGET_BINS, bn, by);
}

/* Mean squared misfit of the target bins against the sibling warped by k, with the best
 * offset (clamped to +-CP_MAX_OFFSET) returned in *d. */
static double align_cost(const struct cp_sibling *s, const double *bn, const double *by, size_t nb,
                         double k, double *d)
{
    double sum = 0;
    for (size_t b = 0; b < nb; b++)
        sum += by[b] - sib_at(s, k * bn[b]);
    double off = sum / (double)nb;
    off = fmax(-CP_MAX_OFFSET, fmin(CP_MAX_OFFSET, off));
    double sse = 0;
    for (size_t b = 0; b < nb; b++) {
        double r = by[b] - sib_at(s, k * bn[b]) - off;
        sse += r * r;
    }
    *d = off;
    return sse / (double)nb;
}

/* The alignment objective: log of the (floored) misfit plus the warp prior, i.e. the log of
 * mse x exp((ln k / warp_sd)^2 / 2); also returns the mse and offset at k. */
static double align_score(const struct cp_sibling *s, const double *bn, const double *by, size_t nb,
                          double k, double warp_sd, double *mse, double *d)
{
    *mse = align_cost(s, bn, by, nb, k, d);
    double lk = log(k) / warp_sd;
    return log(fmax(*mse, CP_MIN_MSE)) + 0.5 * lk * lk;
}

void cp_align(const struct cp_sibling *s, const double *bn, const double *by, size_t nb,
              double warp_sd, struct cp_alignment *a)
{
    a->k = a->offset = a->mse = a->eol = a->score = NAN;
    double nlast = bn[nb - 1];
    if (nb < 3 || !(nlast > 0))
        return;
    double khi = s->last / nlast, klo = khi / CP_WARP_RANGE;
    double best = INFINITY, bestk = NAN, d, mse;
    double lr = log(khi / klo) / (CP_WARP_STEPS - 1);
    for (int j = 0; j < CP_WARP_STEPS; j++) {
        double k = klo * exp(lr * j);
        double c = align_score(s, bn, by, nb, k, warp_sd, &mse, &d);
        if (c < best)
            best = c, bestk = k;
    }
    /* golden-section refinement in log k around the best grid point */
    double lo = log(bestk) - lr, hi = fmin(log(bestk) + lr, log(khi));
    const double gr = 0.6180339887498949;
    for (int it = 0; it < 16; it++) {
        double x1 = hi - gr * (hi - lo), x2 = lo + gr * (hi - lo);
        if (align_score(s, bn, by, nb, exp(x1), warp_sd, &mse, &d) <
            align_score(s, bn, by, nb, exp(x2), warp_sd, &mse, &d))
            hi = x2;
        else
            lo = x1;
    }
    double k = exp(0.5 * (lo + hi));
    double c = align_score(s, bn, by, nb, k, warp_sd, &mse, &d);
    if (c > best) { /* keep the grid optimum if the bracket missed */
        k = bestk;
        c = align_score(s, bn, by, nb, k, warp_sd, &mse, &d);
    }
    a->k = k;
    a->offset = d;
    a->mse = mse;
    a->score = exp(c);
    double u = sib_crossing(s, s->threshold - d);
    a->eol = isnan(u) ? NAN : u / k;
}

static int cmp_align(const void *pa, const void *pb)
{
    const struct cp_alignment *a = pa, *b = pb;
    if (a->score != b->score)
        return (a->score > b->score) - (a->score < b->score);
    return (a->eol > b->eol) - (a->eol < b->eol);
}

/* Weighted quantile of (value, weight) pairs sorted by value. */
static double weighted_quantile(const struct cp_alignment *v, const double *w, size_t n, double q)
{
    double total = 0, acc = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    for (size_t i = 0; i < n; i++) {
        acc += w[i];
        if (acc >= q * total)
            return v[i].eol;
    }
    return v[n - 1].eol;
}

static int cmp_eol(const void *pa, const void *pb)
{
    const struct cp_alignment *a = pa, *b = pb;
    return (a->eol > b->eol) - (a->eol < b->eol);
}

int cp_forecast_fleet(const double *n, const double *y, size_t m,
                      const struct cp_sibling *const *sibs, size_t nsib, double warp_sd,
                      struct cp_eol_forecast *out)
{
    out->eol = out->lo = out->hi = NAN;
    out->capped = 0;
    out->nused = 0;
    out->spread = NAN;
    double bn[CP_TARGET_BINS], by[CP_TARGET_BINS];
    size_t nb = cp_target_bins(n, y, m, bn, by);
    if (nb < 3 || nsib == 0)
        return 0;
    struct cp_alignment *al = cp_malloc(nsib * sizeof *al);
    double *w = cp_malloc(nsib * sizeof *w);
    int rc = 0;
    if (!al || !w) {
        rc = -CP_EINTERNAL;
        goto cleanup;
    }
    size_t k = 0;
    for (size_t i = 0; i < nsib; i++) {
        /* a warp far from the group's spread of lives is unlikely: a cell before its knee
         * looks like the early part of a faster-fading sibling */
        cp_align(sibs[i], bn, by, nb, warp_sd, &al[k]);
        if (isfinite(al[k].eol) && isfinite(al[k].score))
            k++;
    }
    if (k == 0)
        goto cleanup;
    /* the better-aligned half (at least CP_MIN_SIBLINGS), weighted by 1 / MSE */
    qsort(al, k, sizeof *al, cmp_align);
    size_t use = (k + 1) / 2;
    if (use < CP_MIN_SIBLINGS)
        use = k < CP_MIN_SIBLINGS ? k : CP_MIN_SIBLINGS;
    qsort(al, use, sizeof *al, cmp_eol);
    double last = n[m - 1];
    for (size_t i = 0; i < use; i++) {
        if (al[i].eol <= last)
            al[i].eol = last; /* the cell is still above: it ends no earlier than now */
        w[i] = 1.0 / al[i].score;
    }
    out->eol = weighted_quantile(al, w, use, 0.5);
    out->lo = weighted_quantile(al, w, use, 0.025);
    out->hi = weighted_quantile(al, w, use, 0.975);
    /* the siblings' disagreement, in log units (about one standard deviation) */
    double q16 = weighted_quantile(al, w, use, 0.16), q84 = weighted_quantile(al, w, use, 0.84);
    out->spread = fmax(0.5 * log(q84 / q16), CP_MIN_SPREAD);
    out->nused = use;
cleanup:
    cp_free(al);
    cp_free(w);
    return rc;
}

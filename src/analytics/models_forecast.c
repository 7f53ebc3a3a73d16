/* The models stage, phases 3 and 4: back-test and forecasts with their intervals
 * (models_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"
#include "models_internal.h"

/* ---- phases 3 and 4: back-test and forecasts ------------------------------------------- */

/* Finished siblings of `cell` (itself excluded): its group when that has CP_MIN_SIBLINGS,
 * else the whole fleet; at most MAX_SIBLINGS, evenly spaced. *fleet_wide tells which. */
/* Expected spread of log warps between a cell and its siblings: sqrt(2) times the standard
 * deviation of the siblings' log end of life (two independent lives), at least 0.05. */
static double warp_spread(const struct cp_sibling *const *s, size_t n)
{
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += log(s[i]->eol) / (double)n;
    for (size_t i = 0; i < n; i++)
        v += (log(s[i]->eol) - m) * (log(s[i]->eol) - m);
    double sd = n > 1 ? sqrt(v / (double)(n - 1)) : 0;
    return fmax(sqrt(2.0) * sd, 0.05);
}

static size_t pick_siblings(const struct models_ctx *c, long cell, const struct cp_sibling **out,
                            int *fleet_wide)
{
    size_t self = c->w[cell].sib ? 1 : 0; /* a finished cell is in its own lists */
    const struct sib_list *l = &c->groups[c->w[cell].group];
    *fleet_wide = 0;
    if (l->n - self < CP_MIN_SIBLINGS) {
        l = &c->fleet;
        *fleet_wide = 1;
    }
    size_t avail = l->n - self;
    if (avail < CP_MIN_SIBLINGS)
        return 0;
    size_t take = avail < MAX_SIBLINGS ? avail : MAX_SIBLINGS, k = 0;
    for (size_t j = 0; j < take; j++) {
        size_t pos = j * avail / take; /* position among the others */
        size_t q = 0, seen = 0;
        for (; q < l->n; q++) {
            if (l->cell[q] == cell)
                continue;
            if (seen++ == pos)
                break;
        }
        out[k++] = l->v[q];
    }
    return k;
}

static int per_cell_point(const struct models_ctx *c, const double *rn, const double *ry, size_t rm,
                          double *eol)
{
    struct cp_fit f[CP_MODEL_COUNT];
    double n[CP_BACKTEST_POINTS], y[CP_BACKTEST_POINTS];
    size_t m = cp_fit_bin(rn, ry, rm, CP_BACKTEST_POINTS, n, y);
    int best = -1;
    *eol = NAN;
    for (int k = 0; k < CP_MODEL_COUNT; k++) {
        if (!c->fc->models[k])
            continue;
        int rc = cp_fit_model((enum cp_model)k, n, y, m, &f[k]);
        if (rc < 0)
            return rc;
        if (f[k].status == CP_FIT_OK && isfinite(f[k].aicc) &&
            (best < 0 || f[k].aicc < f[best].aicc))
            best = k;
    }
    if (best < 0)
        return 0;
    struct cp_forecast_opts o = {c->fc->threshold, c->fc->max_extrapolation * rn[rm - 1], 0, 0, 0};
    struct cp_eol_forecast fc;
    int rc = cp_forecast_per_cell(n, y, m, &f[best], (enum cp_model)best, &o, &fc);
    *eol = fc.eol;
    return rc;
}

int mdl_backtest_cell(void *vctx, size_t j)
{
    struct models_ctx *c = vctx;
    long cell = c->bt[j];
    const struct cell_work *w = &c->w[cell];
    double eol = (double)c->results[cell].eol_observed;
    const struct cp_sibling *sibs[MAX_SIBLINGS];
    int wide;
    size_t ns = pick_siblings(c, cell, sibs, &wide);
    for (int f = 0; f < NFRAC; f++) {
        c->bt_fleet[j * NFRAC + f] = c->bt_pc[j * NFRAC + f] = NAN;
        size_t m = 0;
        while (m < w->m && w->n[m] <= backtest_fracs[f] * eol)
            m++;
        if (m < (size_t)c->fc->min_cycles)
            continue;
        struct cp_eol_forecast fl;
        int rc = cp_forecast_fleet(w->n, w->y, m, sibs, ns, warp_spread(sibs, ns), &fl);
        if (rc < 0)
            return rc;
        if (isfinite(fl.eol)) {
            c->bt_fleet[j * NFRAC + f] = fl.eol / eol - 1.0;
            c->bt_spread[j * NFRAC + f] = fl.spread;
        }
        double pc;
        if ((rc = per_cell_point(c, w->n, w->y, m, &pc)) < 0)
            return rc;
        /* no crossing within the cap scores as the cap: the error the user would see */
        if (isnan(pc))
            pc = c->fc->max_extrapolation * w->n[m - 1];
        c->bt_pc[j * NFRAC + f] = pc / eol - 1.0;
    }
    return 0;
}

static int cmp_dbl(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Split-conformal quantile: the ceil(0.95 (n + 1))-th smallest of n scores (the largest
 * when that rank exceeds n); NaN with fewer than 2 scores. Sorts v. */
static double conformal_q(double *v, size_t n)
{
    if (n < 2)
        return NAN;
    qsort(v, n, sizeof *v, cmp_dbl);
    size_t rank = (size_t)ceil(0.95 * (double)(n + 1));
    return v[(rank > n ? n : rank) - 1];
}

/* MAPE per fraction and the conformal 95 % quantiles of both methods' errors. */
int mdl_score_backtest(struct models_ctx *c, struct cp_error *err)
{
    double *v = cp_malloc(2 * (c->nbt + 1) * sizeof *v), *u = v ? v + c->nbt + 1 : NULL;
    if (!v)
        return cp_error_oom(err);
    for (int f = 0; f < NFRAC; f++) {
        double sf = 0, sp = 0;
        size_t nf = 0, np = 0;
        for (size_t j = 0; j < c->nbt; j++) {
            double ef = c->bt_fleet[j * NFRAC + f], ep = c->bt_pc[j * NFRAC + f];
            if (isfinite(ef)) {
                sf += fabs(ef);
                v[nf++] = fabs(log1p(ef)) / c->bt_spread[j * NFRAC + f];
            }
            if (isfinite(ep) && ep > -1) {
                sp += fabs(ep);
                u[np++] = fabs(log1p(ep));
            }
        }
        c->mape_fleet[f] = nf ? 100.0 * sf / (double)nf : NAN;
        c->mape_pc[f] = np ? 100.0 * sp / (double)np : NAN;
        c->q_fleet[f] = conformal_q(v, nf);
        c->q_pc[f] = conformal_q(u, np);
        cp_log(CP_LOG_INFO,
               "stage=models backtest_fraction=%g cells=%zu mape_fleet=%.2f mape_per_cell=%.2f "
               "q_fleet=%.3f q_per_cell=%.3f",
               backtest_fracs[f], nf, c->mape_fleet[f], c->mape_pc[f], c->q_fleet[f], c->q_pc[f]);
    }
    cp_free(v);
    return 0;
}

/* Back-test fraction used for a cell at estimated life fraction `frac`: the largest grid
 * fraction not above it (earlier cuts have larger errors: the choice is conservative). */
static int frac_bin(double frac)
{
    int b = 0;
    for (int f = 0; f < NFRAC; f++)
        if (backtest_fracs[f] <= frac)
            b = f;
    return b;
}

static uint64_t cell_seed(long seed, const char *id)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a of the cell id */
    for (const char *p = id ? id : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h ^ (uint64_t)seed;
}

static int use_per_cell(struct models_ctx *c, size_t i, double limit)
{
    struct cp_cell_result *r = &c->results[i];
    const struct cell_work *w = &c->w[i];
    if (r->best_model < 0)
        return 0;
    const char *id = c->ids ? c->ids[r->cells_row] : NULL;
    struct cp_forecast_opts o = {c->fc->threshold, limit, c->fc->bootstrap_samples,
                                 cell_seed(c->fc->seed, id), c->fc->interval == CP_INTERVAL_DELTA};
    struct cp_eol_forecast fc;
    int rc = cp_forecast_per_cell(w->fn, w->fy, w->fm, &r->fits[r->best_model],
                                  (enum cp_model)r->best_model, &o, &fc);
    if (rc < 0)
        return rc;
    r->eol_method = CP_EOL_PER_CELL;
    r->eol_forecast = fc.eol;
    r->eol_lo = fc.lo;
    r->eol_hi = fc.hi;
    r->eol_capped = fc.capped;
    return 1;
}

/* The extrapolation cap, and the cycle no forecast of a live cell may precede: the start of
 * its final run below the threshold when one is in progress, else its last cycle + 1 (it has
 * not reached end of life by its last cycle, so its end of life is later). */
static void apply_bounds(struct cp_cell_result *r, const struct cell_work *w, double threshold,
                         double limit)
{
    double last = w->n[w->m - 1], earliest = last + 1;
    for (size_t k = w->m; k > 0 && cp_below(w->y[k - 1], threshold); k--)
        earliest = w->n[k - 1];
    r->eol_forecast = fmax(r->eol_forecast, earliest);
    if (isfinite(r->eol_lo))
        r->eol_lo = fmax(r->eol_lo, earliest);
    if (isfinite(r->eol_hi))
        r->eol_hi = fmax(r->eol_hi, r->eol_forecast);
    int forecast_hit = r->eol_forecast >= limit, hi_hit = !forecast_hit && r->eol_hi >= limit;
    if (forecast_hit)
        r->eol_forecast = limit;
    if (isfinite(r->eol_lo) && r->eol_lo > r->eol_forecast)
        r->eol_lo = r->eol_forecast;
    if (r->eol_hi >= limit || (forecast_hit && isfinite(r->eol_lo)))
        r->eol_hi = limit;
    r->eol_capped = forecast_hit || hi_hit;
    if (forecast_hit)
        cp_result_flag(r, "eol_capped",
                       "the forecast reached the extrapolation limit %.0f (%gx the %.0f cycles "
                       "observed) and was set to it: the data cannot place end of life",
                       limit, limit / last, last);
    else if (hi_hit)
        cp_result_flag(r, "eol_capped",
                       "the interval's upper bound reached the extrapolation limit %.0f (%gx the "
                       "%.0f cycles observed) and was set to it",
                       limit, limit / last, last);
}

/* No finished cell calibrated this interval: withhold it rather than show a width nothing
 * checked. */
static void withhold_interval(struct cp_cell_result *r, const char *method)
{
    r->eol_lo = r->eol_hi = NAN;
    cp_result_flag(r, "uncalibrated",
                   "no back-test of finished cells calibrates a %s interval: point forecast "
                   "only, interval withheld",
                   method);
}

int mdl_forecast_cell(void *vctx, size_t i)
{
    struct models_ctx *c = vctx;
    struct cp_cell_result *r = &c->results[i];
    const struct cell_work *w = &c->w[i];
    c->chosen_mape[i] = NAN;
    if (r->eol_observed >= 0) {
        r->eol_method = CP_EOL_OBSERVED;
        r->eol_forecast = r->eol_lo = r->eol_hi = (double)r->eol_observed;
        return 0;
    }
    const char *st = c->status ? c->status[r->cells_row] : NULL;
    if (st && (strcmp(st, "failed") == 0 || strcmp(st, "aborted") == 0) && w->m > 0)
        cp_result_flag(r, "test_stopped",
                       "test %s at cycle %.0f before end of life: its end of life is forecast "
                       "only",
                       st, w->n[w->m - 1]);
    if (w->m < (size_t)c->fc->min_cycles)
        return 0; /* already flagged too_few_cycles / no_capacity / no_cycles */
    double last = w->n[w->m - 1], limit = c->fc->max_extrapolation * last;
    const struct cp_sibling *sibs[MAX_SIBLINGS];
    int wide;
    size_t ns =
        c->fc->forecast == CP_FORECAST_PER_CELL ? 0 : pick_siblings(c, (long)i, sibs, &wide);
    struct cp_eol_forecast fl = {NAN, NAN, NAN, 0, 0, NAN};
    int rc = ns ? cp_forecast_fleet(w->n, w->y, w->m, sibs, ns, warp_spread(sibs, ns), &fl) : 0;
    if (rc < 0)
        return rc;
    int bin = isfinite(fl.eol) ? frac_bin(last / fl.eol) : 1;
    int fleet_ok = isfinite(fl.eol);
    int choose_fleet = fleet_ok && (c->fc->forecast == CP_FORECAST_FLEET ||
                                    !(c->mape_pc[bin] < c->mape_fleet[bin]));
    if (c->fc->forecast != CP_FORECAST_PER_CELL && !fleet_ok)
        cp_result_flag(r, "no_siblings",
                       "fewer than %d finished cells in its group or the fleet: per-cell "
                       "forecast",
                       CP_MIN_SIBLINGS);
    else if (fleet_ok && wide)
        cp_result_flag(r, "fleet_fallback",
                       "its group has fewer than %d finished cells: siblings from the whole "
                       "fleet",
                       CP_MIN_SIBLINGS);
    if (choose_fleet) {
        r->eol_method = CP_EOL_FLEET;
        r->eol_forecast = fl.eol;
        if (isfinite(c->q_fleet[bin])) { /* calibrated by the back-test */
            r->eol_lo = fl.eol * exp(-c->q_fleet[bin] * fl.spread);
            r->eol_hi = fl.eol * exp(c->q_fleet[bin] * fl.spread);
        } else {
            withhold_interval(r, "fleet");
        }
        c->chosen_mape[i] = c->mape_fleet[bin];
    } else {
        if ((rc = use_per_cell(c, i, limit)) < 0)
            return rc;
        if (rc == 0) {
            cp_result_flag(r, "no_forecast", "no usable fit and no fleet forecast");
            return 0;
        }
        if (!fleet_ok && r->eol_forecast > 0) /* fraction of life from its own forecast */
            bin = frac_bin(last / r->eol_forecast);
        /* widen the bootstrap by the back-test's errors, at their worst over the fractions:
         * a curve's own forecast cannot tell how far through its life the cell is */
        double q = NAN;
        for (int f = 0; f < NFRAC; f++)
            if (isfinite(c->q_pc[f]) && !(c->q_pc[f] <= q))
                q = c->q_pc[f];
        if (isfinite(q)) {
            r->eol_lo = fmin(r->eol_lo, r->eol_forecast * exp(-q));
            r->eol_hi = fmax(r->eol_hi, r->eol_forecast * exp(q));
        } else {
            withhold_interval(r, "per-cell");
        }
        c->chosen_mape[i] = c->mape_pc[bin];
    }
    apply_bounds(r, w, c->fc->threshold, limit);
    return 0;
}

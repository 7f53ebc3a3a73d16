/* The models stage, phase 1: per-cell points, anomalies, capacity checks, fits, knee
 * (models_internal.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"
#include "models_internal.h"

/* ---- phase 1: per-cell fits ------------------------------------------------------------ */

static void reset_fit_fields(struct cp_cell_result *r)
{
    for (int m = 0; m < CP_MODEL_COUNT; m++) {
        memset(&r->fits[m], 0, sizeof r->fits[m]);
        r->fits[m].np = cp_fit_nparams((enum cp_model)m);
        r->fits[m].rmse = r->fits[m].aicc = NAN;
        for (int k = 0; k < CP_FIT_MAXP; k++)
            r->fits[m].p[k] = NAN;
    }
    r->best_model = -1;
    r->eol_observed = -1;
    r->eol_forecast = r->eol_lo = r->eol_hi = NAN;
    r->eol_method = CP_EOL_NONE;
    r->eol_capped = 0;
    r->knee_onset = r->knee_point = NAN;
}

static int has_flag(const struct cp_cell_result *r, const char *kind)
{
    for (int k = 0; k < r->nflags; k++)
        if (strcmp(r->flags[k].kind, kind) == 0)
            return 1;
    return 0;
}

/* Copy the plausible points of a cell; flag what was left out. */
static int collect_points(struct models_ctx *c, size_t i, struct cp_cell_result *r)
{
    struct cell_work *w = &c->w[i];
    size_t lo = c->gstart[r->group], hi = c->gstart[r->group + 1];
    w->n = cp_malloc(2 * (hi - lo + 1 + CP_FIT_MAX_POINTS) * sizeof(double));
    if (!w->n)
        return -CP_EINTERNAL;
    w->y = w->n + (hi - lo + 1);
    w->fn = w->y + (hi - lo + 1);
    w->fy = w->fn + CP_FIT_MAX_POINTS;
    w->m = cp_eol_points(c->cyc, c->ret, lo, hi, w->n, w->y);
    size_t missing = 0, absurd = 0;
    long first_absurd = -1;
    for (size_t k = lo; k < hi; k++) /* what cp_eol_points left out, for the flags */
        if (!isfinite(c->ret[k]) || c->cyc[k] == CP_I64_NA)
            missing++;
    absurd = hi - lo - missing - w->m;
    for (size_t k = lo, j = 0; absurd && first_absurd < 0 && k < hi; k++) {
        if (!isfinite(c->ret[k]) || c->cyc[k] == CP_I64_NA)
            continue;
        if (j < w->m && (double)c->cyc[k] == w->n[j] && c->ret[k] == w->y[j])
            j++;
        else
            first_absurd = (long)c->cyc[k];
    }
    if (missing == hi - lo)
        cp_result_flag(r, "no_capacity", "all %zu retention values are missing", hi - lo);
    if (absurd)
        cp_result_flag(r, "bad_values",
                       "%zu cycles with retention outside 0..%g or a bad cycle number left "
                       "out (first at cycle %ld)",
                       absurd, CP_RETENTION_MAX, first_absurd);
    return 0;
}

static void check_ce(struct models_ctx *c, struct cp_cell_result *r)
{
    if (!c->ce)
        return;
    size_t lo = c->gstart[r->group], hi = c->gstart[r->group + 1], bad = 0;
    long first = -1;
    for (size_t k = lo; k < hi; k++) {
        double v = c->ce[k];
        if (isfinite(v) && (v < c->fc->ce_min || v > c->fc->ce_max)) {
            if (first < 0)
                first = (long)c->cyc[k];
            bad++;
        }
    }
    if (bad)
        cp_result_flag(r, "ce_band",
                       "%zu cycles with coulombic efficiency outside %g..%g (first at cycle %ld)",
                       bad, c->fc->ce_min, c->fc->ce_max, first);
}

/* Per-cycle robust z-scores of the cell (phase 1a); flags are kept for phase 1b. */
/* Per-cycle flags: 0, ANOMALY_BELOW or ANOMALY_ABOVE the local trend. The scores themselves
 * are not kept: the check-period search needs only their sign, and a double per cycle row of
 * every cell would stay allocated until the fits are done. */
static int score_cycles(struct models_ctx *c, struct cell_work *w)
{
    size_t count;
    double *z = cp_malloc((w->m ? w->m : 1) * sizeof *z);
    w->flag = cp_malloc(w->m ? w->m : 1);
    int rc = z && w->flag ? cp_anomaly_cycles(w->y, w->m, c->fc->anomaly_z, w->flag, z, &count)
                          : -CP_EINTERNAL;
    for (size_t k = 0; rc == 0 && k < w->m; k++)
        if (w->flag[k])
            w->flag[k] = z[k] > 0 ? ANOMALY_ABOVE : ANOMALY_BELOW;
    cp_free(z);
    return rc;
}

static int is_check(const struct models_ctx *c, double n)
{
    return c->check_period > 0 && (long)n % c->check_period == c->check_phase;
}

/* Mark cycle n of the cell's rows as anomalous in the cycles table (rows sorted by cycle). */
static void mark_anomaly(struct models_ctx *c, const struct cp_cell_result *r, double n)
{
    size_t lo = c->gstart[r->group], hi = c->gstart[r->group + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((double)c->cyc[mid] < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->gstart[r->group + 1] && (double)c->cyc[lo] == n)
        c->anomaly[lo] = 1.0;
}

/* Flag per-cycle anomalies (capacity-check cycles are not anomalies), then keep only the
 * clean points in w->n / w->y for everything after the observed end of life. */
static void clean_points(struct models_ctx *c, struct cell_work *w, struct cp_cell_result *r)
{
    size_t k = 0, count = 0;
    double first = NAN;
    for (size_t i = 0; i < w->m; i++) {
        int check = is_check(c, w->n[i]);
        if (w->flag[i] && !check) {
            if (count++ == 0)
                first = w->n[i]; /* read before the compaction overwrites index i */
            mark_anomaly(c, r, w->n[i]);
            continue;
        }
        if (check)
            continue;
        w->n[k] = w->n[i];
        w->y[k++] = w->y[i];
    }
    if (count)
        cp_result_flag(r, "anomaly_cycle",
                       "%zu cycles with |robust z| > %g against the local trend, left out of "
                       "the fits (first at cycle %.0f)",
                       count, c->fc->anomaly_z, first);
    w->m = k;
}

static int cmp_long(const void *pa, const void *pb)
{
    long a = *(const long *)pa, b = *(const long *)pb;
    return (a > b) - (a < b);
}

/* Most common value of the sorted array v (ties: the smallest); its count into *count. */
static long mode_sorted(const long *v, size_t n, size_t *count)
{
    long best = n ? v[0] : 0;
    size_t bestc = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        if (j - i > bestc)
            bestc = j - i, best = v[i];
        i = j;
    }
    *count = bestc;
    return best;
}

/*
 * Capacity-check cycles: anomalies above the curve that recur across the fleet with one
 * period (the most common gap between consecutive ones within a cell) and one phase, on at
 * least half of the cycles at that phase and at least 3 times. They are another kind of
 * measurement, not a fault: every cycle at that phase leaves the fits and the anomaly count
 * (but not the observed end of life).
 */
int mdl_find_check_period(struct models_ctx *c, struct cp_error *err)
{
    size_t total = 0, ng = 0, np = 0, cnt;
    for (size_t i = 0; i < c->ncells; i++) /* room for the flagged cycles only */
        for (size_t k = 0; k < c->w[i].m; k++)
            total += c->w[i].flag[k] == ANOMALY_ABOVE;
    long *gap = cp_malloc((2 * total + 1) * sizeof *gap);
    if (!gap)
        return cp_error_oom(err);
    long *pos = gap + total;
    for (size_t i = 0; i < c->ncells; i++) {
        const struct cell_work *w = &c->w[i];
        long prev = -1;
        for (size_t k = 0; k < w->m; k++) {
            if (w->flag[k] != ANOMALY_ABOVE)
                continue;
            pos[np++] = (long)w->n[k];
            if (prev >= 0)
                gap[ng++] = (long)w->n[k] - prev;
            prev = (long)w->n[k];
        }
    }
    qsort(gap, ng, sizeof *gap, cmp_long);
    long P = mode_sorted(gap, ng, &cnt);
    c->check_period = 0;
    if (P >= 2 && cnt >= 2) {
        for (size_t k = 0; k < np; k++)
            gap[k] = pos[k] % P;
        qsort(gap, np, sizeof *gap, cmp_long);
        long phase = mode_sorted(gap, np, &cnt);
        size_t expected = 0;
        for (size_t i = 0; i < c->ncells; i++)
            for (size_t k = 0; k < c->w[i].m; k++)
                expected += (long)c->w[i].n[k] % P == phase;
        if (cnt >= 3 && 2 * cnt >= expected) {
            c->check_period = P;
            c->check_phase = phase;
            cp_log(CP_LOG_INFO,
                   "stage=models capacity_check_period=%ld phase=%ld flagged=%zu of=%zu", P, phase,
                   cnt, expected);
        }
    }
    cp_free(gap);
    return 0;
}

static int fit_models(struct models_ctx *c, struct cell_work *w, struct cp_cell_result *r)
{
    for (int m = 0; m < CP_MODEL_COUNT; m++) {
        if (!c->fc->models[m])
            continue;
        struct cp_fit *f = &r->fits[m];
        int rc = cp_fit_model((enum cp_model)m, w->fn, w->fy, w->fm, f);
        if (rc < 0)
            return rc;
        if (f->status == CP_FIT_OK && w->fm < w->m) { /* RMSE over every point, not bins */
            double ss = 0;
            for (size_t k = 0; k < w->m; k++) {
                double e = w->y[k] - cp_fit_eval((enum cp_model)m, f->p, w->n[k]);
                ss += e * e;
            }
            f->rmse = sqrt(ss / (double)w->m);
        }
        if (r->fits[m].status == CP_FIT_OK && isfinite(r->fits[m].aicc) &&
            (r->best_model < 0 || r->fits[m].aicc < r->fits[r->best_model].aicc))
            r->best_model = m;
    }
    if (r->best_model < 0)
        cp_result_flag(r, "no_fit", "no model converged to a usable fit");
    return 0;
}

/* Knee only when the slope steepens (a2 < 0) and Bacon-Watts beats, by AICc, every
 * single-regime smooth model (linear, sqrt, power law). The double exponential is not a
 * competitor: with d > 0 it is itself a knee-shaped curve. */
static int find_knee(struct cell_work *w, struct cp_cell_result *r)
{
    const struct cp_fit *bw = &r->fits[CP_MODEL_BACON_WATTS];
    if (bw->status != CP_FIT_OK || !isfinite(bw->aicc) || !(bw->p[2] < 0))
        return 0;
    for (int m = 0; m <= CP_MODEL_POWER; m++)
        if (r->fits[m].status == CP_FIT_OK && !(bw->aicc < r->fits[m].aicc))
            return 0;
    r->knee_point = bw->p[3];
    /* the onset needs no finer grid than CP_KNEE_POINTS bins: the 6-parameter fit is costly */
    double kn[CP_KNEE_POINTS], ky[CP_KNEE_POINTS];
    size_t km = cp_fit_bin(w->fn, w->fy, w->fm, CP_KNEE_POINTS, kn, ky);
    return cp_knee_onset(kn, ky, km, r->knee_point, &r->knee_onset);
}

/* Phase 1a: points, coulombic efficiency, observed end of life, per-cycle scores. */
int mdl_scan_cell(void *vctx, size_t i)
{
    struct models_ctx *c = vctx;
    struct cp_cell_result *r = &c->results[i];
    struct cell_work *w = &c->w[i];
    reset_fit_fields(r);
    if (r->group < 0) {
        if (!has_flag(r, "no_cycles")) /* the features stage may have said so already */
            cp_result_flag(r, "no_cycles", "no cycle data");
        return 0;
    }
    int rc = collect_points(c, i, r);
    if (rc < 0)
        return rc;
    check_ce(c, r);
    r->eol_observed = cp_eol_observed(w->n, w->y, w->m, c->fc->threshold, c->persist);
    return score_cycles(c, w);
}

/* Incremental mode (include/cellpipe/pg.h): what fit_models and find_knee computed from this
 * very data, pipeline and build in an earlier run. */
static void restore_fits(struct cp_cell_result *r, const struct cp_cell_result *cached)
{
    memcpy(r->fits, cached->fits, sizeof(r->fits));
    r->best_model = cached->best_model;
    r->knee_point = cached->knee_point;
    r->knee_onset = cached->knee_onset;
    if (r->best_model < 0)
        cp_result_flag(r, "no_fit", "no model converged to a usable fit");
}

/* Phase 1b: clean points, fits, knee, sibling curve. */
int mdl_fit_cell(void *vctx, size_t i)
{
    struct models_ctx *c = vctx;
    struct cp_cell_result *r = &c->results[i];
    struct cell_work *w = &c->w[i];
    if (r->group < 0 || w->m == 0)
        return 0;
    clean_points(c, w, r);
    w->fm = cp_fit_bin(w->n, w->y, w->m, CP_FIT_MAX_POINTS, w->fn, w->fy);
    if (w->m < (size_t)c->fc->min_cycles) {
        cp_result_flag(r, "too_few_cycles", "%zu valid cycles, fits need %ld", w->m,
                       c->fc->min_cycles);
        return 0;
    }
    double ymin = w->y[0], ymax = w->y[0];
    for (size_t k = 1; k < w->m; k++)
        ymin = fmin(ymin, w->y[k]), ymax = fmax(ymax, w->y[k]);
    if (ymax - ymin < 1e-9)
        cp_result_flag(r, "constant_capacity", "retention is constant (%g) over %zu cycles", ymin,
                       w->m);
    int rc = 0;
    if (c->io->reuse.cached && c->io->reuse.cached[i])
        restore_fits(r, &c->io->reuse.results[i]);
    else if ((rc = fit_models(c, w, r)) < 0 ||
             (c->fc->models[CP_MODEL_BACON_WATTS] && (rc = find_knee(w, r)) < 0))
        return rc;
    if (r->eol_observed >= 0) {
        w->sib = cp_malloc(sizeof *w->sib);
        if (!w->sib)
            return -CP_EINTERNAL;
        if (cp_sibling_init(w->sib, w->n, w->y, w->m, (double)r->eol_observed) != 0) {
            cp_free(w->sib);
            w->sib = NULL;
        } else {
            w->sib->threshold = c->fc->threshold;
        }
    }
    return 0;
}

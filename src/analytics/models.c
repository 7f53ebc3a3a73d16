/*
 * The models stage (cp_models_fit): per-cell fits, observed end of life, knee and
 * anomalies on a thread pool; then fleet groups, the back-test that chooses between
 * per-cell and fleet forecasts, and the forecasts themselves (docs/fits.md).
 *
 * Determinism: every parallel step writes only its own cell's slot; serial steps run in
 * cell order; bootstrap streams are seeded from the configured seed and the cell id.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"
#include "cellpipe/pool.h"
#include "cellpipe/strbuf.h"

#define NFRAC 4
static const double backtest_fracs[NFRAC] = {0.2, 0.4, 0.6, 0.8};
#define BACKTEST_MAX 100      /* finished cells scored by the back-test (evenly spaced) */
#define MAX_SIBLINGS 32       /* siblings aligned per forecast (evenly spaced) */
#define CP_KNEE_POINTS 100    /* bins of the double Bacon-Watts (knee onset) fit */
#define CP_BACKTEST_POINTS 64 /* bins of the back-test's per-cell fits (point forecasts) */

struct cell_work {
    double *n, *y; /* plausible points (finite, 0 < y <= CP_RETENTION_MAX), cycle order */
    size_t m;
    double *fn, *fy; /* what the fits see: the points, or CP_FIT_MAX_POINTS bin means */
    size_t fm;
    struct cp_sibling *sib; /* when the cell reached end of life */
    long group;             /* fleet group id */
    double early_fade;      /* fade per 100 cycles over the group's common window */
    unsigned char *flag;    /* per-cycle anomaly flags and scores (phase 1) */
    double *z;
};

struct sib_list {
    const struct cp_sibling **v;
    long *cell; /* cell of each sibling (for leave-one-out) */
    size_t n;
};

struct models_ctx {
    const struct cp_models_io *io;
    struct cp_cell_result *results; /* io->results */
    const struct cp_fits_config *fc;
    long persist;
    const int64_t *cyc;
    const double *ret, *ce;
    double *anomaly; /* per-cycle column written here: 1 = anomalous cycle, 0 = not */
    const size_t *gstart;
    char **ids;
    char **status; /* test_status column, or NULL */
    struct cell_work *w;
    size_t ncells;
    size_t ngroups;
    struct sib_list *groups; /* finished siblings per group */
    struct sib_list fleet;   /* every finished cell */
    long *bt;                /* back-tested cells */
    size_t nbt;
    double *bt_fleet, *bt_pc; /* signed relative errors [nbt][NFRAC], NaN = not scored */
    double *bt_spread;        /* fleet spread of each back-test forecast */
    double mape_fleet[NFRAC], mape_pc[NFRAC];
    double q_fleet[NFRAC];          /* conformal 95 % quantile of |log(F/T)| / spread */
    double q_pc[NFRAC];             /* conformal 95 % quantile of |log(F/T)|, per-cell */
    double *chosen_mape;            /* per cell: back-test MAPE of the method used (NaN none) */
    long check_period, check_phase; /* capacity-check cycles: n % period == phase */
};

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
static int score_cycles(struct models_ctx *c, struct cell_work *w)
{
    w->flag = cp_malloc(w->m ? w->m : 1);
    w->z = cp_malloc((w->m ? w->m : 1) * sizeof *w->z);
    if (!w->flag || !w->z)
        return -CP_EINTERNAL;
    size_t count;
    return cp_anomaly_cycles(w->y, w->m, c->fc->anomaly_z, w->flag, w->z, &count);
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
static int find_check_period(struct models_ctx *c, struct cp_error *err)
{
    size_t total = 0, ng = 0, np = 0, cnt;
    for (size_t i = 0; i < c->ncells; i++)
        total += c->w[i].m;
    long *gap = cp_malloc((2 * total + 1) * sizeof *gap);
    if (!gap)
        return cp_error_oom(err);
    long *pos = gap + total;
    for (size_t i = 0; i < c->ncells; i++) {
        const struct cell_work *w = &c->w[i];
        long prev = -1;
        for (size_t k = 0; k < w->m; k++) {
            if (!w->flag[k] || !(w->z[k] > 0))
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
static int scan_cell(void *vctx, size_t i)
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
static int fit_cell(void *vctx, size_t i)
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

/* ---- phase 2: fleet groups and fade outliers ------------------------------------------- */

struct key_index {
    const char *key;
    size_t i;
};

static int cmp_key(const void *pa, const void *pb)
{
    const struct key_index *a = pa, *b = pb;
    int d = strcmp(a->key, b->key);
    return d ? d : (a->i > b->i) - (a->i < b->i);
}

static int sib_push(struct sib_list *l, const struct cp_sibling *s, long cell)
{
    /* lists are sized for every cell up front, so no growth is needed */
    l->v[l->n] = s;
    l->cell[l->n++] = cell;
    return 0;
}

/* The fleet_group values as text, one per cells row, into *out: the column itself when it is
 * text, else each value formatted (*owned = 1: free with free_keys); NULL when the column is
 * missing. 0, or -1 when memory runs out. */
static int group_keys(const struct models_ctx *c, char ***out, int *owned)
{
    const struct cp_table *cells = c->io->cells;
    int col = cells ? cp_table_find(cells, c->fc->fleet_group) : -1;
    *owned = 0;
    *out = NULL;
    if (col < 0)
        return 0;
    if (cells->cols[col].type == CP_STR) {
        *out = cells->cols[col].v.str;
        return 0;
    }
    char **keys = cp_calloc(cells->nrows + 1, sizeof *keys);
    if (!keys)
        return -1;
    *out = keys;
    *owned = 1;
    for (size_t r = 0; r < cells->nrows; r++) {
        struct cp_strbuf sb = CP_STRBUF_INIT;
        int rc = cp_table_format_cell(cells, col, r, &sb);
        keys[r] = rc == 0 ? cp_strbuf_detach(&sb) : NULL;
        cp_strbuf_release(&sb);
        if (!keys[r])
            return -1;
    }
    return 0;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t r = 0; keys && r < n; r++)
        cp_free(keys[r]);
    cp_free(keys);
}

static int build_groups(struct models_ctx *c, struct cp_error *err)
{
    int owned;
    char **keys;
    struct key_index *ki = NULL;
    if (group_keys(c, &keys, &owned) != 0 ||
        !(ki = cp_malloc((c->ncells ? c->ncells : 1) * sizeof *ki))) {
        if (owned)
            free_keys(keys, c->io->cells->nrows);
        return cp_error_oom(err);
    }
    if (!keys)
        cp_log(CP_LOG_WARN, "stage=models fleet_group=%s msg=\"column missing: one group\"",
               c->fc->fleet_group);
    for (size_t i = 0; i < c->ncells; i++) {
        ki[i].key = keys && keys[c->results[i].cells_row] ? keys[c->results[i].cells_row] : "";
        ki[i].i = i;
    }
    qsort(ki, c->ncells, sizeof *ki, cmp_key);
    c->ngroups = 0;
    for (size_t k = 0; k < c->ncells; k++) {
        if (k > 0 && strcmp(ki[k].key, ki[k - 1].key) != 0)
            c->ngroups++;
        c->w[ki[k].i].group = (long)c->ngroups;
    }
    if (c->ncells)
        c->ngroups++;
    cp_free(ki);
    if (owned)
        free_keys(keys, c->io->cells->nrows);
    size_t nl = c->ngroups + 1;
    c->groups = cp_calloc(nl, sizeof *c->groups);
    const struct cp_sibling **pv = cp_malloc(2 * (c->ncells + 1) * sizeof *pv);
    long *pc = cp_malloc(2 * (c->ncells + 1) * sizeof *pc);
    if (!c->groups || !pv || !pc) {
        cp_free(pv);
        cp_free(pc);
        return cp_error_oom(err);
    }
    /* one slab: per-group lists first (offsets by group counts), the fleet list after */
    size_t *cnt = cp_calloc(nl, sizeof *cnt);
    if (!cnt) {
        cp_free(pv);
        cp_free(pc);
        return cp_error_oom(err);
    }
    for (size_t i = 0; i < c->ncells; i++)
        if (c->w[i].sib)
            cnt[c->w[i].group]++;
    size_t off = 0;
    for (size_t g = 0; g < c->ngroups; g++) {
        c->groups[g].v = pv + off;
        c->groups[g].cell = pc + off;
        off += cnt[g];
    }
    c->fleet.v = pv + c->ncells + 1;
    c->fleet.cell = pc + c->ncells + 1;
    cp_free(cnt);
    c->groups[c->ngroups].v = pv; /* slab owners, freed in release */
    c->groups[c->ngroups].cell = pc;
    for (size_t i = 0; i < c->ncells; i++)
        if (c->w[i].sib) {
            sib_push(&c->groups[c->w[i].group], c->w[i].sib, (long)i);
            sib_push(&c->fleet, c->w[i].sib, (long)i);
        }
    return 0;
}

/* Fade per 100 cycles (positive = losing capacity) over [first, first + window]. */
static double early_fade(const struct cell_work *w, double window)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t k = 0;
    for (; k < w->m && w->n[k] <= w->n[0] + window; k++) {
        sx += w->n[k], sy += w->y[k];
        sxx += w->n[k] * w->n[k], sxy += w->n[k] * w->y[k];
    }
    double den = (double)k * sxx - sx * sx;
    if (k < 3 || !(den > 0))
        return NAN;
    return -100.0 * ((double)k * sxy - sx * sy) / den;
}

static int fade_outliers(struct models_ctx *c, struct cp_error *err)
{
    double *v = cp_malloc(3 * (c->ncells + 1) * sizeof *v);
    unsigned char *flag = cp_malloc(c->ncells + 1);
    long *idx = cp_malloc((c->ncells + 1) * sizeof *idx);
    int rc = 0;
    if (!v || !flag || !idx) {
        rc = cp_error_oom(err);
        goto cleanup;
    }
    double *span = v + c->ncells + 1, *z = span + c->ncells + 1;
    for (size_t g = 0; g < c->ngroups; g++) {
        size_t n = 0;
        for (size_t i = 0; i < c->ncells; i++)
            if (c->w[i].group == (long)g && c->w[i].m >= (size_t)c->fc->min_cycles)
                span[n] = c->w[i].n[c->w[i].m - 1] - c->w[i].n[0], idx[n++] = (long)i;
        if (n < CP_ANOMALY_MIN_GROUP)
            continue;
        memcpy(v, span, n * sizeof *v);
        double sorted_w = 0;
        cp_median_inplace(v, n); /* sorts v */
        sorted_w = cp_quantile_sorted(v, n, 0.25);
        for (size_t k = 0; k < n; k++) {
            const struct cell_work *w = &c->w[idx[k]];
            v[k] = span[k] >= 0.5 * sorted_w ? early_fade(w, sorted_w) : NAN;
            c->w[idx[k]].early_fade = v[k];
        }
        if ((rc = cp_anomaly_mad(v, n, c->fc->fade_mad, flag, z)) < 0) {
            rc = cp_error_oom(err);
            goto cleanup;
        }
        for (size_t k = 0; k < n; k++)
            if (flag[k])
                cp_result_flag(&c->results[idx[k]], "fade_outlier",
                               "fade %.3g %%/100 cycles over the first %.0f cycles is %.1f MADs "
                               "from its group",
                               v[k], sorted_w, z[k]);
    }
cleanup:
    cp_free(v);
    cp_free(flag);
    cp_free(idx);
    return rc;
}

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

static int backtest_cell(void *vctx, size_t j)
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
static int score_backtest(struct models_ctx *c, struct cp_error *err)
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

static int forecast_cell(void *vctx, size_t i)
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

/* ---- the stage -------------------------------------------------------------------------- */

static void ctx_release(struct models_ctx *c)
{
    if (c->w)
        for (size_t i = 0; i < c->ncells; i++) {
            cp_free(c->w[i].n);
            cp_free(c->w[i].sib);
            cp_free(c->w[i].flag);
            cp_free(c->w[i].z);
        }
    if (c->groups) {
        cp_free(c->groups[c->ngroups].v);
        cp_free(c->groups[c->ngroups].cell);
    }
    cp_free(c->groups);
    cp_free(c->w);
    cp_free(c->bt);
    cp_free(c->bt_fleet);
    cp_free(c->chosen_mape);
}

static int ctx_init(struct models_ctx *c, const struct cp_models_io *io, struct cp_error *err)
{
    memset(c, 0, sizeof *c);
    c->io = io;
    c->results = io->results;
    c->fc = &io->cfg->fits;
    c->persist = io->cfg->features.persist_cycles;
    c->ncells = io->nresults;
    struct cp_table *cy = io->cycles;
    int ac = cy ? cp_table_add_column(cy, "anomaly", CP_F64) : -1;
    if (cy && ac < 0)
        return cp_error_oom(err);
    c->anomaly = cy ? cy->cols[ac].v.f64 : NULL;
    for (size_t k = 0; cy && k < cy->nrows; k++)
        c->anomaly[k] = 0.0;
    c->cyc = cy ? cp_table_i64(cy, "cycle_index") : NULL;
    c->ret = cy ? cp_table_f64(cy, "capacity_retention") : NULL;
    c->ce = cy ? cp_table_f64(cy, "coulombic_efficiency") : NULL;
    c->gstart = cy ? cy->group_start : NULL;
    c->ids = io->cells ? cp_table_str(io->cells, "cell_id") : NULL;
    c->status = io->cells ? cp_table_str(io->cells, "test_status") : NULL;
    for (size_t i = 0; i < c->ncells; i++)
        if (io->results[i].group >= 0 && (!c->cyc || !c->ret || !c->gstart))
            return cp_error_set(err, CP_EINTERNAL,
                                "models need 'cycle_index' and 'capacity_retention' in grouped "
                                "cycles");
    c->w = cp_calloc(c->ncells + 1, sizeof *c->w);
    c->chosen_mape = cp_calloc(c->ncells + 1, sizeof *c->chosen_mape);
    if (!c->w || !c->chosen_mape)
        return cp_error_oom(err);
    return 0;
}

/* Finished cells with a sibling curve, at most BACKTEST_MAX evenly spaced. */
static int pick_backtest(struct models_ctx *c, struct cp_error *err)
{
    size_t nf = c->fleet.n;
    c->nbt = nf < BACKTEST_MAX ? nf : BACKTEST_MAX;
    c->bt = cp_malloc((c->nbt + 1) * sizeof *c->bt);
    c->bt_fleet = cp_malloc(3 * (c->nbt + 1) * NFRAC * sizeof *c->bt_fleet);
    if (!c->bt || !c->bt_fleet)
        return cp_error_oom(err);
    c->bt_pc = c->bt_fleet + (c->nbt + 1) * NFRAC;
    c->bt_spread = c->bt_pc + (c->nbt + 1) * NFRAC;
    for (size_t j = 0; j < c->nbt; j++)
        c->bt[j] = c->fleet.cell[j * nf / c->nbt];
    return 0;
}

static int pool_error(int rc, const char *what, struct cp_error *err)
{
    if (rc == -CP_EINTERNAL)
        return cp_error_set(err, CP_EINTERNAL, "out of memory in %s", what);
    return cp_error_set(err, -rc, "%s failed", what);
}

static void summarise(struct models_ctx *c, struct cp_fleet_summary *out)
{
    double sum = 0;
    size_t n = 0;
    out->cells_past_eol = out->flagged_cells = 0;
    for (size_t i = 0; i < c->ncells; i++) {
        out->cells_past_eol += c->results[i].eol_observed >= 0;
        out->flagged_cells += c->results[i].nattention > 0;
        if (isfinite(c->chosen_mape[i]))
            sum += c->chosen_mape[i], n++;
    }
    out->backtest_mape = n ? sum / (double)n : NAN;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

int cp_models_fit(const struct cp_models_io *io, struct cp_fleet_summary *out, struct cp_error *err)
{
    double t0 = now_ms(), t1 = t0, t2 = t0, t3 = t0;
    struct models_ctx c;
    *out = (struct cp_fleet_summary){0, 0, NAN};
    int rc = ctx_init(&c, io, err);
    long th = io->cfg->fits.threads;
    if (rc < 0 || !io->cfg->fits.enabled)
        goto cleanup;
    if ((rc = cp_pool_run(th, c.ncells, scan_cell, &c, err)) < 0) {
        rc = pool_error(rc, "anomaly scores", err);
        goto cleanup;
    }
    if ((rc = find_check_period(&c, err)) < 0)
        goto cleanup;
    if ((rc = cp_pool_run(th, c.ncells, fit_cell, &c, err)) < 0) {
        rc = pool_error(rc, "fits", err);
        goto cleanup;
    }
    t1 = now_ms();
    if ((rc = build_groups(&c, err)) < 0 || (rc = fade_outliers(&c, err)) < 0 ||
        (rc = pick_backtest(&c, err)) < 0)
        goto cleanup;
    if ((rc = cp_pool_run(th, c.nbt, backtest_cell, &c, err)) < 0) {
        rc = pool_error(rc, "back-test", err);
        goto cleanup;
    }
    t2 = now_ms();
    if ((rc = score_backtest(&c, err)) < 0)
        goto cleanup;
    if ((rc = cp_pool_run(th, c.ncells, forecast_cell, &c, err)) < 0) {
        rc = pool_error(rc, "forecasts", err);
        goto cleanup;
    }
    t3 = now_ms();
    summarise(&c, out);
    cp_log(CP_LOG_INFO, "stage=models fits_ms=%.1f backtest_ms=%.1f forecast_ms=%.1f", t1 - t0,
           t2 - t1, t3 - t2);
    cp_log(CP_LOG_INFO, "stage=models cells=%zu past_eol=%ld flagged=%ld backtest_mape=%.2f",
           c.ncells, out->cells_past_eol, out->flagged_cells, out->backtest_mape);
cleanup:
    ctx_release(&c);
    return rc;
}

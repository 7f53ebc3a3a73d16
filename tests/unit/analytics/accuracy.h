/*
 * Forecast accuracy against the sample lab's truth (shared by test_accuracy and bench_fits).
 *
 * For a cut fraction f and a method (per-cell or fleet): the lab is generated, then the
 * target cells (truth end of life known, observed at least f of it, in one of two folds by
 * index parity) keep only their cycles up to f x true end of life; every other cell keeps
 * what it has, so the other fold's completed cells are the siblings. Features and models run
 * as in a pipeline; each target's forecast is scored against truth: MAPE (%) and the share
 * of 95 % intervals that contain the truth. Both folds are pooled.
 */
#ifndef CELLPIPE_TEST_ACCURACY_H
#define CELLPIPE_TEST_ACCURACY_H
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/stages.h"
#include "cellpipe/config.h"
#include "cellpipe/error.h"
#include "cellpipe/features.h"
#include "cellpipe/fit.h"
#include "cellpipe/run.h"
#include "cellpipe/sample.h"
#include "cellpipe/source.h"
#include "cellpipe/table.h"

struct acc_score {
    double mape, coverage; /* %, fraction */
    double width;          /* mean interval width / truth (%) */
    long n;                /* targets scored */
    long capped;
};

/* Truth end of life of cell_id (NaN when none). */
static inline double acc_truth(const struct cp_table *truth, const char *id, long *observed)
{
    char **ids = cp_table_str(truth, "cell_id");
    int64_t *eol = cp_table_i64(truth, "eol_cycle"), *obs = cp_table_i64(truth, "observed_cycles");
    for (size_t r = 0; r < truth->nrows; r++)
        if (strcmp(ids[r], id) == 0) {
            *observed = (long)obs[r];
            return eol[r] == CP_I64_NA ? NAN : (double)eol[r];
        }
    return NAN;
}

/* Cut the targets of `fold` at f of their true life; marks targets in is_target[cell row]. */
static inline int acc_cut(struct cp_dataset *ds, const struct cp_table *truth, double f, int fold,
                          unsigned char *is_target, double *truth_eol)
{
    struct cp_table *cy = ds->cycles;
    char **cid = cp_table_str(ds->cells, "cell_id"), **yid = cp_table_str(cy, "cell_id");
    int64_t *n = cp_table_i64(cy, "cycle_index");
    unsigned char *keep = cp_malloc(cy->nrows + 1);
    double *cut = cp_malloc((ds->cells->nrows + 1) * sizeof *cut);
    if (!keep || !cut)
        return -1;
    for (size_t i = 0; i < ds->cells->nrows; i++) {
        long obs = 0;
        truth_eol[i] = acc_truth(truth, cid[i], &obs);
        is_target[i] =
            (int)(i % 2) == fold && isfinite(truth_eol[i]) && (double)obs >= f * truth_eol[i];
        cut[i] = is_target[i] ? floor(f * truth_eol[i]) : INFINITY;
    }
    for (size_t r = 0; r < cy->nrows; r++) {
        long g = cp_table_group_find(ds->cells, "cell_id", yid[r]);
        keep[r] = g < 0 || (double)n[r] <= cut[ds->cells->group_start[g]];
    }
    int rc = cp_table_filter(cy, keep) == 0 && cp_table_group(cy, "cell_id") == 0 ? 0 : -1;
    cp_free(keep);
    cp_free(cut);
    return rc;
}

/* One lab, one fold, one fraction, one method: adds |error| and coverage of each target. */
static inline int acc_fold(const struct cp_config *base, long cells, double f, int fold,
                           enum cp_forecast method, double *abs_err, double *covered, double *width,
                           long *n, long *capped)
{
    struct cp_config cfg = *base;
    cfg.fits.forecast = method;
    struct cp_run run;
    memset(&run, 0, sizeof run);
    run.cfg = &cfg;
    struct cp_error err = {0};
    struct cp_sample_params p = {42, cells, 1000, 1.0};
    struct cp_table *truth = cp_table_new("truth");
    unsigned char *target = NULL;
    double *teol = NULL;
    int rc = -1;
    if (!truth || cp_dataset_init(&run.data, &err) != 0 ||
        cp_sample_generate(&p, &run.data, truth, &err) != 0 ||
        cp_table_sort(run.data.cells, "cell_id", NULL) != 0 ||
        cp_table_group(run.data.cells, "cell_id") != 0 ||
        cp_table_sort(run.data.cycles, "cell_id", "cycle_index") != 0)
        goto cleanup;
    target = cp_calloc((size_t)cells + 1, 1);
    teol = cp_calloc((size_t)cells + 1, sizeof *teol);
    if (!target || !teol || acc_cut(&run.data, truth, f, fold, target, teol) != 0 ||
        cp_stage_features(&run, &err) != 0 || cp_stage_models(&run, &err) != 0)
        goto cleanup;
    for (size_t i = 0; i < run.nresults; i++) {
        const struct cp_cell_result *r = &run.results[i];
        if (!target[r->cells_row])
            continue;
        double t = teol[r->cells_row], fc = r->eol_forecast;
        if (!isfinite(fc))
            fc = cfg.fits.max_extrapolation * (double)r->last_cycle; /* no forecast: the cap */
        abs_err[*n] = fabs(fc - t) / t;
        covered[*n] = r->eol_lo <= t && t <= r->eol_hi;
        width[*n] = isfinite(r->eol_hi - r->eol_lo) ? (r->eol_hi - r->eol_lo) / t : NAN;
        *capped += r->eol_capped;
        (*n)++;
    }
    rc = 0;
cleanup:
    if (err.code)
        fprintf(stderr, "accuracy: %s\n", err.msg);
    cp_free(target);
    cp_free(teol);
    cp_free(run.results);
    cp_dataset_release(&run.data);
    cp_table_free(truth);
    return rc;
}

/* Score method at fraction f over both folds of a `cells`-cell lab. 0 or -1. */
static inline int acc_score(const struct cp_config *base, long cells, double f,
                            enum cp_forecast method, struct acc_score *out)
{
    double *ae = cp_calloc(3 * (size_t)cells + 3, sizeof *ae), *cov = ae ? ae + cells + 1 : NULL;
    double *wid = ae ? cov + cells + 1 : NULL;
    long n = 0, capped = 0;
    int rc = -1;
    if (!ae)
        return -1;
    if (acc_fold(base, cells, f, 0, method, ae, cov, wid, &n, &capped) != 0 ||
        acc_fold(base, cells, f, 1, method, ae, cov, wid, &n, &capped) != 0)
        goto cleanup;
    double s = 0, c = 0, w = 0;
    long nw = 0;
    for (long k = 0; k < n; k++) {
        s += ae[k], c += cov[k];
        if (isfinite(wid[k]))
            w += wid[k], nw++;
    }
    out->width = nw ? 100.0 * w / (double)nw : NAN;
    out->mape = n ? 100.0 * s / (double)n : NAN;
    out->coverage = n ? c / (double)n : NAN;
    out->n = n;
    out->capped = capped;
    rc = 0;
cleanup:
    cp_free(ae);
    return rc;
}

/* Observed end of life of every cell of a full lab against truth: cells whose data reach
 * the true end of life must report it exactly, the others -1. Returns mismatches or -1. */
static inline long acc_eol_mismatches(const struct cp_config *base, long cells, long *checked)
{
    struct cp_config cfg = *base;
    struct cp_run run;
    memset(&run, 0, sizeof run);
    run.cfg = &cfg;
    struct cp_error err = {0};
    struct cp_sample_params p = {42, cells, 1000, 1.0};
    struct cp_table *truth = cp_table_new("truth");
    long bad = -1;
    if (!truth || cp_dataset_init(&run.data, &err) != 0 ||
        cp_sample_generate(&p, &run.data, truth, &err) != 0 ||
        cp_table_sort(run.data.cells, "cell_id", NULL) != 0 ||
        cp_table_sort(run.data.cycles, "cell_id", "cycle_index") != 0 ||
        cp_table_group(run.data.cycles, "cell_id") != 0 || cp_stage_features(&run, &err) != 0 ||
        cp_stage_models(&run, &err) != 0)
        goto cleanup;
    char **ids = cp_table_str(run.data.cells, "cell_id");
    bad = 0;
    *checked = 0;
    for (size_t i = 0; i < run.nresults; i++) {
        long obs = 0;
        double t = acc_truth(truth, ids[run.results[i].cells_row], &obs);
        long expect = isfinite(t) && t <= (double)obs ? (long)t : -1;
        (*checked)++;
        if (run.results[i].eol_observed != expect) {
            fprintf(stderr, "eol mismatch %s: observed %ld, truth %ld (data to %ld)\n",
                    ids[run.results[i].cells_row], run.results[i].eol_observed, expect, obs);
            bad++;
        }
    }
cleanup:
    if (err.code)
        fprintf(stderr, "accuracy: %s\n", err.msg);
    cp_free(run.results);
    cp_dataset_release(&run.data);
    cp_table_free(truth);
    return bad;
}

struct acc_knees {
    long with, with_found, without, without_found;
    double point_after, onset_after; /* mean (knee point or onset - true n_k) / end of life */
    long onset_n;
};

/* Knees of the finished cells of a full lab against truth's knee_cycle. 0 or -1. */
static inline int acc_knees(const struct cp_config *base, long cells, struct acc_knees *k)
{
    struct cp_config cfg = *base;
    struct cp_run run;
    memset(&run, 0, sizeof run);
    memset(k, 0, sizeof *k);
    run.cfg = &cfg;
    struct cp_error err = {0};
    struct cp_sample_params p = {42, cells, 1000, 1.0};
    struct cp_table *truth = cp_table_new("truth");
    int rc = -1;
    if (!truth || cp_dataset_init(&run.data, &err) != 0 ||
        cp_sample_generate(&p, &run.data, truth, &err) != 0 ||
        cp_table_sort(run.data.cells, "cell_id", NULL) != 0 ||
        cp_table_sort(run.data.cycles, "cell_id", "cycle_index") != 0 ||
        cp_table_group(run.data.cycles, "cell_id") != 0 || cp_stage_features(&run, &err) != 0 ||
        cp_stage_models(&run, &err) != 0)
        goto cleanup;
    char **ids = cp_table_str(run.data.cells, "cell_id"), **tid = cp_table_str(truth, "cell_id");
    int64_t *kn = cp_table_i64(truth, "knee_cycle");
    for (size_t i = 0; i < run.nresults; i++) {
        const struct cp_cell_result *r = &run.results[i];
        if (r->eol_observed < 0)
            continue;
        int64_t nk = CP_I64_NA;
        for (size_t t = 0; t < truth->nrows; t++)
            if (strcmp(tid[t], ids[r->cells_row]) == 0)
                nk = kn[t];
        if (nk == CP_I64_NA) {
            k->without++;
            k->without_found += isfinite(r->knee_point);
            continue;
        }
        k->with++;
        if (isfinite(r->knee_point)) {
            k->with_found++;
            k->point_after += (r->knee_point - (double)nk) / (double)r->eol_observed;
        }
        if (isfinite(r->knee_onset)) {
            k->onset_n++;
            k->onset_after += (r->knee_onset - (double)nk) / (double)r->eol_observed;
        }
    }
    k->point_after /= k->with_found ? (double)k->with_found : 1.0;
    k->onset_after /= k->onset_n ? (double)k->onset_n : 1.0;
    rc = 0;
cleanup:
    cp_free(run.results);
    cp_dataset_release(&run.data);
    cp_table_free(truth);
    return rc;
}

#endif

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

#include "cellpipe/progress.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"
#include "cellpipe/pool.h"
#include "models_internal.h"

/* ---- the stage -------------------------------------------------------------------------- */

static void ctx_release(struct models_ctx *c)
{
    if (c->w)
        for (size_t i = 0; i < c->ncells; i++) {
            cp_free(c->w[i].n);
            cp_free(c->w[i].sib);
            cp_free(c->w[i].flag);
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
    cp_progress_total(c.ncells, "cells scored");
    if ((rc = cp_pool_run(th, c.ncells, mdl_scan_cell, &c, err)) < 0) {
        rc = pool_error(rc, "anomaly scores", err);
        goto cleanup;
    }
    if ((rc = mdl_find_check_period(&c, err)) < 0)
        goto cleanup;
    cp_progress_total(c.ncells, "cells fitted");
    if ((rc = cp_pool_run(th, c.ncells, mdl_fit_cell, &c, err)) < 0) {
        rc = pool_error(rc, "fits", err);
        goto cleanup;
    }
    t1 = now_ms();
    if ((rc = mdl_build_groups(&c, err)) < 0 || (rc = mdl_fade_outliers(&c, err)) < 0 ||
        (rc = pick_backtest(&c, err)) < 0)
        goto cleanup;
    cp_progress_total(c.nbt, "cells back-tested");
    if ((rc = cp_pool_run(th, c.nbt, mdl_backtest_cell, &c, err)) < 0) {
        rc = pool_error(rc, "back-test", err);
        goto cleanup;
    }
    t2 = now_ms();
    if ((rc = mdl_score_backtest(&c, err)) < 0)
        goto cleanup;
    cp_progress_total(c.ncells, "cells forecast");
    if ((rc = cp_pool_run(th, c.ncells, mdl_forecast_cell, &c, err)) < 0) {
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

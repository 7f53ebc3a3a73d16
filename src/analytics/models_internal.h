/*
 * The models stage's shared state and phases (private to src/analytics/models*.c; the stage
 * itself is cp_models_fit in include/cellpipe/fit.h, docs/fits.md the rules). The stage
 * (models.c) runs the phases in order, each phase file calls nothing above it:
 *   models_cells.c     phase 1: per-cell points, anomalies, capacity checks, fits, knee
 *   models_fleet.c     phase 2: fleet groups, finished siblings, fade outliers
 *   models_forecast.c  phases 3 and 4: the back-test and the forecasts with their intervals
 * Parallel phases (mdl_scan_cell, mdl_fit_cell, mdl_backtest_cell, mdl_forecast_cell) are
 * cp_pool_run callbacks on one cell and write only that cell's slots.
 */
#ifndef CELLPIPE_MODELS_INTERNAL_H
#define CELLPIPE_MODELS_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

#include "cellpipe/fit.h"

#define NFRAC 4
static const double backtest_fracs[NFRAC] = {0.2, 0.4, 0.6, 0.8}; /* back-test cuts */
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
    unsigned char *flag;    /* per-cycle anomaly flags (phase 1): 0 or ANOMALY_* */
};

enum { ANOMALY_BELOW = 1, ANOMALY_ABOVE = 2 }; /* the cycle's side of the local trend */

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

/* Phase 1 (models_cells.c). */
int mdl_scan_cell(void *vctx, size_t i);
int mdl_find_check_period(struct models_ctx *c, struct cp_error *err);
int mdl_fit_cell(void *vctx, size_t i);
/* Phase 2 (models_fleet.c). */
int mdl_build_groups(struct models_ctx *c, struct cp_error *err);
int mdl_fade_outliers(struct models_ctx *c, struct cp_error *err);
/* Phases 3 and 4 (models_forecast.c). */
int mdl_backtest_cell(void *vctx, size_t j);
int mdl_score_backtest(struct models_ctx *c, struct cp_error *err);
int mdl_forecast_cell(void *vctx, size_t i);

#endif

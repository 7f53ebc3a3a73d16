#ifndef CELLPIPE_RESULTS_H
#define CELLPIPE_RESULTS_H
/*
 * What analytics computes per cell and what validation found; sinks read these.
 * Everything here is plain data, owned by whoever holds it (the run context, a test).
 * A value that could not be computed is NaN (doubles) or -1 (cycle numbers); sinks write
 * NaN as an empty field, never as "nan".
 */
#include <stddef.h>
#include "cellpipe/config.h"

enum cp_fit_status {
    CP_FIT_NOT_RUN = 0, /* model not asked for, or the cell was not fitted */
    CP_FIT_OK,
    CP_FIT_FAILED,    /* the solver did not converge */
    CP_FIT_DEGENERATE /* converged to something unphysical or unidentifiable */
};

#define CP_FIT_MAXP 6

struct cp_fit {
    enum cp_fit_status status;
    int np;
    double p[CP_FIT_MAXP];
    double rmse;
    double aicc;
    char reason[96]; /* why it failed or is degenerate */
};

enum cp_eol_method { CP_EOL_NONE, CP_EOL_OBSERVED, CP_EOL_PER_CELL, CP_EOL_FLEET };

#define CP_MAX_FLAGS 8

/* Flags have a severity (DESIGN.md "fits"): *attention*, something a person should look at
 * (anomalies, fade outliers, stopped tests, validation hits, capped or uncalibrated forecasts,
 * missing data), or *note*, a remark on method (fleet_fallback, no_siblings, no_forecast,
 * too_few_cycles). KPIs, page one, the e-mail subject and MLflow count attention flags only. */
struct cp_flag {
    char kind[24]; /* e.g. "anomaly_cycle", "fade_outlier", "ce_band", "too_few_cycles" */
    char reason[120];
    int attention; /* 1 attention, 0 note (cp_flag_is_attention of kind) */
};

struct cp_cell_result {
    long cells_row; /* row in the cells table */
    long group;     /* group in the cycles table, -1 when the cell has no cycles */
    long n_cycles;
    long first_cycle, last_cycle;
    double reference_ah; /* retention reference */
    double last_retention;
    long cycles_to_90, cycles_to_80; /* observed, persistent crossings; -1 not reached */
    double ce_mean, ce_last_n;
    double fade_rate; /* per 100 cycles, over the trailing fade window at the end */
    double efc_total; /* equivalent full cycles at the last cycle */
    double days_on_test;
    /* fits (issue: degradation fits) */
    struct cp_fit fits[CP_MODEL_COUNT];
    int best_model;                      /* enum cp_model, -1 when none */
    long eol_observed;                   /* cycle, -1 not reached */
    double eol_forecast, eol_lo, eol_hi; /* NaN when none */
    enum cp_eol_method eol_method;
    int eol_capped;                /* forecast capped at the extrapolation limit */
    double knee_onset, knee_point; /* NaN when no knee */
    struct cp_flag flags[CP_MAX_FLAGS];
    int nflags;
    int nattention; /* flags of severity attention: the cell needs a person's look when > 0 */
};

/* 1 when a flag of this kind needs a person's attention, 0 for a note on method. */
int cp_flag_is_attention(const char *kind);

/* Add a flag (ignored past CP_MAX_FLAGS, counted in nflags only up to the limit). */
void cp_result_flag(struct cp_cell_result *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reset a result to "nothing computed". */
void cp_result_init(struct cp_cell_result *r, long cells_row, long group);

/* Results restored from an earlier run (incremental mode): cached[i] = 1 when results[i] holds
 * what an earlier run computed from this very cell data, pipeline and build; the fits then take
 * that cell's fits and knee from it instead of fitting again. Both NULL when nothing is reused. */
struct cp_reuse {
    const unsigned char *cached;
    const struct cp_cell_result *results;
};

/* Fleet figures of one run, for the KPIs, the manifest and the logs. */
struct cp_fleet_summary {
    long flagged_cells;
    long cells_past_eol;
    double backtest_mape; /* mean back-test error of the forecast method used (NaN when none) */
};

struct cp_rule_result {
    const struct cp_rule_config *rule;
    long long checked; /* rows the rule looked at */
    long long hits;
    char examples[256]; /* a few "cell:cycle" examples */
};

/* A quarantine rule that hit more than max_cell_fraction of one cell's rows: those rows were
 * kept, and the cell is flagged instead of gutted. */
struct cp_validation_cell {
    char cell_id[64];
    const struct cp_rule_config *rule;
    long long hits, rows;
};

struct cp_validation {
    struct cp_rule_result *rules;
    size_t nrules;
    struct cp_validation_cell *cells; /* the caller frees it */
    size_t ncells, cellcap;
    long long rows_in, rows_quarantined;
    int failed; /* a rule over its threshold with policy fail */
};

#endif

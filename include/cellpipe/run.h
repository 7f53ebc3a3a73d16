#ifndef CELLPIPE_RUN_H
#define CELLPIPE_RUN_H
/*
 * The run context: one pipeline run as the runner (src/report/runner.c) builds it and the
 * sources' hooks, the renderers and the sinks read it. The runner owns everything in it.
 *
 * It sits below the stages that use it and above analytics: analytics never sees it (its
 * functions take tables and options and return results; the runner hands them what they
 * work on). State that belongs to one source or sink lives with it: a source keeps its own
 * in `source_state` (opaque here, freed by its `release` op), and what a sink computes for
 * others to show is published here in one neutral form (`tracking`).
 */
#include <stdint.h>
#include "cellpipe/config.h"
#include "cellpipe/dataset.h"
#include "cellpipe/results.h"
#include "cellpipe/table.h"

struct cp_statistics;
struct cp_ml_run;

#define CP_MAX_TIMINGS 32

struct cp_tracking {
    char id[64];     /* run id on the tracking server, "" when none */
    char *url;       /* UI link of the run, or NULL (owned by the run context) */
    char status[16]; /* "", "disabled", "journal", "logged", "pending" */
    long pending;    /* calls in the journal the server has not acknowledged */
};

struct cp_timing {
    const char *stage;
    double ms;
};

struct cp_run {
    const struct cp_config *cfg;
    char date[11]; /* YYYY-MM-DD, the report date */
    int64_t epoch; /* fixed "creation" time: SOURCE_DATE_EPOCH or date 00:00 UTC */
    int dry_run;
    unsigned shard_index, shard_count; /* 0/1 when not sharded */
    int full_refresh;                  /* --full-refresh: reuse no cached results */

    struct cp_dataset data; /* cells (selected, sorted, grouped) and cycles (grouped) */
    struct cp_table *quarantine;
    struct cp_validation validation;
    struct cp_cell_result *results; /* one per row of data.cells, same order */
    size_t nresults;
    struct cp_statistics *statistics; /* the statistics stage's; NULL when disabled */
    struct cp_ml_run *ml;             /* the ml stage's (include/cellpipe/ml_run.h); NULL: none */

    char pipeline_sha256[65];
    char data_sha256[65];
    char *report_dir;  /* final folder reports/<pipeline>/<date> */
    char *staging_dir; /* where sinks write before publish */

    /* Incremental runs: the source's own state (its `reuse` op sets it, its `release` op
     * frees it) and the results it lends the models stage from that state. */
    void *source_state;
    struct cp_reuse reuse;

    struct cp_timing timings[CP_MAX_TIMINGS];
    size_t ntimings;

    /* The experiment-tracking run this report belongs to: set by the mlflow-open sink, shown
     * by every later surface (workbook, PDF, index.html, mail, manifest). */
    struct cp_tracking tracking;

    /* fleet figures: the models stage's, recounted by the runner before the sinks */
    long flagged_cells;   /* cells with an attention flag */
    long cells_past_eol;  /* cells with an observed end of life */
    double backtest_mape; /* back-test error (%) of the forecast method used (NaN when none) */
};

/* Record the wall time of a stage (ms). */
void cp_run_timing(struct cp_run *run, const char *stage, double ms);
/* Free run->statistics and set it to NULL. */
void cp_run_statistics_release(struct cp_run *run);
/* Path inside the staging folder (cp_free). */
char *cp_run_path(const struct cp_run *run, const char *rel);

#endif

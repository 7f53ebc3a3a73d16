#ifndef CELLPIPE_RUN_H
#define CELLPIPE_RUN_H
/*
 * One pipeline run: the context every stage and sink sees. Built by the runner
 * (src/report/runner.c), which owns everything in it.
 */
#include <stdint.h>
#include "cellpipe/config.h"
#include "cellpipe/results.h"
#include "cellpipe/source.h"
#include "cellpipe/table.h"

#define CP_MAX_TIMINGS 32

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

    char pipeline_sha256[65];
    char data_sha256[65];
    char *report_dir;  /* final folder reports/<pipeline>/<date> */
    char *staging_dir; /* where sinks write before publish */

    /* Incremental mode (include/cellpipe/pg.h): cached[i] = 1 when cache[i] holds the results
     * a previous run computed from this very cell data, pipeline file and build; the models
     * stage then takes the cell's fits and knee from it instead of fitting again. NULL when
     * not incremental. */
    unsigned char *cached;
    struct cp_cell_result *cache;
    char (*cell_fingerprints)[65];
    long long pg_watermark;

    struct cp_timing timings[CP_MAX_TIMINGS];
    size_t ntimings;

    /* filled by sinks, read by later ones (manifest, email, html) */
    char mlflow_run_id[64];
    char *mlflow_url;       /* UI link of the parent run, or NULL */
    char mlflow_status[16]; /* "", "disabled", "journal", "logged", "pending" */
    long flagged_cells;
    long cells_past_eol;
    double backtest_mape; /* fleet vs per-cell back-test error (NaN when none) */
};

/* Record the wall time of a stage (ms). */
void cp_run_timing(struct cp_run *run, const char *stage, double ms);
/* Path inside the staging folder (cp_free). */
char *cp_run_path(const struct cp_run *run, const char *rel);

#endif

/* The results sink: see include/cellpipe/results_csv.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cellpipe/progress.h"
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/cells_table.h"
#include "cellpipe/results_csv.h"
#include "cellpipe/run.h"
#include "cellpipe/sink.h"
#include "cellpipe/statistics.h"

static int write_table(const struct cp_run *run, const struct cp_table *t, const char *rel,
                       struct cp_error *err)
{
    char *path = cp_run_path(run, rel);
    if (!path)
        return cp_error_oom(err);
    int rc = 0;
    cp_progress_total(t->nrows, rel);
    if (cp_table_write_csv(t, path) < 0)
        rc = cp_error_errno(err, CP_ECANTCREAT, "cannot write '%s'", path);
    cp_free(path);
    return rc;
}

static int write_statistics(const struct cp_run *run, struct cp_error *err)
{
    struct cp_table *t = cp_statistics_table(run->statistics);
    if (!t)
        return cp_error_oom(err);
    int rc = write_table(run, t, "results/statistics.csv", err);
    cp_table_free(t);
    return rc;
}

static int results_write(struct cp_run *run, struct cp_error *err)
{
    struct cp_table *cells = cp_cells_table(run);
    if (!cells)
        return cp_error_oom(err);
    int rc = write_table(run, cells, "results/cells.csv", err);
    cp_table_free(cells);
    if (rc == 0 && run->cfg->report.cycles_csv)
        rc = write_table(run, run->data.cycles, "results/cycles.csv", err);
    /* dQ/dV curves exist only for raw time series: no empty file for other sources */
    if (rc == 0 && run->data.curves && run->data.curves->nrows > 0)
        rc = write_table(run, run->data.curves, "results/dqdv.csv", err);
    if (rc == 0 && run->statistics)
        rc = write_statistics(run, err);
    if (rc == 0 && run->quarantine)
        rc = write_table(run, run->quarantine, "quarantine.csv", err);
    return rc;
}

const struct cp_sink_ops cp_sink_results = {
    .name = "results", .phase = CP_SINK_STAGED, .write = results_write};

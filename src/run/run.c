/* Helpers on the run context: see include/cellpipe/run.h. */
#include "cellpipe/alloc.h"
#include "cellpipe/fs.h"
#include "cellpipe/run.h"
#include "cellpipe/statistics.h"

void cp_run_timing(struct cp_run *run, const char *stage, double ms)
{
    if (run->ntimings < CP_MAX_TIMINGS)
        run->timings[run->ntimings++] = (struct cp_timing){stage, ms};
}

char *cp_run_path(const struct cp_run *run, const char *rel)
{
    return cp_path_join(run->staging_dir, rel);
}

void cp_run_statistics_release(struct cp_run *run)
{
    if (run->statistics)
        cp_statistics_release(run->statistics);
    cp_free(run->statistics);
    run->statistics = NULL;
}

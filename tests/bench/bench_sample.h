/* Shared by the benchmarks over the workbook fixture (bench_workbook.c, bench_csv.c): the
 * sample lab's data with its features, in place of the fixture's tables. */
#ifndef CELLPIPE_BENCH_SAMPLE_H
#define CELLPIPE_BENCH_SAMPLE_H
#include <string.h>

#include "../unit/sinks/workbook_fixture.h"
#include "cellpipe/dataset.h"
#include "cellpipe/sample.h"
#include "cellpipe/stages.h"

static inline int sample_input(struct fixture *f, long ncells, long ncycles, struct cp_error *err)
{
    struct cp_sample_params p = {.seed = 42, .cells = ncells, .cycles = ncycles};
    cp_table_free(f->run.data.cells);
    cp_table_free(f->run.data.cycles);
    cp_free(f->run.results);
    memset(&f->run.data, 0, sizeof f->run.data);
    f->run.results = NULL;
    f->run.nresults = 0;
    if (cp_dataset_init(&f->run.data, err) < 0 ||
        cp_sample_generate(&p, &f->run.data, NULL, err) < 0 || cp_stage_select(&f->run, err) < 0)
        return -1;
    return cp_stage_features(&f->run, err) < 0 ? -1 : 0;
}

#endif

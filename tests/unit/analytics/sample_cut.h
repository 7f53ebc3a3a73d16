/*
 * The sample lab run through validate, features and models, optionally with every cell cut at
 * a fraction of its true end of life (so that no cell has finished) and capacity rounded to a
 * number of significant digits (as coarse exports write it). For test_properties.
 */
#ifndef CELLPIPE_TEST_SAMPLE_CUT_H
#define CELLPIPE_TEST_SAMPLE_CUT_H
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/run.h"
#include "cellpipe/sample.h"
#include "cellpipe/stages.h"

static inline double sample_round_sig(double x, int digits)
{
    if (digits <= 0 || x == 0 || !isfinite(x))
        return x;
    double scale = pow(10, digits - 1 - (int)floor(log10(fabs(x))));
    return round(x * scale) / scale;
}

/* Keep rows of cells whose true end of life is known only up to cut x that life. */
static inline int sample_cut(struct cp_dataset *ds, const struct cp_table *truth, double cut)
{
    struct cp_table *cy = ds->cycles;
    char **yid = cp_table_str(cy, "cell_id"), **tid = cp_table_str(truth, "cell_id");
    int64_t *n = cp_table_i64(cy, "cycle_index"), *eol = cp_table_i64(truth, "eol_cycle");
    unsigned char *keep = cp_malloc(cy->nrows + 1);
    if (!keep)
        return -1;
    for (size_t r = 0; r < cy->nrows; r++) {
        keep[r] = 1;
        for (size_t t = 0; t < truth->nrows; t++)
            if (strcmp(tid[t], yid[r]) == 0 && eol[t] != CP_I64_NA)
                keep[r] = (double)n[r] <= floor(cut * (double)eol[t]);
    }
    int rc = cp_table_filter(cy, keep) == 0 ? 0 : -1;
    cp_free(keep);
    return rc;
}

static inline int sample_run(const struct cp_config *cfg, long cells, double cut, int digits,
                             struct cp_run *run)
{
    struct cp_error err = {0};
    struct cp_sample_params p = {42, cells, 1000, 1.0};
    struct cp_table *truth = cp_table_new("truth");
    memset(run, 0, sizeof *run);
    run->cfg = cfg;
    int rc = truth && cp_dataset_init(&run->data, &err) == 0 &&
                     cp_sample_generate(&p, &run->data, truth, &err) == 0
                 ? 0
                 : -1;
    if (rc == 0 && cut > 0)
        rc = sample_cut(&run->data, truth, cut);
    double *q = rc == 0 ? cp_table_f64(run->data.cycles, "discharge_capacity_ah") : NULL;
    for (size_t i = 0; q && i < run->data.cycles->nrows; i++)
        q[i] = sample_round_sig(q[i], digits);
    if (rc == 0 &&
        (cp_table_sort(run->data.cells, "cell_id", NULL) != 0 ||
         cp_table_group(run->data.cells, "cell_id") != 0 ||
         cp_table_sort(run->data.cycles, "cell_id", "cycle_index") != 0 ||
         cp_table_group(run->data.cycles, "cell_id") != 0 || cp_stage_validate(run, &err) != 0 ||
         cp_stage_features(run, &err) != 0 || cp_stage_models(run, &err) != 0))
        rc = -1;
    if (err.code)
        fprintf(stderr, "sample_run: %s\n", err.msg);
    cp_table_free(truth);
    return rc;
}

#endif

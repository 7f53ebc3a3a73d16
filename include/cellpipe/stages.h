#ifndef CELLPIPE_STAGES_H
#define CELLPIPE_STAGES_H
/*
 * The analytics stages applied to a run context: each hands one analytics function the parts
 * of the run it works on and stores what it returns (src/run/stages.c). The runner's stage
 * table lists these; tests use them to run a stage on a prepared run.
 * Each returns 0 or a negative code, with the detail in err.
 */
#include "cellpipe/run.h"

struct cp_error;

/* Metadata filters and the run's shard (include/cellpipe/select.h). */
int cp_stage_select(struct cp_run *run, struct cp_error *err);
/* Schema rules; fills run->quarantine and run->validation (include/cellpipe/validate.h). */
int cp_stage_validate(struct cp_run *run, struct cp_error *err);
/* Per-cycle and per-cell features; creates run->results (include/cellpipe/features.h). */
int cp_stage_features(struct cp_run *run, struct cp_error *err);
/* Fits, end of life, knee, forecasts, anomalies over run->results, with run->reuse;
 * fills the run's fleet figures (include/cellpipe/fit.h). */
int cp_stage_models(struct cp_run *run, struct cp_error *err);

/* Fleet statistics over the per-cell table (`statistics:`); sets run->statistics, or leaves it
 * NULL when the section is disabled (include/cellpipe/statistics.h). */
int cp_stage_statistics(struct cp_run *run, struct cp_error *err);

#endif

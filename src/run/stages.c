/* The analytics stages on a run context: see include/cellpipe/stages.h. */
#include "cellpipe/alloc.h"
#include "cellpipe/error.h"
#include "cellpipe/features.h"
#include "cellpipe/fit.h"
#include "cellpipe/select.h"
#include "cellpipe/stages.h"
#include "cellpipe/validate.h"

int cp_stage_select(struct cp_run *run, struct cp_error *err)
{
    struct cp_select_opts o = {run->cfg, run->shard_index, run->shard_count};
    return cp_select_apply(&o, &run->data, err);
}

int cp_stage_validate(struct cp_run *run, struct cp_error *err)
{
    struct cp_validate_io io = {run->cfg, run->data.cycles, &run->quarantine, &run->validation};
    return cp_validate_apply(&io, err);
}

int cp_stage_features(struct cp_run *run, struct cp_error *err)
{
    cp_free(run->results);
    run->nresults = 0;
    int rc = cp_features_compute(&run->cfg->features, run->data.cells, run->data.cycles,
                                 &run->results, err);
    if (rc == 0) {
        run->nresults = run->data.cells->nrows;
        cp_validation_flag_cells(&run->validation, run->quarantine, run->data.cells,
                                 run->data.cycles,
                                 run->cfg->features.reference == CP_REF_FIRST_CYCLES
                                     ? run->cfg->features.reference_cycles
                                     : 0,
                                 run->results);
    }
    return rc;
}

int cp_stage_models(struct cp_run *run, struct cp_error *err)
{
    struct cp_models_io io = {run->cfg,     run->data.cells, run->data.cycles,
                              run->results, run->nresults,   run->reuse};
    struct cp_fleet_summary s;
    int rc = cp_models_fit(&io, &s, err);
    run->cells_past_eol = s.cells_past_eol;
    run->flagged_cells = s.flagged_cells;
    run->backtest_mape = s.backtest_mape;
    return rc;
}

#ifndef CELLPIPE_ML_INPUTS_H
#define CELLPIPE_ML_INPUTS_H
/*
 * The ml stage as the runner calls it (src/report/ml_inputs.c): first the saved models that
 * `use:` entries name are read, a local model.json (relative to the pipeline file) or
 * models:/NAME@ALIAS and models:/NAME/VERSION from the MLflow registry at
 * mlflow.tracking_uri, then cp_ml_run_stage() trains and predicts (include/cellpipe/ml_run.h).
 * Errors: CP_ENOINPUT a model.json that does not exist, CP_EDATA one that is not a cellpipe
 * model, CP_EUNAVAILABLE the registry cannot be reached, CP_ECONFIG models:/ without a
 * tracking URI.
 */
struct cp_error;
struct cp_run;

int cp_report_ml_stage(struct cp_run *run, struct cp_error *err);

#endif

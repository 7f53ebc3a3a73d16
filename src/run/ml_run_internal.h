#ifndef CELLPIPE_RUN_ML_RUN_INTERNAL_H
#define CELLPIPE_RUN_ML_RUN_INTERNAL_H
/* Between the ml stage's files (src/run/ml_*.c). */
#include <stddef.h>

struct cp_error;
struct cp_ml_result;
struct cp_run;

/* ml_data.c: r->x, r->observed, r->note for every cell, from r->model's features. */
int ml_cells_prepare(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err);
/* ml_data.c: the catalogue features this data has (cp_free each and the array). */
int ml_catalogue_names(const struct cp_run *run, long early_cycles, char ***names, size_t *p,
                       struct cp_error *err);
/* ml_train.c: train r->cfg's model (r->model, r->cv) or set r->skipped. */
int ml_train(struct cp_ml_result *r, const struct cp_run *run, struct cp_error *err);
/* ml_predict.c: r->pred, lo, hi, out_of_range for every cell with features. */
int ml_predict(struct cp_ml_result *r, struct cp_error *err);

#endif

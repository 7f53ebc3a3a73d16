#ifndef CELLPIPE_ML_TABLES_H
#define CELLPIPE_ML_TABLES_H
/*
 * The ml stage's results as tables (src/run/ml_tables.c), so that results/models.csv,
 * results/predictions.csv, the workbook's Models and Predictions sheets and cells.csv's
 * prediction columns show one column under one name:
 *   models       one row per `models:` entry: status, cells, hyperparameters, the
 *                cross-validated metrics and the baseline's (docs/ml.md lists the columns);
 *   predictions  one row per model and selected cell: prediction, interval, observed value,
 *                whether the cell trained the model, whether it lies outside the training range;
 *   per model:   coefficients, out-of-fold predictions with the fold of each cell, features.
 * NULL when out of memory.
 */
#include <stddef.h>

struct cp_run;
struct cp_table;
struct cp_ml_result;

struct cp_table *cp_ml_models_table(const struct cp_run *run);
struct cp_table *cp_ml_predictions_table(const struct cp_run *run);
struct cp_table *cp_ml_coefficients_table(const struct cp_ml_result *r);
struct cp_table *cp_ml_cv_table(const struct cp_run *run, const struct cp_ml_result *r);
struct cp_table *cp_ml_features_table(const struct cp_run *run, const struct cp_ml_result *r);
/* Add pred_<model> (cycle life or probability), pred_<model>_lo, _hi and _out_of_range columns
 * to a per-cell table whose rows follow run->data.cells. 0 or -1. */
int cp_ml_add_cell_columns(const struct cp_run *run, struct cp_table *cells);

#endif

#ifndef CELLPIPE_FEATURES_H
#define CELLPIPE_FEATURES_H
/*
 * The features stage (DESIGN.md "Feature definitions"); written out in pipelines/README.md
 * exactly as computed here. Adds per-cycle columns to the cycles table (sorted, grouped):
 *   coulombic_efficiency, energy_efficiency, capacity_retention,
 *   temperature_compensated_capacity, retention_mean_<w>, retention_std_<w> (each window w),
 *   fade_rate, cycle_fraction, days_since_start, equivalent_full_cycles
 * and returns one result per cells row with its per-cell feature fields filled.
 * Analytics does no I/O.
 */
#include <stddef.h>

#include "cellpipe/config.h"
#include "cellpipe/results.h"
#include "cellpipe/table.h"

struct cp_error;

/* *out: cells->nrows results (cp_free), NULL on error. 0 or negative code. */
int cp_features_compute(const struct cp_features_config *fc, const struct cp_table *cells,
                        struct cp_table *cycles, struct cp_cell_result **out, struct cp_error *err);

/* Median of the finite values among v[0..n) (NaN when none); sorts a copy. */
double cp_median(const double *v, size_t n);

#endif

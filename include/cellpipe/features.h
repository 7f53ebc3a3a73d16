#ifndef CELLPIPE_FEATURES_H
#define CELLPIPE_FEATURES_H
/*
 * The features stage (DESIGN.md "Feature definitions"); written out in pipelines/README.md
 * exactly as computed here. Adds per-cycle columns to run->data.cycles:
 *   coulombic_efficiency, energy_efficiency, capacity_retention,
 *   temperature_compensated_capacity, retention_mean_<w>, retention_std_<w> (each window w),
 *   fade_rate, cycle_fraction, days_since_start, equivalent_full_cycles
 * and fills the per-cell feature fields of run->results (one per cells row).
 * Analytics does no I/O.
 */
#include <stddef.h>

struct cp_run;
struct cp_error;

int cp_features_run(struct cp_run *run, struct cp_error *err);

/* Median of the finite values among v[0..n) (NaN when none); sorts a copy. */
double cp_median(const double *v, size_t n);

#endif

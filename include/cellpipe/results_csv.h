#ifndef CELLPIPE_RESULTS_CSV_H
#define CELLPIPE_RESULTS_CSV_H
/*
 * The results sink (`cp_sink_results`): results/cells.csv (one row per cell: metadata,
 * per-cell features, best fit, end of life, knee, flags), results/cycles.csv (per-cycle
 * features; report.cycles_csv), results/dqdv.csv (the dQ/dV curves of raw time series: cell_id,
 * cycle_index, voltage_v, dqdv_ah_per_v; only when the source gave curves) and quarantine.csv.
 * NaN is an empty field; numbers are the shortest decimal that reads back to the same double
 * (docs/output-numbers.md).
 */
struct cp_run;

#endif

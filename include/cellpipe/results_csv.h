#ifndef CELLPIPE_RESULTS_CSV_H
#define CELLPIPE_RESULTS_CSV_H
/*
 * The results sink (`cp_sink_results`): results/cells.csv (one row per cell: metadata,
 * per-cell features, best fit, end of life, knee, flags), results/cycles.csv (per-cycle
 * features; report.cycles_csv), results/dqdv.csv (the dQ/dV curves of raw time series: cell_id,
 * cycle_index, voltage_v, dqdv_ah_per_v; only when the source gave curves) and quarantine.csv.
 * NaN is an empty field.
 */
struct cp_run;

/* The per-cell results as a table: every cells column, then the result columns in the order
 * of results/cells.csv. Other sinks (workbook, html) use it too. NULL when out of memory. */
struct cp_table *cp_results_cells_table(const struct cp_run *run);

/* Flags of a cell joined as "kind: reason; kind: reason" into buf. */
#include <stddef.h>
struct cp_cell_result;
void cp_results_flag_text(const struct cp_cell_result *r, char *buf, size_t n);

#endif

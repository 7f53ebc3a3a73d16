#ifndef CELLPIPE_UNITS_H
#define CELLPIPE_UNITS_H
/*
 * Units of the canonical per-cycle columns (src/core/units.c), for the `columns:` mapping of
 * the files source: which units a column accepts and the factor to its canonical unit
 * (discharge_capacity_ah: Ah 1, mAh 0.001; test_time_s: s, min, h; ...). The configuration
 * checks a mapping with it at load time and the reader scales with the same factors.
 */

/* Factor from `unit` (case-insensitive; "" = the canonical unit) to the canonical unit of
 * column `column` (a name of cp_cycles_columns). 0 and *factor, or -1 when the unit does not
 * fit the column (a column without a unit, cycle_index or cell_id, accepts only ""). */
int cp_units_factor(const char *column, const char *unit, double *factor);
/* The units `column` accepts, comma-separated, for messages ("" for none). */
const char *cp_units_accepted(const char *column);

#endif

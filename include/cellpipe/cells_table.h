#ifndef CELLPIPE_CELLS_TABLE_H
#define CELLPIPE_CELLS_TABLE_H
/*
 * The per-cell results as one table (run/cells_table.c): every column of the cells table, then
 * the result columns in the order of results/cells.csv (n_cycles ... knee_point, n_flags,
 * flags). results/cells.csv, the workbook's Cells sheet and the statistics stage (its metrics
 * are columns of this table) all read it, so a column has one name and one meaning.
 */
#include <stddef.h>

struct cp_run;
struct cp_table;
struct cp_cell_result;

/* NULL when out of memory. */
struct cp_table *cp_cells_table(const struct cp_run *run);

/* Flags of a cell joined as "kind: reason; kind: reason" into buf. */
void cp_cells_flag_text(const struct cp_cell_result *r, char *buf, size_t n);

#endif

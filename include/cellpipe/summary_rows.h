#ifndef CELLPIPE_SUMMARY_ROWS_H
#define CELLPIPE_SUMMARY_ROWS_H
/*
 * Which cells summary.pdf lists (render/summary_rows.c), decided before anything is drawn so
 * the page count is known and bounded whatever the fleet's size.
 *
 * Up to `report.summary_cells` cells (default CP_SUMMARY_CELLS) every cell is listed in the
 * order of the cells table, and every flagged cell's attention flags. Past it a reader gets
 * what they act on, and a line saying where the rest is (results/cells.csv, the workbook):
 *   flagged table: the attention flags of at most summary_cells flagged cells, the earliest
 *                  end of life first;
 *   fleet table:   summary_cells cells, the flagged ones first, then the earliest end of
 *                  life; listed earliest end of life first.
 * End of life is the observed one, else the forecast; cells without one come last, and ties
 * keep the order of the cells table. The choice depends on the data only (deterministic).
 */
#include <stddef.h>

struct cp_run;

#define CP_SUMMARY_CELLS 100

struct cp_summary_rows {
    size_t *fleet; /* cells rows of the fleet table, in the order listed */
    size_t nfleet;
    size_t *flagged; /* cells rows whose attention flags are listed, in the order listed */
    size_t nflagged;
    size_t ncells;        /* cells in the run */
    size_t flagged_cells; /* cells with at least one attention flag */
};

/* report.summary_cells, or CP_SUMMARY_CELLS without a config. */
size_t cp_summary_rows_max(const struct cp_run *run);

/* Choose the rows for run (above). 0, or -1 when out of memory (out is then empty).
 * Release with cp_summary_rows_release(). */
int cp_summary_rows_pick(const struct cp_run *run, struct cp_summary_rows *out);
void cp_summary_rows_release(struct cp_summary_rows *r);

#endif

#ifndef CELLPIPE_VALIDATE_H
#define CELLPIPE_VALIDATE_H
/*
 * The validate stage: apply cfg->validate.rules, in order, to the cycles table (sorted and
 * grouped). Each rule counts its hits over the rows it checked:
 *   required   the column's value is missing
 *   nan        the value is NaN or infinite (present but not a finite number)
 *   range      the value is below min or above max (either may be unset)
 *   duplicates a (cell_id, cycle_index) seen before in the cell (the first is kept)
 *   monotonic  the value is lower than in the cell's previous row
 *   gaps       cycle_index jumps by more than one from the previous row (missing cycles)
 *   outlier    |value - local trend| / max(1.4826 MAD of the cell's residuals, floor) > z,
 *              the trend over `window` rows (include/cellpipe/robust.h: centred median,
 *              a robust line at the ends), floor = max(0.1 % of the cell's median value,
 *              the values' resolution)
 * An outlier rule with policy quarantine that hits more than max_cell_fraction of one
 * cell's rows quarantines none of them; the cell is recorded in validation->cells
 * (cp_validation_flag_cells). Policies: `quarantine` moves the hit rows to the quarantine table
 * (with `rule` and `reason` columns) before the next rule runs; `warn` logs; `fail` and
 * `quarantine` fail the run with CP_EDATA when hits / checked exceeds the rule's threshold, as does
 * a total quarantined fraction above max_quarantine_fraction. The validation record gets per-rule
 * counts and examples.
 */
#include "cellpipe/config.h"
#include "cellpipe/results.h"
#include "cellpipe/table.h"

struct cp_error;

struct cp_validate_io {
    const struct cp_config *cfg;      /* cfg->validate: the rules; cfg->path for messages */
    struct cp_table *cycles;          /* filtered in place (quarantined rows leave it) */
    struct cp_table **quarantine;     /* created when NULL; the caller frees it */
    struct cp_validation *validation; /* filled; validation->rules is the caller's to free */
};

/* 0, or CP_EDATA past a threshold, or another negative code. */
int cp_validate_apply(struct cp_validate_io *io, struct cp_error *err);

/* After the features stage: flag (attention) each cell that a quarantine rule would have
 * gutted (`validation`: rule, hits, share; its rows were kept), and each cell whose reference
 * window (its first reference_cycles rows left) lost rows to quarantine
 * (`reference_quarantined`). results: one per cells row. */
void cp_validation_flag_cells(const struct cp_validation *val, const struct cp_table *quarantine,
                              const struct cp_table *cells, const struct cp_table *cycles,
                              long reference_cycles, struct cp_cell_result *results);

#endif

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
 *   outlier    |value - rolling median| / (1.4826 MAD of the cell's residuals) > z, the
 *              median over a centred window of `window` rows
 * Policies: `quarantine` moves the hit rows to the quarantine table (with `rule` and `reason`
 * columns) before the next rule runs; `warn` logs; `fail` and `quarantine` fail the run with
 * CP_EDATA when hits / checked exceeds the rule's threshold, as does a total quarantined
 * fraction above max_quarantine_fraction. The validation record gets per-rule counts and
 * examples.
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

#endif

#ifndef CELLPIPE_VALIDATE_H
#define CELLPIPE_VALIDATE_H
/*
 * The validate stage: apply cfg->validate.rules, in order, to run->data.cycles (sorted and
 * grouped). Each rule counts its hits over the rows it checked:
 *   required   the column's value is missing
 *   nan        the value is NaN or infinite (present but not a finite number)
 *   range      the value is below min or above max (either may be unset)
 *   duplicates a (cell_id, cycle_index) seen before in the cell (the first is kept)
 *   monotonic  the value is lower than in the cell's previous row
 *   gaps       cycle_index jumps by more than one from the previous row (missing cycles)
 *   outlier    |value - rolling median| / (1.4826 MAD of the cell's residuals) > z, the
 *              median over a centred window of `window` rows
 * Policies: `quarantine` moves the hit rows to run->quarantine (with `rule` and `reason`
 * columns) before the next rule runs; `warn` logs; `fail` and `quarantine` fail the run with
 * CP_EDATA when hits / checked exceeds the rule's threshold, as does a total quarantined
 * fraction above max_quarantine_fraction. run->validation gets per-rule counts and examples.
 */
struct cp_run;
struct cp_error;

int cp_validate_run(struct cp_run *run, struct cp_error *err);

#endif

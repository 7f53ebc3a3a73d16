#ifndef CELLPIPE_SAMPLE_H
#define CELLPIPE_SAMPLE_H
/*
 * The sample lab: a deterministic synthetic fleet (same seed, byte-identical data).
 *
 * Cells span four designs, three experiment groups, two layer types, four statuses and
 * several start years. Each cell's retention follows
 *     r(n) = 1 - a sqrt(n) - b n - c (w softplus((n - n_k) / w))^2
 * (square-root early fade, linear middle, and for about half the cells a knee from cycle n_k),
 * scaled by cell-to-cell spread of initial capacity and life, with measurement noise,
 * coulombic efficiency about 0.999, energies from mean voltages that drift with ageing, an
 * internal resistance that grows, a temperature that changes the measured capacity by
 * (1 + 0.005 (T - 25)), and a slower capacity-check cycle every 100 cycles (+1.5 %).
 * Faults are injected for validation to catch: a one-cycle dip, a missing cycle, a
 * duplicated cycle, a NaN capacity and an outlier (cells 1 to 5, when present).
 *
 * truth (one row per cell): cell_id, test_status, observed_cycles, eol_cycle (first cycle of
 * the full simulated life, faults excluded, whose retention against the median of cycles 1-3
 * is below 0.8 and stays below for every later simulated cycle), knee_cycle (n_k, empty for
 * cells without a knee), life_cycles (the generator's target life).
 */
#include "cellpipe/source.h"

struct cp_error;

struct cp_sample_params {
    long seed;
    long cells;
    long cycles; /* longest test */
    /* How far the designs' lives differ: a design's life factor f becomes 1 + spread (f - 1).
     * 1 (also 0, for callers that leave it unset): LFP 1.0, NMC 0.9, NCA 0.8, LTO 0.95 of the
     * base life; the demo's 2.5 gives 1.0, 0.75, 0.5, 0.875. */
    double life_spread;
};

/* Fill ds (initialised by cp_dataset_init) and, when truth is not NULL, the truth table. */
int cp_sample_generate(const struct cp_sample_params *p, struct cp_dataset *ds,
                       struct cp_table *truth, struct cp_error *err);

/* Write cells.csv, <cell_id>_cycle_data.csv per cell and truth.csv into dir (created). */
int cp_sample_write(const struct cp_dataset *ds, const struct cp_table *truth, const char *dir,
                    struct cp_error *err);

#endif

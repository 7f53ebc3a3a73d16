#ifndef CELLPIPE_DQDV_H
#define CELLPIPE_DQDV_H
/*
 * Incremental capacity (dQ/dV) and the Severson et al. 2019 early-life features, computed
 * while a series streams (src/analytics/dqdv.c; no I/O).
 *
 * Per cycle the discharge points (current < 0) are kept in a fixed buffer of CP_DQDV_BUF
 * (voltage, discharge capacity so far) pairs; when it fills, every other point is dropped and
 * only every second later point is kept, so memory never depends on the series length.
 * At the end of the cycle:
 *   Q(V): capacity at each point of a grid of `npoints` voltages from the cycle's highest to its
 *         lowest discharge voltage, taken where the voltage first crosses each grid value
 *         (linear interpolation between the two samples around the crossing);
 *   dQ/dV: -(Q[k+1] - Q[k]) / (V[k+1] - V[k]) at the midpoints, then a centred moving average
 *         over 2 * smooth + 1 points (missing points skipped). Ah/V, positive on discharge.
 * Severson: at the end of cycle `cycle_a` (10) its Q(V) is stored on a grid of `severson_points`
 * (1000) voltages spanning its own discharge range trimmed by 1 % of the range at each end;
 * at the end of `cycle_b` (100) Q_b(V) on the same grid gives dQ = Q_b - Q_a and
 *   log10_var = log10(var(dQ)) (population variance), min = min(dQ), mean = mean(dQ)
 * over the grid points where both are defined.
 */
#include <stdint.h>

struct cp_error;
struct cp_table;

#define CP_DQDV_BUF 4096

struct cp_dqdv_options {
    int npoints;         /* dQ/dV grid points per cycle, default 100 */
    int smooth;          /* moving-average half width, default 3 */
    int64_t cycle_a;     /* default 10 */
    int64_t cycle_b;     /* default 100 */
    int severson_points; /* default 1000 */
};

void cp_dqdv_options_init(struct cp_dqdv_options *o);

struct cp_severson {
    int ok;           /* both cycles seen with enough common points */
    double log10_var; /* log10 of the variance of dQ (Ah^2) */
    double min;       /* Ah */
    double mean;      /* Ah */
};

struct cp_dqdv;

/* Curves go to `curves` (columns cell_id, cycle_index, voltage_v, dqdv_ah_per_v) when not
 * NULL. NULL when out of memory. */
struct cp_dqdv *cp_dqdv_new(const struct cp_dqdv_options *o, struct cp_table *curves,
                            const char *cell_id);
void cp_dqdv_free(struct cp_dqdv *d);
/* One point of the current cycle; only discharge points (current < 0) are kept. */
void cp_dqdv_point(struct cp_dqdv *d, double voltage_v, double discharge_ah, double current_a);
/* Close the current cycle: curve rows, Severson bookkeeping. 0 or CP_EINTERNAL. */
int cp_dqdv_end_cycle(struct cp_dqdv *d, int64_t cycle, struct cp_error *err);
const struct cp_severson *cp_dqdv_severson(const struct cp_dqdv *d);

/* Q at each of n grid voltages (grid[k], descending) from a sequence of (v, q) samples, first
 * crossing, linear interpolation; NaN where not crossed. Exposed for tests. */
void cp_dqdv_q_on_grid(const double *v, const double *q, long n, const double *grid, int ngrid,
                       double *out);

#endif

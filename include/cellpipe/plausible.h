#ifndef CELLPIPE_PLAUSIBLE_H
#define CELLPIPE_PLAUSIBLE_H
/*
 * Plausibility of what a cycler file says (src/sources/files/plausible.c): the checks every
 * time series passes per cycle, so that a unit or counter mistake shows instead of becoming a
 * wrong number. docs/readers.md ("Units that cannot be silently wrong") lists them.
 *
 * Refused (CP_EDATA "file:line: check voltage_range: ..."): a voltage beyond CP_PL_VOLT_MAX
 * once the column's unit is settled (a column declared or defaulted as volts whose first
 * non-zero value lies in (CP_PL_VOLT_MAX, CP_PL_MV_MAX] holds millivolts and is converted,
 * with a logged note).
 * Warned (the cycles' text column `plausibility`, absent when every cycle passes):
 *   capacity_vs_current  a capacity counter and the integral of the current disagree beyond
 *                        the tolerance (2 % of the larger + 1 mAh, widened by the sampling:
 *                        the current held at either end of each interval bounds the integral)
 *   v_mean_range         energy / capacity falls outside the cycle's own voltage range, widened
 *                        by 2 % + 10 mV (the mean is then left missing: it cannot be right);
 *                        not checked where counters carry in charge from before the file's
 *                        first row
 *   current_sign         rows whose current sign contradicts their step type
 *   time_backwards       the test time went backwards inside the cycle (stitched on)
 */
#include "cellpipe/strbuf.h"

#define CP_PL_VOLT_MAX 6.0  /* |V| of any cell chemistry a lab cycles */
#define CP_PL_MV_MAX 6000.0 /* the same in millivolts */
#define CP_PL_REL_TOL 0.02  /* counter vs integral: relative part */
#define CP_PL_ABS_TOL 0.001 /* counter vs integral: absolute part, Ah (or Wh) */

enum {
    CP_PL_CAPACITY = 1u << 0,
    CP_PL_VMEAN = 1u << 1,
    CP_PL_SIGN = 1u << 2,
    CP_PL_TIME = 1u << 3,
};

/* Does a counter amount agree with the integral bracketed by [lo, hi] (lo <= hi)? 1 or 0. */
int cp_plausible_agrees(double counter, double lo, double hi);

/* The factor a voltage column needs, from its first non-zero value v (already multiplied by
 * the header's factor `scale`): 1e-3 when a column in volts (scale 1) holds millivolts, 1
 * otherwise. */
double cp_plausible_volt_factor(double v, double scale);

/* 1 when |v| (volts) is a cell voltage, or v is missing; 0 otherwise. */
int cp_plausible_voltage(double v);

/* 1 when the mean voltage is missing or inside [vmin, vmax] widened by 2 % + 10 mV (counters
 * written with few digits), else 0. */
int cp_plausible_vmean(double vmean, double vmin, double vmax);

struct cp_reader_out;

/* Add `text` to the `note` of out->columns' rows that map to `maps_to` and multiply their
 * factor by `factor`: a conversion decided from the values, for `cellpipe inspect`. No-op when
 * out->columns is NULL. 0 or -1 (memory). */
int cp_plausible_note_column(struct cp_reader_out *out, const char *maps_to, double factor,
                             const char *text);

/* Append the names of the failed checks in `flags` to sb, space-separated. 0 or -1 (memory). */
int cp_plausible_describe(unsigned flags, struct cp_strbuf *sb);

#endif

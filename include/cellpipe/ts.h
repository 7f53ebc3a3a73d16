#ifndef CELLPIPE_TS_H
#define CELLPIPE_TS_H
/*
 * Time series -> per-cycle rows (src/sources/files/ts2cycles.c), streaming: a reader pushes
 * raw points one at a time in file order and a row is appended to out->cycles whenever the
 * cycle changes. Memory is a few hundred bytes plus the dQ/dV buffer (include/cellpipe/dqdv.h),
 * never the series.
 *
 * Per cycle: charge/discharge capacity (Ah) and energy (Wh), v_min/v_max, i_min/i_max
 * (charge positive), v_charge_mean/v_discharge_mean (energy / capacity), temperature mean/max,
 * internal resistance (last nonzero value), test_time_s (at the cycle's last point),
 * start_time, and the extra column duration_s.
 *
 * Counters: charge_ah/discharge_ah/charge_wh/discharge_wh may be cumulative over the test,
 * cumulative within a cycle, or per step, and may reset at any time: a counter's contribution
 * is the sum over its segments of (segment maximum - segment start), where a new segment starts
 * when the value drops by more than 1 % of its running maximum at a step or cycle change, or
 * to at most half of it anywhere (noise never counts as a reset). The first value of a file
 * counts from 0: a file that starts mid-cycle still reports the cycle's counter value. With
 * CP_TS_LARGEST (counters cumulative within a cycle that some cyclers zero at rests: Arbin,
 * Battery Archive, Battery Data Hub) a cycle's amount is its largest segment instead of the sum,
 * which is how those cyclers' own summaries count. CP_TS_LARGEST_OR_STEPS (Arbin): the same,
 * but when the sum of the segments agrees with the integral of the current and the largest
 * does not (counters that reset at every step), the sum is taken and a note is logged. A cycle
 * where a counter reports nothing falls back to integrating the current (trapezoid).
 *
 * Plausibility (include/cellpipe/plausible.h): each cycle's counters are compared with the
 * integral of the current, its mean voltages with its voltage range, and the rows' current
 * signs (CP_TS_SIGN_CONFLICT) and time are checked; failed checks go into the text column
 * `plausibility`, which is added only when a cycle fails one.
 *
 * Test time: a backwards jump (restarted test clock, concatenated files) is stitched so time
 * stays monotonic; each such jump counts as a discontinuity (cp_ts_discontinuities). A single
 * point whose time lies before both its neighbours' is a corrupt row and is dropped
 * (cp_ts_dropped; its cycle gets time_backwards): cp_ts_push holds each point back until the
 * next one arrives, so the on_point hook runs one point late (still in file order). With a
 * split tolerance (cp_ts_set_split), a test-time value (not a stamp) that goes back by more
 * than it, followed by a point that stays back, is a restarted test instead: cp_ts_push
 * returns CP_TS_SPLIT without taking its point, the caller takes the held-back point with
 * cp_ts_unhold, finishes this series and pushes both points into the next test's series.
 * Cycle index missing (CP_I64_NA): cycles are inferred, starting at 1, a new one at each
 * charge that follows a discharge.
 *
 * Errors: out of memory (CP_EINTERNAL), or what the reader's out->on_point hook returned.
 */
#include <stdint.h>

#include "cellpipe/reader.h"

struct cp_error;
struct cp_dqdv_options;

struct cp_ts_point {
    int64_t cycle;      /* CP_I64_NA: infer from the current */
    int64_t step;       /* CP_I64_NA when unknown */
    double test_time_s; /* NaN when unknown (then stamp differences are used) */
    double stamp;       /* Unix seconds, NaN when unknown */
    double current_a;   /* charge positive */
    double voltage_v;
    double charge_ah; /* counters: NaN when this row does not report them */
    double discharge_ah;
    double charge_wh;
    double discharge_wh;
    double temperature_c;
    double resistance_ohm;
    unsigned flags; /* CP_TS_* that the reader found on this row */
    /* A signed running capacity balance (charge adds, discharge subtracts, carried across
     * steps), Ah, instead of charge_ah/discharge_ah: its rises and falls become charge and
     * discharge counters cumulative over the test. Read only with CP_TS_NET in flags. */
    double net_ah;
};

enum {
    CP_TS_SIGN_CONFLICT = 1, /* the current's sign contradicts the row's step type */
    CP_TS_NET = 2            /* net_ah holds a signed balance (a zeroed point has none) */
};

/* A point with every field missing. */
void cp_ts_point_clear(struct cp_ts_point *p);

struct cp_ts;

enum cp_ts_counting {
    CP_TS_SUM,     /* per-step counters: the cycle's amount is the sum of its segments */
    CP_TS_LARGEST, /* cycle-cumulative counters: the largest segment */
    /* CP_TS_LARGEST, but a cycle whose segments' sum agrees with the integral of the current
     * while the largest does not is summed (Arbin schedules that reset counters per step) */
    CP_TS_LARGEST_OR_STEPS
};

/* Start a series for cell `cell_id` writing rows into out->cycles (columns are added as
 * needed), dQ/dV curves into out->curves when not NULL and the Severson features into the
 * cell's row of out->cells. dq: NULL for the defaults. NULL when out of memory. */
struct cp_ts *cp_ts_new(const char *cell_id, struct cp_reader_out *out,
                        const struct cp_dqdv_options *dq);
void cp_ts_set_counting(struct cp_ts *ts, enum cp_ts_counting counting);
/* emit = 0: compute (dQ/dV, Severson) but append no cycle rows, for a series whose cycler also
 * wrote its own per-cycle file for the same cell (that file is authoritative). */
void cp_ts_set_emit(struct cp_ts *ts, int emit);
/* Test time back by more than this (s) inside a section starts a new test (tabread). */
#define CP_TS_SPLIT_TOL_S 1.0
/* tolerance_s > 0: report restarted tests (CP_TS_SPLIT) instead of stitching them; 0: stitch. */
void cp_ts_set_split(struct cp_ts *ts, double tolerance_s);
/* 0, negative on error, or CP_TS_SPLIT (a split tolerance is set: the held-back point starts a
 * new test; p was not taken). */
enum { CP_TS_SPLIT = 1 };
int cp_ts_push(struct cp_ts *ts, const struct cp_ts_point *p, struct cp_error *err);
/* Take back the held-back point (after CP_TS_SPLIT): 1 with *p set, 0 when none is held. */
int cp_ts_unhold(struct cp_ts *ts, struct cp_ts_point *p);
/* Flush the last cycle and write the per-cell features. */
int cp_ts_finish(struct cp_ts *ts, struct cp_error *err);
void cp_ts_free(struct cp_ts *ts);

long long cp_ts_cycles(const struct cp_ts *ts);          /* rows appended so far */
long long cp_ts_discontinuities(const struct cp_ts *ts); /* stitched test-time jumps */
/* Cycles whose counters, declared cumulative per cycle (CP_TS_LARGEST), reset at every step
 * and were summed (the sum agreed with the integral of the current, the largest did not). */
long long cp_ts_summed_cycles(const struct cp_ts *ts);
long long cp_ts_dropped(const struct cp_ts *ts); /* corrupt points dropped */

#endif

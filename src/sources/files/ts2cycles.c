/* Streaming time series -> per-cycle rows (contract in include/cellpipe/ts.h). */
#include <math.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/dqdv.h"
#include "cellpipe/dataset.h"
#include "cellpipe/error.h"
#include "cellpipe/log.h"
#include "cellpipe/plausible.h"
#include "cellpipe/strbuf.h"
#include "cellpipe/table.h"
#include "cellpipe/ts.h"

/* Current below this (A) counts as rest when inferring cycles and splitting charge/discharge. */
#define I_EPS 1e-6

/* fmax and fmin of two numbers that are not NaN, inline: they run for every point. */
static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

static inline double min2(double a, double b)
{
    return a < b ? a : b;
}

/* One capacity or energy counter (see "Counters" in ts.h). */
struct counter {
    int have;      /* a value was seen in this file */
    int seen;      /* a value was seen in this cycle */
    double hwm;    /* running maximum of the open segment */
    double base;   /* value the open segment started from */
    double closed; /* sum of the cycle's closed segments */
    double best;   /* largest closed segment of the cycle */
    /* the cycle's first row already counted charge (a file or a cycle starting between
     * samples): part of the amount happened before any row of the cycle */
    int mid;
};

struct cycle_acc {
    int64_t index;
    long n;
    double t0, t1, stamp0;
    double vmin, vmax, imin, imax;
    double q_int[2], e_int[2]; /* integrated charge [0] / discharge [1] Ah and Wh */
    /* the integral with the current held at the start or at the end of each interval: the
     * counters of a cycler that samples faster than it writes lie between the two */
    double lo[4], hi[4]; /* qc, qd, ec, ed like the counters */
    long nint;           /* intervals integrated */
    long sign_conflicts, time_back;
    double vdt[2], dt[2]; /* for time-weighted mean voltage when no energy */
    double tsum, tmax;
    long tn;
    double ir;
};

struct cp_ts {
    char *cell_id;
    struct cp_reader_out *out;
    struct counter ctr[4]; /* qc, qd, ec, ed */
    struct cycle_acc c;
    int started;
    int64_t last_step;
    double last_t, offset, stamp_origin;
    double last_i, last_v;
    int have_last;
    int seen_discharge; /* for cycle inference */
    int64_t inferred;
    long long cycles, jumps;
    struct cp_dqdv *dq;
    enum cp_ts_counting counting;
    int quiet;                  /* append no cycle rows */
    long long summed;           /* cycles whose counters turned out to reset per step (summed) */
    struct cp_ts_point pending; /* held back one point (cp_ts_push) */
    int pending_set;
    long long dropped; /* corrupt rows dropped */
    /* a signed capacity balance (net_ah) turned into charge and discharge totals */
    int net_on;
    double net_prev, net_charge, net_discharge;
    double last_qc, last_qd; /* the last charge / discharge counter values taken */
    double split_s;          /* > 0: a test time back by more than this is a new test */
};

void cp_ts_point_clear(struct cp_ts_point *p)
{
    p->cycle = CP_I64_NA;
    p->step = CP_I64_NA;
    p->test_time_s = p->stamp = p->current_a = p->voltage_v = NAN;
    p->charge_ah = p->discharge_ah = p->charge_wh = p->discharge_wh = NAN;
    p->temperature_c = p->resistance_ohm = NAN;
    p->flags = 0;
    p->net_ah = NAN;
}

struct cp_ts *cp_ts_new(const char *cell_id, struct cp_reader_out *out,
                        const struct cp_dqdv_options *dq)
{
    struct cp_ts *ts = cp_calloc(1, sizeof(*ts));
    if (!ts)
        return NULL;
    ts->cell_id = cp_strdup(cell_id);
    ts->out = out;
    ts->stamp_origin = NAN;
    ts->inferred = 1;
    struct cp_dqdv_options def;
    if (!dq) {
        cp_dqdv_options_init(&def);
        dq = &def;
    }
    ts->dq = cp_dqdv_new(dq, out->curves, cell_id);
    if (!ts->cell_id || !ts->dq) {
        cp_ts_free(ts);
        return NULL;
    }
    return ts;
}

void cp_ts_free(struct cp_ts *ts)
{
    if (!ts)
        return;
    cp_dqdv_free(ts->dq);
    cp_free(ts->cell_id);
    cp_free(ts);
}

long long cp_ts_cycles(const struct cp_ts *ts)
{
    return ts->cycles;
}

long long cp_ts_discontinuities(const struct cp_ts *ts)
{
    return ts->jumps;
}

static double counter_total(const struct counter *k, enum cp_ts_counting counting)
{
    if (counting != CP_TS_SUM)
        return max2(k->best, k->hwm - k->base);
    return k->closed + (k->hwm - k->base);
}

void cp_ts_set_counting(struct cp_ts *ts, enum cp_ts_counting counting)
{
    ts->counting = counting;
}

void cp_ts_set_emit(struct cp_ts *ts, int emit)
{
    ts->quiet = !emit;
}

void cp_ts_set_split(struct cp_ts *ts, double tolerance_s)
{
    ts->split_s = tolerance_s;
}

int cp_ts_unhold(struct cp_ts *ts, struct cp_ts_point *p)
{
    if (!ts->pending_set)
        return 0;
    *p = ts->pending;
    ts->pending_set = 0;
    return 1;
}

/* Feed one counter value; `boundary`: the step or cycle changed at this point. */
static void counter_push(struct counter *k, double v, int boundary)
{
    if (isnan(v))
        return;
    k->seen = 1;
    if (!k->have) {
        k->have = 1;
        k->base = 0; /* the counter's first value counts from 0 (a file starting mid-cycle) */
        k->hwm = v;
        return;
    }
    double tol = max2(1e-9, 0.01 * fabs(k->hwm));
    if (v < k->hwm - tol && (boundary || v <= 0.5 * k->hwm)) {
        k->closed += k->hwm - k->base;
        k->best = max2(k->best, k->hwm - k->base);
        k->base = 0;
        k->hwm = v;
    } else if (v > k->hwm) {
        k->hwm = v;
    }
}

static void counter_new_cycle(struct counter *k)
{
    k->closed = 0;
    k->best = 0;
    k->base = k->hwm;
    k->seen = 0;
    k->mid = 0;
}

static void acc_start(struct cycle_acc *c, int64_t index, double t, double stamp)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    c->t0 = c->t1 = t;
    c->stamp0 = stamp;
    c->vmin = c->imin = INFINITY;
    c->vmax = c->imax = -INFINITY;
    c->tmax = -INFINITY;
    c->ir = NAN;
}

/* The integral's bounds over one interval, per direction (see cycle_acc.lo/hi). */
static void acc_bracket(struct cycle_acc *c, double i0, double i1, double v0, double v1, double dt)
{
    c->nint++;
    for (int d = 0; d < 2; d++) {
        double s = d ? -1 : 1;
        double a = max2(s * i0, 0) * dt / 3600.0, b = max2(s * i1, 0) * dt / 3600.0;
        c->lo[d] += min2(a, b);
        c->hi[d] += max2(a, b);
        if (isnan(v0) || isnan(v1))
            continue;
        c->lo[2 + d] += min2(a * fabs(v0), b * fabs(v1));
        c->hi[2 + d] += max2(a * fabs(v0), b * fabs(v1));
    }
}

/* Integrate the current between the previous and this point (trapezoid, same direction). */
static void acc_integrate(struct cp_ts *ts, const struct cp_ts_point *p, double t)
{
    double dt = t - ts->last_t;
    if (!ts->have_last || !(dt > 0) || isnan(p->current_a) || isnan(ts->last_i))
        return;
    acc_bracket(&ts->c, ts->last_i, p->current_a, ts->last_v,
                isnan(p->voltage_v) ? ts->last_v : p->voltage_v, dt);
    double i = 0.5 * (p->current_a + ts->last_i);
    double v = isnan(p->voltage_v) ? ts->last_v : 0.5 * (p->voltage_v + ts->last_v);
    int dir = i > I_EPS ? 0 : i < -I_EPS ? 1 : -1;
    if (dir < 0)
        return;
    double q = fabs(i) * dt / 3600.0;
    ts->c.q_int[dir] += q;
    if (!isnan(v)) {
        ts->c.e_int[dir] += q * v;
        ts->c.vdt[dir] += v * dt;
        ts->c.dt[dir] += dt;
    }
}

static void acc_point(struct cycle_acc *c, const struct cp_ts_point *p, double t)
{
    c->n++;
    if (!isnan(t))
        c->t1 = t;
    if (!isnan(p->voltage_v)) {
        c->vmin = min2(c->vmin, p->voltage_v);
        c->vmax = max2(c->vmax, p->voltage_v);
    }
    if (!isnan(p->current_a)) {
        c->imin = min2(c->imin, p->current_a);
        c->imax = max2(c->imax, p->current_a);
    }
    if (!isnan(p->temperature_c)) {
        c->tsum += p->temperature_c;
        c->tn++;
        c->tmax = max2(c->tmax, p->temperature_c);
    }
    if (!isnan(p->resistance_ohm) && p->resistance_ohm != 0)
        c->ir = p->resistance_ohm;
}

/* Counter total when the cycle reported that counter, else the integral. */
/* A cycle that moved no charge in a direction has no such capacity (NaN, as the cyclers'
 * own summaries write it), not a capacity of 0 that would read as a dead cell. */
static double cycle_amount(const struct cp_ts *ts, int k, double integral)
{
    double v = ts->ctr[k].seen ? counter_total(&ts->ctr[k], ts->counting) : integral;
    return v > 1e-9 ? v : NAN; /* below 1 nAh: counter noise */
}

/* A counter that should be cumulative within the cycle (CP_TS_LARGEST_OR_STEPS) but restarts at
 * every step (an Arbin schedule that zeroes per step) would report only its largest step: when the
 * sum of its segments agrees with the integral of the current and the largest does not, the
 * sum is the amount. Without an integral the file's declared counting stands. */
static int resets_per_step(const struct cp_ts *ts, int k)
{
    const struct counter *ct = &ts->ctr[k];
    const struct cycle_acc *c = &ts->c;
    if (ts->counting != CP_TS_LARGEST_OR_STEPS || !ct->seen || c->nint == 0)
        return 0;
    double largest = counter_total(ct, CP_TS_LARGEST), sum = counter_total(ct, CP_TS_SUM);
    return sum > largest + CP_PL_ABS_TOL && cp_plausible_agrees(sum, c->lo[k], c->hi[k]) &&
           !cp_plausible_agrees(largest, c->lo[k], c->hi[k]);
}

static double counter_amount(const struct cp_ts *ts, int k, double integral, int *summed)
{
    if (!resets_per_step(ts, k))
        return cycle_amount(ts, k, integral);
    *summed = 1;
    double v = counter_total(&ts->ctr[k], CP_TS_SUM);
    return v > 1e-9 ? v : NAN;
}

/* Does counter k's amount q disagree with the integral of the current? Only where both exist
 * and the counter's value is the cycle's own (not carried in by a file starting mid-cycle). */
static int capacity_disagrees(const struct cp_ts *ts, int k, double q)
{
    const struct counter *ct = &ts->ctr[k];
    if (!ct->seen || ct->mid || ts->c.nint == 0)
        return 0;
    return !cp_plausible_agrees(isnan(q) ? 0 : q, ts->c.lo[k], ts->c.hi[k]);
}

static double finite_or_nan(double x)
{
    return isfinite(x) ? x : NAN;
}

static double mean_voltage(double e, double q, double vdt, double dt)
{
    if (q > 0 && e > 0)
        return e / q;
    return dt > 0 ? vdt / dt : NAN;
}

static int set_f64(struct cp_table *t, const char *name, long row, double v)
{
    int col = cp_table_add_column(t, name, CP_F64);
    if (col < 0)
        return -1;
    cp_table_set_f64(t, col, (size_t)row, v);
    return 0;
}

/* The failed checks as the text column `plausibility` (added only when a check fails, so a
 * clean file's table has no such column). 0 or -1. */
static int set_plausibility(struct cp_table *t, long row, unsigned flags)
{
    if (!flags)
        return 0;
    struct cp_strbuf sb = CP_STRBUF_INIT;
    int col = cp_table_add_column(t, "plausibility", CP_STR);
    int rc = col < 0 || cp_plausible_describe(flags, &sb) < 0
                 ? -1
                 : cp_table_set_str(t, col, row, sb.buf);
    cp_strbuf_release(&sb);
    return rc;
}

/* Mean voltage of direction d, or NaN with the flag set when it lies outside the cycle's own
 * range (energy and capacity counters that do not belong together). */
static double checked_vmean(const struct cp_ts *ts, double e, double q, int d, unsigned *flags)
{
    const struct cycle_acc *c = &ts->c;
    double v = mean_voltage(e, q, c->vdt[d], c->dt[d]);
    /* counters carried in from before a file's first row span voltages the file never saw */
    if (ts->ctr[d].mid || ts->ctr[2 + d].mid)
        return v;
    if (cp_plausible_vmean(v, finite_or_nan(c->vmin), finite_or_nan(c->vmax)))
        return v;
    *flags |= CP_PL_VMEAN;
    return NAN;
}

static int emit_cycle(struct cp_ts *ts, struct cp_error *err)
{
    if (ts->quiet)
        return cp_dqdv_end_cycle(ts->dq, ts->c.index, err);
    struct cp_table *t = ts->out->cycles;
    struct cycle_acc *c = &ts->c;
    long row = cp_table_add_row(t);
    int cid = cp_table_add_column(t, "cell_id", CP_STR);
    int cix = cp_table_add_column(t, "cycle_index", CP_I64);
    int cst = cp_table_add_column(t, "start_time", CP_TIME);
    if (row < 0 || cid < 0 || cix < 0 || cst < 0 || cp_table_set_str(t, cid, row, ts->cell_id))
        return cp_error_oom(err);
    cp_table_set_i64(t, cix, row, c->index);
    cp_table_set_i64(t, cst, row, isnan(c->stamp0) ? CP_I64_NA : (int64_t)floor(c->stamp0));
    int summed = 0;
    double qc = counter_amount(ts, 0, c->q_int[0], &summed);
    double qd = counter_amount(ts, 1, c->q_int[1], &summed);
    double ec = counter_amount(ts, 2, c->e_int[0], &summed);
    double ed = counter_amount(ts, 3, c->e_int[1], &summed);
    ts->summed += summed;
    unsigned flags = 0;
    if (capacity_disagrees(ts, 0, qc) || capacity_disagrees(ts, 1, qd))
        flags |= CP_PL_CAPACITY;
    if (c->sign_conflicts)
        flags |= CP_PL_SIGN;
    if (c->time_back)
        flags |= CP_PL_TIME;
    double vcm = checked_vmean(ts, ec, qc, 0, &flags);
    double vdm = checked_vmean(ts, ed, qd, 1, &flags);
    int rc = set_plausibility(t, row, flags);
    rc |= set_f64(t, "test_time_s", row, c->t1);
    rc |= set_f64(t, "charge_capacity_ah", row, qc);
    rc |= set_f64(t, "discharge_capacity_ah", row, qd);
    rc |= set_f64(t, "charge_energy_wh", row, ec);
    rc |= set_f64(t, "discharge_energy_wh", row, ed);
    rc |= set_f64(t, "v_max", row, finite_or_nan(c->vmax));
    rc |= set_f64(t, "v_min", row, finite_or_nan(c->vmin));
    rc |= set_f64(t, "i_max", row, finite_or_nan(c->imax));
    rc |= set_f64(t, "i_min", row, finite_or_nan(c->imin));
    rc |= set_f64(t, "v_charge_mean", row, vcm);
    rc |= set_f64(t, "v_discharge_mean", row, vdm);
    rc |= set_f64(t, "temperature_avg_c", row, c->tn ? c->tsum / (double)c->tn : NAN);
    rc |= set_f64(t, "temperature_max_c", row, finite_or_nan(c->tmax));
    rc |= set_f64(t, "internal_resistance_ohm", row, c->ir);
    rc |= set_f64(t, "duration_s", row, c->t1 - c->t0);
    if (rc)
        return cp_error_oom(err);
    ts->cycles++;
    return cp_dqdv_end_cycle(ts->dq, c->index, err);
}

/* Test time, stitched across backwards jumps; from the stamps when the file has none. */
static double stitched_time(struct cp_ts *ts, const struct cp_ts_point *p)
{
    double t = p->test_time_s;
    if (isnan(t) && !isnan(p->stamp)) {
        if (isnan(ts->stamp_origin))
            ts->stamp_origin = p->stamp;
        t = p->stamp - ts->stamp_origin;
    }
    if (isnan(t))
        return NAN;
    t += ts->offset;
    if (ts->have_last && !isnan(ts->last_t) && t < ts->last_t - 1e-6) {
        ts->offset += ts->last_t - t;
        t = ts->last_t;
        ts->jumps++;
    }
    return t;
}

static int64_t cycle_of(struct cp_ts *ts, const struct cp_ts_point *p)
{
    if (p->cycle != CP_I64_NA)
        return p->cycle;
    if (p->current_a < -I_EPS) {
        ts->seen_discharge = 1;
    } else if (p->current_a > I_EPS && ts->seen_discharge) {
        ts->inferred++;
        ts->seen_discharge = 0;
    }
    return ts->inferred;
}

/* Rises of a signed balance count as charge, falls as discharge; the totals go on from what
 * the counters said before the balance appeared, and the balance from 0. */
static void net_to_counters(struct cp_ts *ts, struct cp_ts_point *q)
{
    if (!ts->net_on) {
        ts->net_on = 1;
        ts->net_charge = ts->last_qc;
        ts->net_discharge = ts->last_qd;
    }
    /* a signed counter that restarts at every step (Neware) falls back to about 0 at the
     * step change: that jump moved no charge */
    int boundary = (q->step != CP_I64_NA && q->step != ts->last_step) ||
                   (q->cycle != CP_I64_NA && q->cycle != ts->c.index);
    if (boundary && fabs(q->net_ah) <= 0.5 * fabs(ts->net_prev))
        ts->net_prev = 0;
    double d = q->net_ah - ts->net_prev;
    if (d > 0)
        ts->net_charge += d;
    else
        ts->net_discharge -= d;
    ts->net_prev = q->net_ah;
    q->charge_ah = ts->net_charge;
    q->discharge_ah = ts->net_discharge;
}

static int ts_take(struct cp_ts *ts, const struct cp_ts_point *in, struct cp_error *err)
{
    struct cp_ts_point pt = *in, *p = &pt;
    if ((p->flags & CP_TS_NET) && !isnan(p->net_ah))
        net_to_counters(ts, p);
    if (!isnan(p->charge_ah))
        ts->last_qc = p->charge_ah;
    if (!isnan(p->discharge_ah))
        ts->last_qd = p->discharge_ah;
    if (ts->out->on_point) {
        int hr = ts->out->on_point(ts->out->on_point_ctx, ts->cell_id, p, err);
        if (hr < 0)
            return hr;
    }
    int64_t cycle = cycle_of(ts, p);
    long long jumps = ts->jumps;
    double t = stitched_time(ts, p);
    int new_cycle = !ts->started || cycle != ts->c.index;
    if (new_cycle) {
        if (ts->started) {
            int rc = emit_cycle(ts, err);
            if (rc < 0)
                return rc;
        }
        for (int k = 0; k < 4; k++)
            counter_new_cycle(&ts->ctr[k]);
        acc_start(&ts->c, cycle, t, p->stamp);
        ts->started = 1;
    }
    int boundary = new_cycle || (p->step != CP_I64_NA && p->step != ts->last_step);
    counter_push(&ts->ctr[0], p->charge_ah, boundary);
    counter_push(&ts->ctr[1], p->discharge_ah, boundary);
    counter_push(&ts->ctr[2], p->charge_wh, boundary);
    counter_push(&ts->ctr[3], p->discharge_wh, boundary);
    for (int k = 0; new_cycle && k < 4; k++)
        ts->ctr[k].mid = counter_total(&ts->ctr[k], CP_TS_SUM) > CP_PL_ABS_TOL;
    if (!new_cycle)
        acc_integrate(ts, p, t);
    if (!new_cycle && ts->jumps != jumps) /* a restart at a cycle change splits cleanly */
        ts->c.time_back++;
    if (p->flags & CP_TS_SIGN_CONFLICT)
        ts->c.sign_conflicts++;
    acc_point(&ts->c, p, t);
    double qd = cycle_amount(ts, 1, ts->c.q_int[1]);
    qd = isnan(qd) ? 0 : qd;
    cp_dqdv_point(ts->dq, p->voltage_v, qd, p->current_a);
    ts->last_step = p->step;
    if (!isnan(t))
        ts->last_t = t;
    ts->last_i = p->current_a;
    ts->last_v = p->voltage_v;
    ts->have_last = 1;
    return 0;
}

/* Test time of a point as stitching would see it before any new jump; NaN when unknown. */
static double raw_time(const struct cp_ts *ts, const struct cp_ts_point *p)
{
    if (!isnan(p->test_time_s))
        return p->test_time_s + ts->offset;
    if (!isnan(p->stamp) && !isnan(ts->stamp_origin))
        return p->stamp - ts->stamp_origin + ts->offset;
    return NAN;
}

/* Does the held-back point, back in time and followed by a point that stays back, start a new
 * test? Only a test-time column that restarts by more than the split tolerance does: stamps
 * going back are a clock set back (daylight saving), and small steps back are rounding. */
static int starts_test(const struct cp_ts *ts, double held)
{
    return ts->split_s > 0 && !isnan(ts->pending.test_time_s) && held < ts->last_t - ts->split_s;
}

/* One point is held back until the next arrives: a single row whose time lies before both
 * its neighbours' is a corrupt row (a Novonix HPC glitch: time, voltage and capacity of
 * another moment), not a restarted clock, and is dropped, with time_backwards on its cycle.
 * A clock that really restarts stays back on the following rows: with a split tolerance set
 * and a test time that went back by more, CP_TS_SPLIT is returned (p not taken); else the jump
 * is stitched. */
int cp_ts_push(struct cp_ts *ts, const struct cp_ts_point *p, struct cp_error *err)
{
    int rc = 0;
    if (ts->pending_set) {
        double tp = raw_time(ts, &ts->pending), tn = raw_time(ts, p);
        int back = ts->have_last && !isnan(ts->last_t) && tp < ts->last_t - 1e-6;
        int stays = tn < ts->last_t - 1e-6;
        if (back && !stays) {
            ts->dropped++;
            ts->c.time_back++;
        } else if (back && starts_test(ts, tp)) {
            return CP_TS_SPLIT;
        } else {
            rc = ts_take(ts, &ts->pending, err);
        }
    }
    ts->pending = *p;
    ts->pending_set = 1;
    return rc;
}

static int write_severson(struct cp_ts *ts, struct cp_error *err)
{
    const struct cp_severson *s = cp_dqdv_severson(ts->dq);
    if (!s->ok || !ts->out->cells)
        return 0;
    long row = cp_dataset_cell_row(ts->out->cells, ts->cell_id);
    if (row < 0)
        return cp_error_oom(err);
    int rc = set_f64(ts->out->cells, "dq100_10_log10_var", row, s->log10_var);
    rc |= set_f64(ts->out->cells, "dq100_10_min_ah", row, s->min);
    rc |= set_f64(ts->out->cells, "dq100_10_mean_ah", row, s->mean);
    return rc ? cp_error_oom(err) : 0;
}

int cp_ts_finish(struct cp_ts *ts, struct cp_error *err)
{
    if (ts->pending_set) {
        ts->pending_set = 0;
        int rc = ts_take(ts, &ts->pending, err);
        if (rc < 0)
            return rc;
    }
    if (ts->started) {
        int rc = emit_cycle(ts, err);
        if (rc < 0)
            return rc;
        ts->started = 0;
    }
    if (ts->dropped)
        cp_log(CP_LOG_WARN,
               "note=rows_dropped cell=%s rows=%lld reason=time_before_both_neighbours",
               ts->cell_id, ts->dropped);
    if (ts->summed)
        cp_log(CP_LOG_INFO, "note=counters_reset_per_step cell=%s cycles=%lld action=summed",
               ts->cell_id, ts->summed);
    return write_severson(ts, err);
}

long long cp_ts_dropped(const struct cp_ts *ts)
{
    return ts->dropped;
}

long long cp_ts_summed_cycles(const struct cp_ts *ts)
{
    return ts->summed;
}

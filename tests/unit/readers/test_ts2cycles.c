/* Time series -> cycles on synthetic series whose answers are known by construction. */
#include <math.h>

#include "cellpipe/dqdv.h"
#include "cellpipe/error.h"
#include "cellpipe/table.h"
#include "cellpipe/ts.h"
#include "harness.h"

struct run {
    struct cp_table *cycles, *cells, *curves;
    struct cp_reader_out out;
    struct cp_ts *ts;
    struct cp_error err;
    int push_failures;
};

static void run_init(struct run *r, enum cp_ts_counting counting)
{
    r->cycles = cp_table_new("cycles");
    r->cells = cp_table_new("cells");
    r->curves = cp_table_new("curves");
    struct cp_reader_out o = {
        .cells = r->cells, .cycles = r->cycles, .cell_id = "c1", .curves = r->curves};
    r->out = o;
    cp_error_clear(&r->err);
    r->push_failures = 0;
    r->ts = cp_ts_new("c1", &r->out, NULL);
    cp_ts_set_counting(r->ts, counting);
}

static void run_release(struct run *r)
{
    CHECK_INT(r->push_failures, 0);
    cp_ts_free(r->ts);
    cp_table_free(r->cycles);
    cp_table_free(r->cells);
    cp_table_free(r->curves);
}

/* Push one point: cycle, step, t, i, v, qc, qd (NaN = not reported). */
static void pt(struct run *r, long long cyc, long long step, double t, double i, double v,
               double qc, double qd)
{
    struct cp_ts_point p;
    cp_ts_point_clear(&p);
    p.cycle = cyc < 0 ? CP_I64_NA : cyc;
    p.step = step < 0 ? CP_I64_NA : step;
    p.test_time_s = t;
    p.current_a = i;
    p.voltage_v = v;
    p.charge_ah = qc;
    p.discharge_ah = qd;
    r->push_failures += cp_ts_push(r->ts, &p, &r->err) != 0;
}

static double get(struct run *r, size_t row, const char *col)
{
    int c = cp_table_find(r->cycles, col);
    return c < 0 || row >= r->cycles->nrows ? NAN : cp_table_get_num(r->cycles, c, row);
}

/* CC step to 0.8 Ah then CV step restarting at 0 to 0.2 Ah: 1.0 Ah summed, 0.8 largest. */
TEST(per_step_counters)
{
    for (int policy = 0; policy < 2; policy++) {
        struct run r;
        run_init(&r, policy ? CP_TS_LARGEST : CP_TS_SUM);
        pt(&r, 1, 1, 0, 1, 3.5, 0.0, NAN);
        pt(&r, 1, 1, 100, 1, 4.0, 0.8, NAN);
        pt(&r, 1, 2, 101, 0.5, 4.2, 0.0, NAN);
        pt(&r, 1, 2, 200, 0.1, 4.2, 0.2, NAN);
        pt(&r, 1, 3, 201, -1, 4.0, NAN, 0.0);
        pt(&r, 1, 3, 300, -1, 3.0, NAN, 0.95);
        CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
        CHECK_INT(r.cycles->nrows, 1);
        CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), policy ? 0.8 : 1.0, 1e-12);
        CHECK_NEAR(get(&r, 0, "discharge_capacity_ah"), 0.95, 1e-12);
        CHECK_NEAR(get(&r, 0, "v_max"), 4.2, 0);
        CHECK_NEAR(get(&r, 0, "i_min"), -1, 0);
        CHECK_NEAR(get(&r, 0, "duration_s"), 300, 0);
        run_release(&r);
    }
}

/* A counter that never resets across cycles: each cycle gets its own increase. */
TEST(test_cumulative_counter)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    pt(&r, 1, -1, 0, 1, 3.5, 0.0, 0.0);
    pt(&r, 1, -1, 10, 1, 4.0, 1.0, 0.0);
    pt(&r, 2, -1, 20, 1, 3.6, 1.1, 0.0);
    pt(&r, 2, -1, 30, 1, 4.0, 2.5, 0.0);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_INT(r.cycles->nrows, 2);
    CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(get(&r, 1, "charge_capacity_ah"), 1.5, 1e-12);
    CHECK(isnan(get(&r, 0, "discharge_capacity_ah"))); /* no discharge: NaN, not 0 */
    run_release(&r);
}

/* Noise that dips below the running maximum is not a reset; a mid-cycle start counts from 0. */
TEST(noise_and_mid_cycle_start)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    pt(&r, 7, 1, 0, 1, 3.5, 0.88, NAN);
    pt(&r, 7, 1, 10, 1, 3.6, 1.0, NAN);
    pt(&r, 7, 2, 11, 1, 3.6, 0.9999, NAN); /* step change, 0.01 % lower: noise */
    pt(&r, 7, 2, 20, 1, 3.7, 1.0001, NAN);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), 1.0001, 1e-12);
    run_release(&r);
}

/* No counters at all: trapezoid integration of the current (and of I*V for energy). */
TEST(integration_fallback)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    for (int k = 0; k <= 60; k++)
        pt(&r, 1, -1, k * 60.0, 1.0, 4.0, NAN, NAN);
    for (int k = 1; k <= 30; k++)
        pt(&r, 1, -1, 3600 + k * 60.0, -2.0, 3.0, NAN, NAN);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(get(&r, 0, "charge_energy_wh"), 4.0, 1e-12);
    /* 29 full intervals at -2 A, and the 60 s step from +1 A to -2 A averages -0.5 A */
    CHECK_NEAR(get(&r, 0, "discharge_capacity_ah"), (29 * 60 * 2.0 + 60 * 0.5) / 3600, 1e-12);
    CHECK_NEAR(get(&r, 0, "v_charge_mean"), 4.0, 1e-12);
    run_release(&r);
}

/* No cycle column: a new cycle at each charge that follows a discharge. */
TEST(inferred_cycles_and_clock_jumps)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    pt(&r, -1, -1, 0, 1, 3.5, NAN, NAN);
    pt(&r, -1, -1, 10, -1, 3.5, NAN, NAN);
    pt(&r, -1, -1, 20, 0, 3.5, NAN, NAN);
    pt(&r, -1, -1, 0, 1, 3.5, NAN, NAN); /* clock restarts */
    pt(&r, -1, -1, 10, -1, 3.5, NAN, NAN);
    pt(&r, -1, -1, 20, 1, 3.5, NAN, NAN);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_INT(r.cycles->nrows, 3);
    CHECK_NEAR(get(&r, 0, "cycle_index"), 1, 0);
    CHECK_NEAR(get(&r, 2, "cycle_index"), 3, 0);
    CHECK_NEAR(get(&r, 1, "test_time_s"), 30, 0); /* 20, then +0, +10 stitched */
    CHECK_INT(cp_ts_discontinuities(r.ts), 1);
    run_release(&r);
}

/* Linear discharge V = 4 - q (cycle 10) and V = 4 - q / 0.9 (cycle 100), 1 A. */
static void discharge_cycle(struct run *r, long long cyc, double scale, double t0)
{
    pt(r, cyc, 1, t0, 1, 4.0, 0.0, NAN); /* a charge point first */
    for (int k = 0; k <= 500; k++) {
        double q = scale * k / 500.0;
        pt(r, cyc, 2, t0 + 1 + k, -1, 4.0 - q / scale, NAN, q);
    }
}

TEST(dqdv_and_severson)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    for (long long c = 1; c <= 100; c++)
        discharge_cycle(&r, c, c == 100 ? 0.9 : 1.0, (double)c * 1000);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_INT(r.cycles->nrows, 100);
    /* dQ/dV of V = 4 - q is 1 Ah/V everywhere (0.9 on cycle 100) */
    double *v = cp_table_f64(r.curves, "dqdv_ah_per_v");
    int64_t *cyc = cp_table_i64(r.curves, "cycle_index");
    CHECK(r.curves->nrows > 100 * 90);
    int bad = 0;
    for (size_t i = 0; v && i < r.curves->nrows; i++)
        bad += fabs(v[i] - (cyc[i] == 100 ? 0.9 : 1.0)) > 1e-9;
    CHECK_INT(bad, 0);
    /* dQ(V) = -0.1 (4 - V) on 1000 points from 3.99 to 3.01 V */
    int a = cp_table_find(r.cells, "dq100_10_mean_ah");
    int m = cp_table_find(r.cells, "dq100_10_min_ah");
    int lv = cp_table_find(r.cells, "dq100_10_log10_var");
    CHECK(a >= 0 && m >= 0 && lv >= 0);
    if (a >= 0 && m >= 0 && lv >= 0) {
        double h = 0.098 / 999; /* spacing of dQ values */
        double var = h * h * (1000.0 * 1000.0 - 1) / 12;
        CHECK_NEAR(cp_table_get_num(r.cells, a, 0), -0.05, 1e-12);
        CHECK_NEAR(cp_table_get_num(r.cells, m, 0), -0.099, 1e-12);
        CHECK_NEAR(cp_table_get_num(r.cells, lv, 0), log10(var), 1e-9);
    }
    run_release(&r);
}

TEST(q_on_grid)
{
    double v[] = {4.0, 3.9, 3.95, 3.8, 3.7}; /* a bump up: first crossing wins */
    double q[] = {0.0, 0.1, 0.12, 0.2, 0.3};
    double grid[] = {4.1, 3.95, 3.85, 3.75, 3.6};
    double out[5];
    cp_dqdv_q_on_grid(v, q, 5, grid, 5, out);
    CHECK(isnan(out[0]));                                  /* above the first sample */
    CHECK_NEAR(out[1], 0.05, 1e-12);                       /* between 4.0 and 3.9 */
    CHECK_NEAR(out[2], 0.12 + 0.08 * (0.1 / 0.15), 1e-12); /* between 3.95 and 3.8 */
    CHECK_NEAR(out[3], 0.25, 1e-12);
    CHECK(isnan(out[4])); /* never reached */
}

static const char *text(struct run *r, size_t row, const char *col)
{
    char **v = cp_table_str(r->cycles, col);
    return v && row < r->cycles->nrows && v[row] ? v[row] : "";
}

/* Constant 1 A charge for 3600 s, counters reset per step: 3 steps of 1200 s = 1/3 Ah each. */
static void per_step_charge(struct run *r)
{
    for (int st = 0; st < 3; st++)
        for (int k = 0; k <= 4; k++) {
            double t = st * 1200.0 + k * 300.0 + (k == 0 && st ? 1e-3 : 0);
            pt(r, 1, st + 1, t, 1.0, 3.6 + 0.1 * st, k / 12.0, NAN);
        }
}

/* The current says 1 Ah went in: LARGEST_OR_STEPS sums the three steps, LARGEST keeps one. */
TEST(steps_summed_when_the_current_agrees)
{
    for (int mode = 0; mode < 2; mode++) {
        struct run r;
        run_init(&r, mode ? CP_TS_LARGEST_OR_STEPS : CP_TS_LARGEST);
        per_step_charge(&r);
        CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
        CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), mode ? 1.0 : 1.0 / 3, 1e-9);
        CHECK_INT(cp_ts_summed_cycles(r.ts), mode);
        /* the largest step disagrees with the 1 Ah of current (and with the integrated energy,
         * whose mean voltage becomes > 10 V): flagged, never silent */
        CHECK_STR(text(&r, 0, "plausibility"), mode ? "" : "capacity_vs_current v_mean_range");
        run_release(&r);
    }
}

/* A counter that agrees with the current leaves no plausibility column at all. */
TEST(clean_series_has_no_plausibility_column)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    for (int k = 0; k <= 6; k++)
        pt(&r, 1, 1, k * 600.0, 1.0, 3.5 + 0.1 * k, k / 6.0, NAN);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK(cp_table_find(r.cycles, "plausibility") < 0);
    run_release(&r);
}

/* Energy whose mean voltage (E / Q) lies outside the cycle's voltages: left missing, flagged. */
TEST(mean_voltage_outside_range)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    struct cp_ts_point p;
    for (int k = 0; k <= 4; k++) {
        cp_ts_point_clear(&p);
        p.cycle = 1;
        p.test_time_s = k * 900.0;
        p.current_a = -1;
        p.voltage_v = 4.0 - 0.25 * k;
        p.discharge_ah = k / 4.0;
        p.discharge_wh = k * 7.0; /* 28 Wh from 1 Ah between 3 and 4 V: impossible */
        CHECK_INT(cp_ts_push(r.ts, &p, &r.err), 0);
    }
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_NEAR(get(&r, 0, "discharge_capacity_ah"), 1.0, 1e-12);
    CHECK(isnan(get(&r, 0, "v_discharge_mean")));
    CHECK_STR(text(&r, 0, "plausibility"), "v_mean_range");
    run_release(&r);
}

/* A signed balance: -0.4 Ah discharged, then charged up to +0.5 Ah = 0.9 Ah of charge. */
TEST(signed_balance)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    struct cp_ts_point p;
    static const double bal[] = {0, -0.2, -0.4, -0.4, -0.1, 0.2, 0.5};
    static const long long cyc[] = {1, 1, 1, 2, 2, 2, 2};
    for (int k = 0; k < 7; k++) {
        cp_ts_point_clear(&p);
        p.cycle = cyc[k];
        p.test_time_s = k * 720.0;
        p.current_a = k < 3 ? -1 : k == 3 ? 0 : 1.5;
        p.voltage_v = 3.5;
        p.net_ah = bal[k];
        p.flags = CP_TS_NET;
        CHECK_INT(cp_ts_push(r.ts, &p, &r.err), 0);
    }
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_NEAR(get(&r, 0, "discharge_capacity_ah"), 0.4, 1e-12);
    CHECK(isnan(get(&r, 0, "charge_capacity_ah")));
    CHECK_NEAR(get(&r, 1, "charge_capacity_ah"), 0.9, 1e-12);
    CHECK(isnan(get(&r, 1, "discharge_capacity_ah")));
    run_release(&r);
}

/* A point zeroed by its reader (not cp_ts_point_clear) carries no balance: its counters stand. */
TEST(zeroed_point_has_no_balance)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    for (int k = 0; k < 3; k++) {
        struct cp_ts_point p = {0};
        p.cycle = 1;
        p.step = 1;
        p.test_time_s = k * 1800.0;
        p.current_a = 1;
        p.voltage_v = 3.6;
        p.charge_ah = k * 0.5;
        p.discharge_ah = p.charge_wh = p.discharge_wh = p.temperature_c = NAN;
        p.resistance_ohm = p.stamp = NAN;
        CHECK_INT(cp_ts_push(r.ts, &p, &r.err), 0);
    }
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), 1.0, 1e-12);
    run_release(&r);
}

/* One row from another moment (time before both neighbours) is dropped; a clock that stays
 * back is a restart and is stitched. */
TEST(corrupt_row_dropped)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    pt(&r, 1, 1, 0, 1, 3.5, 0.0, NAN);
    pt(&r, 1, 1, 1800, 1, 3.6, 0.5, NAN);
    pt(&r, 1, 1, 100, 1, 2.0, 0.01, NAN); /* corrupt */
    pt(&r, 1, 1, 3600, 1, 3.7, 1.0, NAN);
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_INT(cp_ts_dropped(r.ts), 1);
    CHECK_INT(cp_ts_discontinuities(r.ts), 0);
    CHECK_NEAR(get(&r, 0, "v_min"), 3.5, 0); /* the corrupt 2.0 V never counted */
    CHECK_NEAR(get(&r, 0, "charge_capacity_ah"), 1.0, 1e-12);
    CHECK_NEAR(get(&r, 0, "test_time_s"), 3600, 0);
    CHECK_STR(text(&r, 0, "plausibility"), "time_backwards");
    run_release(&r);
}

/* Rows the reader marked (current sign against the step type) flag their cycle. */
TEST(sign_conflict_flagged)
{
    struct run r;
    run_init(&r, CP_TS_SUM);
    struct cp_ts_point p;
    for (int k = 0; k < 3; k++) {
        cp_ts_point_clear(&p);
        p.cycle = k < 2 ? 1 : 2;
        p.test_time_s = k * 10.0;
        p.current_a = 1;
        p.voltage_v = 3.5;
        p.flags = k == 1 ? CP_TS_SIGN_CONFLICT : 0;
        CHECK_INT(cp_ts_push(r.ts, &p, &r.err), 0);
    }
    CHECK_INT(cp_ts_finish(r.ts, &r.err), 0);
    CHECK_STR(text(&r, 0, "plausibility"), "current_sign");
    CHECK_STR(text(&r, 1, "plausibility"), "");
    run_release(&r);
}

int main(void)
{
    RUN(per_step_counters);
    RUN(test_cumulative_counter);
    RUN(noise_and_mid_cycle_start);
    RUN(integration_fallback);
    RUN(inferred_cycles_and_clock_jumps);
    RUN(dqdv_and_severson);
    RUN(q_on_grid);
    RUN(steps_summed_when_the_current_agrees);
    RUN(clean_series_has_no_plausibility_column);
    RUN(mean_voltage_outside_range);
    RUN(signed_balance);
    RUN(corrupt_row_dropped);
    RUN(zeroed_point_has_no_balance);
    RUN(sign_conflict_flagged);
    return DONE();
}

/* The models stage on a synthetic lab: determinism across thread counts, observed end of
 * life, forecasts and their intervals, knees, and flags for bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cellpipe/alloc.h"
#include "cellpipe/stages.h"
#include "cellpipe/fit.h"
#include "cellpipe/log.h"
#include "harness.h"
#include "lab.h"

enum { NREG = 36, BAD_FEW = NREG, BAD_NAN, BAD_CONST, BAD_NEG, LONELY, SPIKE, NALL };

static int build(struct lab *L)
{
    lab_state = 7;
    if (lab_init(L, NALL) != 0)
        return -1;
    for (int i = 0; i < NREG; i++)
        if (lab_cell(L, i, i % 3, 600 + 150 * (i % 3), i % 2 == 0, 0.45 + 0.01 * i, 0.002) != 0)
            return -1;
    /* bad input: few cycles, all missing, constant, negative and absurd values */
    lab_add_cell(L, BAD_FEW, "D0", "active");
    for (long n = 1; n <= 5; n++)
        lab_add_cycle(L, BAD_FEW, n, 1.0 - 0.001 * n, 0.999);
    lab_add_cell(L, BAD_NAN, "D0", "active");
    for (long n = 1; n <= 50; n++)
        lab_add_cycle(L, BAD_NAN, n, NAN, NAN);
    lab_add_cell(L, BAD_CONST, "D1", "active");
    for (long n = 1; n <= 50; n++)
        lab_add_cycle(L, BAD_CONST, n, 0.95, 0.999);
    lab_add_cell(L, BAD_NEG, "D1", "active");
    for (long n = 1; n <= 200; n++)
        lab_add_cycle(L, BAD_NEG, n, n % 50 == 0 ? -1.0 : n == 77 ? 1e6 : 1.0 - 2e-4 * n, 0.9);
    /* a design nobody finished: fleet-wide siblings; its test failed */
    lab_cell(L, LONELY, 7, 700, 0, 0.6, 0.002);
    cp_table_set_str(L->run.data.cells, 2, LONELY, "failed");
    /* one spike far off the curve */
    lab_cell(L, SPIKE, 1, 750, 0, 0.6, 0.002);
    size_t last = L->run.data.cycles->nrows - 100;
    L->run.data.cycles->cols[4].v.f64[last] -= 0.1;
    return lab_finish(L);
}

static int has_flag(const struct cp_cell_result *r, const char *kind)
{
    for (int k = 0; k < r->nflags; k++)
        if (strcmp(r->flags[k].kind, kind) == 0)
            return 1;
    return 0;
}

static struct lab lab1, lab2;

TEST(identical_for_any_thread_count)
{
    struct cp_error err = {0};
    CHECK_INT(build(&lab1), 0);
    CHECK_INT(build(&lab2), 0);
    lab1.cfg.fits.threads = 1;
    lab1.cfg.fits.bootstrap_samples = 50;
    lab2.cfg.fits.threads = 3;
    lab2.cfg.fits.bootstrap_samples = 50;
    CHECK_INT(cp_stage_models(&lab1.run, &err), 0);
    CHECK_INT(cp_stage_models(&lab2.run, &err), 0);
    CHECK(memcmp(lab1.run.results, lab2.run.results, NALL * sizeof *lab1.run.results) == 0);
    CHECK(lab1.run.backtest_mape == lab2.run.backtest_mape);
    CHECK(isfinite(lab1.run.backtest_mape));
}

TEST(observed_eol_and_forecasts)
{
    const struct cp_cell_result *r = lab1.run.results;
    int knees = 0, fleet = 0;
    for (int i = 0; i < NREG; i++) {
        double truth = lab1.life[i];
        if (i % 2 == 0) {
            CHECK(labs(r[i].eol_observed - (long)truth) <= 5);
            CHECK_INT(r[i].eol_method, CP_EOL_OBSERVED);
            knees += isfinite(r[i].knee_point) && r[i].knee_point < r[i].eol_observed;
            CHECK(!isfinite(r[i].knee_onset) || r[i].knee_onset < r[i].knee_point);
        } else {
            CHECK_INT(r[i].eol_observed, -1);
            CHECK(r[i].eol_method == CP_EOL_FLEET || r[i].eol_method == CP_EOL_PER_CELL);
            fleet += r[i].eol_method == CP_EOL_FLEET;
            CHECK(r[i].eol_lo <= r[i].eol_forecast && r[i].eol_forecast <= r[i].eol_hi);
            CHECK(fabs(r[i].eol_forecast / truth - 1.0) < 0.5);
        }
        CHECK(r[i].best_model >= 0);
    }
    CHECK(knees >= NREG / 2 - 2); /* every finished cell has a knee before end of life */
    CHECK(fleet >= NREG / 4);
    CHECK_INT(lab1.run.cells_past_eol, NREG / 2);
}

TEST(bad_input_is_flagged)
{
    const struct cp_cell_result *r = lab1.run.results;
    CHECK(has_flag(&r[BAD_FEW], "too_few_cycles"));
    CHECK_INT(r[BAD_FEW].fits[0].status, CP_FIT_NOT_RUN);
    CHECK(isnan(r[BAD_FEW].eol_forecast));
    CHECK(has_flag(&r[BAD_NAN], "no_capacity"));
    CHECK(has_flag(&r[BAD_CONST], "constant_capacity"));
    CHECK(r[BAD_CONST].fits[CP_MODEL_POWER].status != CP_FIT_OK);
    CHECK(has_flag(&r[BAD_NEG], "bad_values"));
    CHECK(strstr(r[BAD_NEG].flags[0].reason, "5 cycles") != NULL);
    CHECK_INT(r[BAD_NEG].fits[CP_MODEL_LINEAR].status, CP_FIT_OK);
    CHECK_NEAR(r[BAD_NEG].fits[CP_MODEL_LINEAR].p[1], -2e-4, 1e-12);
    CHECK(has_flag(&r[BAD_NEG], "ce_band"));
    CHECK(has_flag(&r[LONELY], "fleet_fallback"));
    CHECK_INT(r[LONELY].eol_method, CP_EOL_FLEET);
    CHECK(has_flag(&r[LONELY], "test_stopped"));
    CHECK(!has_flag(&r[SPIKE], "test_stopped"));
    CHECK(has_flag(&r[SPIKE], "anomaly_cycle"));
    /* flagged cells count attention flags only: too_few_cycles and fleet_fallback are notes */
    long attention = 0;
    for (int i = 0; i < NALL; i++)
        attention += r[i].nattention > 0;
    CHECK_INT(lab1.run.flagged_cells, attention);
    CHECK(lab1.run.flagged_cells >= 5); /* BAD_NAN, BAD_CONST, BAD_NEG, LONELY, SPIKE */
    CHECK(!r[BAD_FEW].flags[0].attention);
    for (int i = 0; i < NALL; i++)
        for (int k = 0; k < r[i].nflags; k++)
            CHECK(r[i].flags[k].reason[0] != '\0');
}

TEST(no_finished_cells_means_per_cell_and_a_flag)
{
    struct lab L;
    struct cp_error err = {0};
    lab_state = 3;
    CHECK_INT(lab_init(&L, 4), 0);
    for (int i = 0; i < 4; i++)
        lab_cell(&L, i, 0, 500, 0, 0.7, 0.002);
    CHECK_INT(lab_finish(&L), 0);
    L.cfg.fits.bootstrap_samples = 30;
    CHECK_INT(cp_stage_models(&L.run, &err), 0);
    for (int i = 0; i < 4; i++) {
        CHECK(has_flag(&L.run.results[i], "no_siblings"));
        CHECK_INT(L.run.results[i].eol_method, CP_EOL_PER_CELL);
    }
    CHECK(isnan(L.run.backtest_mape));
    lab_release(&L);
}

TEST(observed_eol_rule)
{
    double n[20], y[20];
    for (int i = 0; i < 20; i++)
        n[i] = i + 1, y[i] = 0.9;
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), -1);
    y[4] = y[5] = 0.75; /* a two-cycle dip: transient */
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), -1);
    for (int i = 12; i < 20; i++)
        y[i] = 0.7;
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), 13);
    y[15] = 0.85; /* back above: the crossing that counts is the last one */
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), 17);
    y[16] = 0.85; /* only three points below at the end: still enough */
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), 18);
    y[17] = 0.85; /* two points below at the end may be noise: not yet */
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), -1);
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 2), 19);
    for (int i = 0; i < 20; i++)
        y[i] = 0.5; /* below from the start */
    CHECK_INT(cp_eol_observed(n, y, 20, 0.8, 3), 1);
}

TEST(every_allocation_failure_is_clean)
{
    struct lab L;
    lab_state = 9;
    CHECK_INT(lab_init(&L, 8), 0);
    for (int i = 0; i < 8; i++)
        lab_cell(&L, i, 0, 150, i % 2 == 0, 0.6, 0.002);
    CHECK_INT(lab_finish(&L), 0);
    L.cfg.fits.threads = 1; /* the allocation order must be the same every time */
    L.cfg.fits.bootstrap_samples = 20;
    int failures = 0, ok = 0;
    for (long n = 1; n < 5000 && !ok; n++) {
        struct cp_error err = {0};
        cp_alloc_fail_at(n);
        int rc = cp_stage_models(&L.run, &err);
        cp_alloc_fail_at(0);
        if (rc == 0) {
            ok = 1;
        } else {
            failures++;
            if (rc != -CP_EINTERNAL || strstr(err.msg, "out of memory") == NULL) {
                CHECK_INT(rc, -CP_EINTERNAL);
                break;
            }
        }
    }
    CHECK(ok);
    CHECK(failures > 10);
    lab_release(&L);
}

TEST(numeric_fleet_group_column)
{
    struct lab L;
    struct cp_error err = {0};
    lab_state = 21;
    CHECK_INT(lab_init(&L, 8), 0);
    for (int i = 0; i < 8; i++)
        lab_cell(&L, i, 0, 300, i < 4, 0.6, 0.002); /* cells 0-3 finished */
    int col = cp_table_add_column(L.run.data.cells, "year", CP_I64);
    CHECK(col >= 0);
    for (int i = 0; i < 8; i++) /* 2020: cells 0-3 (finished), 4-5; 2021: cells 6-7 */
        cp_table_set_i64(L.run.data.cells, col, (size_t)i, i < 6 ? 2020 : 2021);
    CHECK_INT(lab_finish(&L), 0);
    cp_free(L.cfg.fits.fleet_group);
    L.cfg.fits.fleet_group = cp_strdup("year");
    L.cfg.fits.bootstrap_samples = 20;
    CHECK_INT(cp_stage_models(&L.run, &err), 0);
    const struct cp_cell_result *r = L.run.results;
    CHECK_INT(r[4].eol_method, CP_EOL_FLEET);
    CHECK(!has_flag(&r[4], "fleet_fallback"));
    CHECK(!has_flag(&r[5], "fleet_fallback"));
    CHECK(has_flag(&r[6], "fleet_fallback")); /* nobody finished in 2021 */
    CHECK(has_flag(&r[7], "fleet_fallback"));
    lab_release(&L);
}

int main(void)
{
    cp_log_setup(CP_LOG_WARN, 0);
    RUN(identical_for_any_thread_count);
    RUN(observed_eol_and_forecasts);
    RUN(bad_input_is_flagged);
    RUN(no_finished_cells_means_per_cell_and_a_flag);
    RUN(observed_eol_rule);
    RUN(every_allocation_failure_is_clean);
    RUN(numeric_fleet_group_column);
    lab_release(&lab1);
    lab_release(&lab2);
    return DONE();
}

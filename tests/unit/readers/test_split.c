/*
 * A test clock that goes back inside one section of a file: generated Arbin exports (written
 * by this test into a temporary folder, named generated_*) with a restart mid-cycle, a small
 * step back (rounding: stitched), and a single row from another moment (dropped). Expected
 * values follow from the rows written.
 */
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "rdtest.h"

static char tmpdir[64];

static const char head[] = "Data Point,Date Time,Test Time (s),Step Time (s),Cycle Index,"
                           "Step Index,Current (A),Voltage (V),Charge Capacity (Ah),"
                           "Discharge Capacity (Ah)\n";

/* Row n at test time t of cycle c: charging (i > 0) or discharging, counters q within cycle. */
static void row(FILE *f, int n, double t, int c, double i, double v, double q)
{
    int day_s = 36000 + n * 60; /* the stamps always go forward */
    fprintf(f, "%d,05/01/2024 %02d:%02d:%02d,%.17g,%.17g,%d,%d,%g,%g,%.17g,%.17g\n", n,
            day_s / 3600, day_s / 60 % 60, day_s % 60, t, t, c, i > 0 ? 1 : 2, i, v, i > 0 ? q : 0,
            i > 0 ? 0 : q);
}

/* The test times of the twelve rows: cycles 1, 2 and 3 of four rows each, charging 1 A then
 * discharging 1 A, the counters going from 0 to 1/6 Ah within each half. */
static const char *generate(const char *name, const double t[12])
{
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(head, f);
    for (int n = 0; n < 12; n++) {
        int k = n % 4;
        row(f, n + 1, t[n], n / 4 + 1, k < 2 ? 1 : -1, k < 2 ? 3.6 + 0.2 * k : 4.0 - 0.2 * k,
            (k % 2) / 6.0);
    }
    fclose(f);
    return path;
}

/* 600 s apart, the clock going back by 900 s after cycle 2's second row. */
static const double restart[12] = {0,    600,  1200, 1800, 2400, 3000,
                                   2100, 2700, 3300, 3900, 4500, 5100};

static const char *cell_of(const struct rd *r, size_t row)
{
    char **ids = cp_table_str(r->cycles, "cell_id");
    return ids && row < r->cycles->nrows && ids[row] ? ids[row] : "";
}

static double num(const struct rd *r, size_t row, const char *col)
{
    int c = cp_table_find(r->cycles, col);
    return c < 0 ? NAN : cp_table_get_num(r->cycles, c, row);
}

/* Back by 900 s mid-cycle 2: cycle 1 and the first half of 2 are the file's test, the rest
 * of 2 and cycle 3 are generated_restart_test2, each on its own clock. */
TEST(restart_mid_cycle_splits)
{
    struct rd r;
    rd_read(&r, generate("generated_restart.csv", restart));
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "arbin");
    CHECK_INT(r.out.rows_read, 12);
    CHECK_INT(r.cycles->nrows, 4);
    CHECK_STR(cell_of(&r, 0), "generated_restart");
    CHECK_STR(cell_of(&r, 1), "generated_restart");
    CHECK_STR(cell_of(&r, 2), "generated_restart_test2");
    CHECK_STR(cell_of(&r, 3), "generated_restart_test2");
    CHECK_NEAR(num(&r, 1, "cycle_index"), 2, 0);
    CHECK_NEAR(num(&r, 2, "cycle_index"), 2, 0);
    CHECK_NEAR(num(&r, 1, "test_time_s"), 3000, 1e-9); /* its last row before the jump */
    CHECK_NEAR(num(&r, 2, "test_time_s"), 2700, 1e-9); /* 2100, 2700: not stitched on */
    CHECK_NEAR(num(&r, 3, "test_time_s"), 5100, 1e-9);
    CHECK_NEAR(num(&r, 1, "charge_capacity_ah"), 1 / 6.0, 1e-12);
    CHECK_NEAR(num(&r, 2, "discharge_capacity_ah"), 1 / 6.0, 1e-12);
    CHECK_NEAR(num(&r, 3, "charge_capacity_ah"), 1 / 6.0, 1e-12);
    CHECK(cp_table_find(r.cycles, "plausibility") < 0); /* each test's time is monotonic */
    CHECK_INT(r.cells->nrows, 2);
    char **of = cp_table_str(r.cells, "restart_of"), **tester = cp_table_str(r.cells, "tester");
    CHECK_STR(of ? of[1] : NULL, "generated_restart");
    CHECK_STR(tester ? tester[1] : NULL, "arbin");
    rd_free(&r);
}

/* Back by 0.5 s (within the tolerance) and staying back: one test, time stitched, the cycle
 * flagged. */
TEST(small_step_back_stitched)
{
    static const double t[12] = {0,      600,    1200,   1800,   2400,   3000,
                                 2999.5, 2999.8, 3599.5, 4199.5, 4799.5, 5399.5};
    struct rd r;
    rd_read(&r, generate("generated_step_back.csv", t));
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.cycles->nrows, 3);
    CHECK_INT(r.cells->nrows, 1);
    CHECK_STR(cell_of(&r, 2), "generated_step_back");
    CHECK_NEAR(num(&r, 2, "test_time_s"), 5400, 1e-9); /* 5399.5 + the 0.5 s stitched */
    char **pl = cp_table_str(r.cycles, "plausibility");
    CHECK(pl && pl[1] && strstr(pl[1], "time_backwards")); /* and the 0.3 s of discharge */
    rd_free(&r);
}

/* One row of another moment (its time before both neighbours'): dropped, no new test. */
TEST(single_row_back_dropped)
{
    struct rd r;
    static const double t[12] = {0, 600, 5, 1800, 2400, 3000, 3600, 4200, 4800, 5400, 6000, 6600};
    rd_read(&r, generate("generated_glitch.csv", t));
    CHECK_INT(r.rc, 0);
    CHECK_INT(r.cycles->nrows, 3);
    CHECK_INT(r.cells->nrows, 1);
    CHECK_STR(cell_of(&r, 2), "generated_glitch");
    char **pl = cp_table_str(r.cycles, "plausibility");
    CHECK_STR(pl ? pl[0] : NULL, "time_backwards");
    CHECK_NEAR(num(&r, 2, "test_time_s"), 6600, 1e-9);
    rd_free(&r);
}

/* Every allocation of a split read fails in turn: a clean error, no leak. */
TEST(split_under_allocation_failures)
{
    rd_torture(generate("generated_restart_torture.csv", restart), 10);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/cp_split_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    RUN(restart_mid_cycle_splits);
    RUN(small_step_back_stitched);
    RUN(single_row_back_dropped);
    RUN(split_under_allocation_failures);
    static const char *const names[] = {"generated_restart.csv", "generated_step_back.csv",
                                        "generated_glitch.csv", "generated_restart_torture.csv"};
    char p[200];
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[k]);
        unlink(p);
    }
    rmdir(tmpdir);
    return DONE();
}

/*
 * Units and plausibility on the real exports under $CELLPIPE_REAL_DATA (skipped by name when
 * absent). Oracles: each folder's SOURCE.md (row counts, sections, the last capacity of the
 * failed Novonix test) and the integral of the current computed independently with pandas
 * (trapezoid over Run Time, per Cycle Number) when the oracle was written.
 */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "rdtest.h"

#define OPEN(r, rel)                                                                               \
    char path_[1024];                                                                              \
    if (!rd_real(rel, path_, sizeof(path_))) {                                                     \
        SKIP(rel, "no real data");                                                                 \
        return;                                                                                    \
    }                                                                                              \
    rd_read(r, path_)

/* Row of (cell, cycle), or -1. */
static long row_of(const struct rd *r, const char *cell, long long cycle)
{
    char **id = cp_table_str(r->cycles, "cell_id");
    int64_t *ix = cp_table_i64(r->cycles, "cycle_index");
    for (size_t i = 0; id && ix && i < r->cycles->nrows; i++)
        if (id[i] && strcmp(id[i], cell) == 0 && ix[i] == cycle)
            return (long)i;
    return -1;
}

static double val(const struct rd *r, const char *cell, long long cycle, const char *col)
{
    long row = row_of(r, cell, cycle);
    int c = cp_table_find(r->cycles, col);
    return row < 0 || c < 0 ? NAN : cp_table_get_num(r->cycles, c, (size_t)row);
}

static size_t cycles_of(const struct rd *r, const char *cell)
{
    char **id = cp_table_str(r->cycles, "cell_id");
    size_t n = 0;
    for (size_t i = 0; id && i < r->cycles->nrows; i++)
        n += id[i] && strcmp(id[i], cell) == 0;
    return n;
}

/* Two tests in one file (SOURCE.md): 941 rows, cycles 1-2, then 5,758 rows, cycles 1-9. */
TEST(novonix_restarted_test_split)
{
    struct rd r;
    OPEN(&r, "preparenovonix/novonix/example_data.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "novonix");
    CHECK_INT(r.out.rows_read, 941 + 5758);
    CHECK_INT(cycles_of(&r, "example_data"), 2);
    CHECK_INT(cycles_of(&r, "example_data_test2"), 9);
    CHECK(row_of(&r, "example_data_test2", 1) >= 0);
    CHECK(row_of(&r, "example_data_test2", 9) >= 0);
    CHECK_INT(r.cells->nrows, 2); /* one metadata row per test */
    /* Capacity is a signed balance: the failed test ends at +0.4956497995 Ah (SOURCE.md)
     * after discharging to -q1, so its charge in cycle 2 is 0.4956497995 + q1. */
    double q1 = val(&r, "example_data", 1, "discharge_capacity_ah");
    CHECK_NEAR(val(&r, "example_data", 2, "charge_capacity_ah"), 0.4956497995 + q1, 1e-9);
    /* ... and both agree with the integral of the current (pandas: 0.4328 and 0.9196 Ah;
     * the counter is sampled finer than the 300 s rows of cycle 2) */
    REL_NEAR(q1, 0.4328, 0.01);
    REL_NEAR(val(&r, "example_data", 2, "charge_capacity_ah"), 0.9196, 0.02);
    /* test 2's pulse cycles 4-7 each charge 1.0526 Ah by the integral of the current; the
     * five corrupt rows (Run Time hours back, then forward again) are dropped */
    for (long long c = 4; c <= 7; c++)
        REL_NEAR(val(&r, "example_data_test2", c, "charge_capacity_ah"), 1.0526, 0.01);
    REL_NEAR(val(&r, "example_data_test2", 1, "discharge_capacity_ah"), 0.9310, 0.01);
    REL_NEAR(val(&r, "example_data_test2", 2, "charge_capacity_ah"), 4.6931, 0.01);
    REL_NEAR(val(&r, "example_data_test2", 9, "discharge_capacity_ah"), 2.0000, 0.01);
    rd_free(&r);
}

/* The Arbin exports: counters cumulative per cycle, in agreement with the current where the
 * cycle is whole; nothing flagged, nothing summed. */
TEST(arbin_real_files_plausible)
{
    static const char *const files[] = {"battdat/arbin/arbin_example.csv",
                                        "beep/arbin/2017-05-09_test-TC-contact_CH33.csv",
                                        "pyprobe/sample_data_arbin.csv"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct rd r;
        char p[1024];
        if (!rd_real(files[i], p, sizeof(p))) {
            SKIP(files[i], "no real data");
            continue;
        }
        rd_read(&r, p);
        CHECK_INT(r.rc, 0);
        CHECK(cp_table_find(r.cycles, "plausibility") < 0);
        rd_free(&r);
    }
    /* arbin_example cycle 2 is whole: 1.0759 Ah charged, 1.0734 Ah discharged by the current */
    struct rd r;
    OPEN(&r, "battdat/arbin/arbin_example.csv");
    REL_NEAR(rd_get(&r, 2, "charge_capacity_ah"), 1.0759, 0.01);
    REL_NEAR(rd_get(&r, 2, "discharge_capacity_ah"), 1.0734, 0.01);
    rd_free(&r);
}

/* INL raw cycles 4 and 5: the counters (which match the published summary, test_real.c) and
 * the current disagree (pandas: 0.031 Ah charged against a 0.0196 Ah counter): flagged, and
 * the numbers stay the published ones. */
TEST(inl_counters_flagged_not_changed)
{
    struct rd r;
    OPEN(&r, "battdat/batterydata_inl/p492-13-raw.csv");
    CHECK_INT(r.rc, 0);
    char **pl = cp_table_str(r.cycles, "plausibility");
    CHECK(pl != NULL);
    long r4 = rd_row(&r, 4), r2 = rd_row(&r, 2);
    CHECK(pl && r4 >= 0 && pl[r4] && strstr(pl[r4], "capacity_vs_current"));
    CHECK(pl && r2 >= 0 && !(pl[r2] && *pl[r2]));                   /* a plain cycle passes */
    REL_NEAR(rd_get(&r, 4, "charge_capacity_ah"), 0.0196421, 1e-6); /* summary Q_chg, cycle 4 */
    rd_free(&r);
}

int main(void)
{
    RUN(novonix_restarted_test_split);
    RUN(arbin_real_files_plausible);
    RUN(inl_counters_flagged_not_changed);
    return DONE();
}

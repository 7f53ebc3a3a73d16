/*
 * Units that cannot be silently wrong (include/cellpipe/plausible.h): the checks on their own,
 * then through the readers on small fixtures whose answers are known by construction
 * (tests/data/readers/plausible_*, arbin_per_step_counters.csv: constant currents, so the
 * capacity of each step is current x time).
 */
#include <math.h>
#include <stdio.h>

#include "cellpipe/plausible.h"
#include "harness.h"
#include "rdtest.h"

#define DATA "tests/data/readers/"

TEST(tolerance_and_bracket)
{
    CHECK(cp_plausible_agrees(1.0, 1.0, 1.0));
    CHECK(cp_plausible_agrees(1.02, 1.0, 1.0));  /* 2 % of 1.02 + 1 mAh = 21.4 mAh */
    CHECK(!cp_plausible_agrees(1.03, 1.0, 1.0)); /* 30 mAh > 21.6 mAh */
    CHECK(cp_plausible_agrees(0.0009, 0, 0));    /* the 1 mAh floor */
    CHECK(!cp_plausible_agrees(0.0025, 0, 0));
    CHECK(cp_plausible_agrees(0.75, 0.5, 1.0)); /* inside the sampling bracket */
    CHECK(!cp_plausible_agrees(0.22, 1.85, 1.95));
}

TEST(voltage_units)
{
    CHECK_NEAR(cp_plausible_volt_factor(3802, 1), 1e-3, 0); /* millivolts in a V column */
    CHECK_NEAR(cp_plausible_volt_factor(1300, 1), 1e-3, 0);
    CHECK_NEAR(cp_plausible_volt_factor(3.8, 1), 1, 0);
    CHECK_NEAR(cp_plausible_volt_factor(-4.2, 1), 1, 0);
    CHECK_NEAR(cp_plausible_volt_factor(12000, 1), 1, 0);  /* not mV either: refused later */
    CHECK_NEAR(cp_plausible_volt_factor(3.8, 1e-3), 1, 0); /* "(mV)" is the file's word */
    CHECK(cp_plausible_voltage(-3.79)); /* an EIS cycle's reading (INL raw file) */
    CHECK(cp_plausible_voltage(NAN));
    CHECK(!cp_plausible_voltage(6.5));
    CHECK(cp_plausible_vmean(3.5, 3.0, 4.2));
    CHECK(cp_plausible_vmean(3.79, 3.668, 3.716)); /* 0.091 Wh / 0.024 Ah: 3-digit counters */
    CHECK(!cp_plausible_vmean(27.9, 1.99, 3.59));  /* the Arbin cycle */
}

TEST(describe)
{
    struct cp_strbuf sb = CP_STRBUF_INIT;
    CHECK_INT(cp_plausible_describe(CP_PL_CAPACITY | CP_PL_TIME, &sb), 0);
    CHECK_STR(sb.buf, "capacity_vs_current time_backwards");
    cp_strbuf_release(&sb);
}

static const char *pl(const struct rd *r, long long cycle)
{
    char **v = cp_table_str(r->cycles, "plausibility");
    long row = rd_row(r, cycle);
    return v && row >= 0 && v[row] ? v[row] : "";
}

/* Charge 1 A x 1800 s + 0.5 A x 1800 s = 0.75 Ah in two steps whose counters restart at 0;
 * discharge 1 A x 2700 s = 0.75 Ah. The largest step alone would say 0.5 Ah. */
TEST(arbin_counters_reset_per_step)
{
    struct rd r;
    rd_read(&r, DATA "arbin_per_step_counters.csv");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "arbin");
    CHECK_INT(r.cycles->nrows, 2);
    for (long long c = 1; c <= 2; c++) {
        CHECK_NEAR(rd_get(&r, c, "charge_capacity_ah"), 0.75, 1e-9);
        CHECK_NEAR(rd_get(&r, c, "discharge_capacity_ah"), 0.75, 1e-9);
        /* energy / capacity inside the cycle's own 3.0 .. 4.2 V */
        double vd = rd_get(&r, c, "v_discharge_mean");
        CHECK(vd > 3.0 && vd < 4.2);
        CHECK_NEAR(vd, 3.55, 1e-3); /* linear 4.1 -> 3.0 V at constant current */
    }
    CHECK(cp_table_find(r.cycles, "plausibility") < 0); /* everything agrees */
    rd_free(&r);
}

/* The same rows with the voltage column (headed "Voltage", so volts) holding millivolts. */
TEST(millivolts_in_a_volts_column)
{
    struct rd r;
    rd_read(&r, DATA "plausible_millivolts_in_volts.csv");
    CHECK_INT(r.rc, 0);
    CHECK_NEAR(rd_get(&r, 1, "v_max"), 4.2, 1e-9);
    CHECK_NEAR(rd_get(&r, 1, "v_min"), 3.0, 1e-9);
    CHECK_NEAR(rd_get(&r, 1, "v_discharge_mean"), 3.55, 1e-3);
    rd_free(&r);
}

/* One row at 41.18 V (line 32) in a volts column that already showed 3.4 V: refused. */
TEST(voltage_out_of_range_refused)
{
    struct rd r;
    rd_read(&r, DATA "plausible_voltage_range.csv");
    CHECK_INT(r.rc, -CP_EDATA);
    CHECK(strstr(r.err.msg, "plausible_voltage_range.csv:32: check voltage_range") != NULL);
    rd_free(&r);
}

/* Counters at twice what the current delivered: a warning column, numbers as the file says. */
TEST(counter_against_current_warned)
{
    struct rd r;
    rd_read(&r, DATA "plausible_counter_vs_current.csv");
    CHECK_INT(r.rc, 0);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 1.5, 1e-9);
    CHECK(strstr(pl(&r, 1), "capacity_vs_current") != NULL);
    CHECK(strstr(pl(&r, 2), "capacity_vs_current") != NULL);
    /* 2.6625 Wh over 1.5 Ah = 1.78 V, outside 3.0 .. 4.2 V: left missing */
    CHECK(isnan(rd_get(&r, 1, "v_discharge_mean")));
    rd_free(&r);
}

/* Quirk fixtures whose counters match their currents (cycles that begin with charge already
 * counted are not compared): no column appears. */
TEST(clean_fixtures_have_no_column)
{
    static const char *const files[] = {DATA "arbin_bom_units_clock_reset.csv",
                                        DATA "neware_layered.csv"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct rd r;
        rd_read(&r, files[i]);
        CHECK_INT(r.rc, 0);
        CHECK(cp_table_find(r.cycles, "plausibility") < 0);
        rd_free(&r);
    }
}

/* neware_flat.csv counts 0.9 Ah for -1 A held over an hour (rows 3-4): the check says so. */
TEST(inconsistent_fixture_flagged)
{
    struct rd r;
    rd_read(&r, DATA "neware_flat.csv");
    CHECK_INT(r.rc, 0);
    CHECK_NEAR(rd_get(&r, 1, "discharge_capacity_ah"), 0.9, 1e-12); /* the file's number */
    CHECK_STR(pl(&r, 1), "capacity_vs_current");
    CHECK_STR(pl(&r, 2), "");
    rd_free(&r);
}

/* A signed Maccor export (discharges are negative) with one D row at +1 A (line 11). */
TEST(current_sign_against_state)
{
    struct rd r;
    rd_read(&r, DATA "plausible_current_sign.txt");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "maccor");
    CHECK_STR(pl(&r, 1), "");
    CHECK_STR(pl(&r, 2), "current_sign");
    CHECK_NEAR(rd_get(&r, 2, "discharge_capacity_ah"), 1.0, 1e-12);
    rd_free(&r);
}

/* A Maccor export whose `Volts` column (no unit: volts by default) holds 3500 .. 4100 mV. */
TEST(maccor_millivolts)
{
    struct rd r;
    rd_read(&r, DATA "plausible_maccor_millivolts.txt");
    CHECK_INT(r.rc, 0);
    CHECK_STR(rd_format(&r), "maccor");
    CHECK_NEAR(rd_get(&r, 1, "v_max"), 4.0, 1e-12);
    CHECK_NEAR(rd_get(&r, 2, "v_min"), 3.1, 1e-12);
    CHECK_NEAR(rd_get(&r, 1, "v_charge_mean"), 3.8, 1e-12); /* 3.8 Wh / 1 Ah */
    CHECK(cp_table_find(r.cycles, "plausibility") < 0);
    rd_free(&r);
}

int main(void)
{
    RUN(tolerance_and_bracket);
    RUN(voltage_units);
    RUN(describe);
    RUN(arbin_counters_reset_per_step);
    RUN(millivolts_in_a_volts_column);
    RUN(voltage_out_of_range_refused);
    RUN(counter_against_current_warned);
    RUN(clean_fixtures_have_no_column);
    RUN(inconsistent_fixture_flagged);
    RUN(current_sign_against_state);
    RUN(maccor_millivolts);
    return DONE();
}
